// The packaged extension: run.mjs packages dist/ with vsce, installs the .vsix with the server's
// --install-extension into a fresh extensions folder and opens VS Code with no development path.
// These tests prove that what users install activates and works, and holds only what runs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vscode from 'vscode';
import { activeApi, greenlight, waitFor } from '../helpers';

/** Relative image paths in the packaged README: they must be in the package. */
function readmeImages(root: string): string[] {
  const readme = fs.readFileSync(path.join(root, 'readme.md'), 'utf8');
  return [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((p) => !/^[a-z]+:/i.test(p));
}

suite('(host) the installed .vsix', () => {
  test('is loaded from the extensions folder, not from a development path', () => {
    const ext = greenlight();
    const extensionsDir = process.env.GREENLIGHT_HOST_EXTENSIONS_DIR;
    assert.ok(extensionsDir, 'run.mjs did not say where it installed the .vsix');
    assert.ok(
      ext.extensionPath.startsWith(fs.realpathSync(extensionsDir) + path.sep) || ext.extensionPath.startsWith(extensionsDir + path.sep),
      `extension loaded from ${ext.extensionPath}, not from ${extensionsDir}`,
    );
    const repo = process.env.GREENLIGHT_HOST_REPO;
    if (repo) assert.ok(!ext.extensionPath.startsWith(repo + path.sep) && ext.extensionPath !== repo, 'loaded from the checkout');
    assert.equal(ext.packageJSON.version, JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.json'), 'utf8')).version);
  });

  test('activates by itself, starts its service and reads the project', async () => {
    const ext = greenlight();
    await waitFor('the extension to activate on its own', () => ext.isActive, 60_000);
    const { services } = await activeApi();
    const h = await services.client.health();
    assert.ok(h.pid !== process.pid);
    assert.equal(h.version, ext.packageJSON.version);
    const summary = await waitFor('the project summary', () => services.project.summary?.ok && services.project.summary);
    assert.deepEqual(summary.environments.map((e) => e.name), ['staging', 'production']);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of ext.packageJSON.contributes.commands as { command: string }[]) assert.ok(registered.has(c.command), `${c.command} not registered`);
  });

  test('holds what runs and nothing of the sources, tests or dev dependencies', () => {
    const root = greenlight().extensionPath;
    // vsce stores README.md, CHANGELOG.md and LICENSE as readme.md, changelog.md and LICENSE.txt.
    for (const f of ['package.json', 'readme.md', 'changelog.md', 'LICENSE.txt', 'dist/extension.js', 'dist/service.js', 'dist/cli.js',
      'schemas/greenlight.schema.json', 'media/icons/greenlight.svg', ...readmeImages(root),
      // Every walkthrough step's page, as the manifest names it.
      ...greenlight().packageJSON.contributes.walkthroughs.flatMap((w: { steps: { media: { markdown?: string } }[] }) => w.steps.map((s) => s.media.markdown).filter((m): m is string => !!m))]) {
      assert.ok(fs.existsSync(path.join(root, f)), `${f} missing from the package`);
    }
    for (const f of ['src', 'test', 'node_modules', 'scripts', 'out', '.tools', 'tsconfig.json', 'eslint.config.mjs', 'package-lock.json', 'greenlight.yaml', 'docs/developers-guide.md']) {
      assert.ok(!fs.existsSync(path.join(root, f)), `${f} should not be in the package`);
    }
    const stray: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|map|vsix)$/.test(e.name) && !e.name.endsWith('.d.ts')) stray.push(path.relative(root, p));
      }
    };
    walk(root);
    assert.deepEqual(stray, [], 'sources, source maps or packages inside the package');
  });

  test('every run-time package in dist/node_modules is complete', async () => {
    const nm = path.join(greenlight().extensionPath, 'dist/node_modules');
    const pkgs = fs.readdirSync(nm).flatMap((d) => (d.startsWith('@') ? fs.readdirSync(path.join(nm, d)).map((s) => `${d}/${s}`) : [d]));
    assert.ok(pkgs.length > 0, 'dist/node_modules is empty');
    const broken: string[] = [];
    for (const pkg of pkgs) {
      const dir = path.join(nm, pkg);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      // A grammar package whose main is a native binding is used for its .wasm file only.
      if (typeof manifest.main === 'string' && manifest.main.startsWith('bindings/')) {
        if (!fs.readdirSync(dir).some((f) => f.endsWith('.wasm'))) broken.push(`${pkg}: no .wasm file`);
        continue;
      }
      try {
        // import() of the resolved file loads CommonJS and ES modules alike (@ruby/prism is ESM).
        await import(pathToFileURL(require.resolve(pkg, { paths: [path.dirname(nm)] })).href);
      } catch (e) {
        broken.push(`${pkg}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      }
    }
    assert.deepEqual(broken, [], 'packages the bundles load at run time are missing files');
  });
});
