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
    const { services, activationMs } = await activeApi();
    assert.ok(Number.isFinite(activationMs) && activationMs > 0, `activationMs ${activationMs}`);
    // Printed for docs/benchmarks.md: activate() of the installed package, service start included.
    console.log(`greenlight-activation-ms ${activationMs.toFixed(1)}`);
    const h = await services.client.health();
    assert.ok(h.pid !== process.pid);
    assert.equal(h.version, ext.packageJSON.version);
    const summary = await waitFor('the project summary', () => services.project.summary?.ok && services.project.summary);
    assert.deepEqual(summary.environments.map((e) => e.name), ['staging', 'production']);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of ext.packageJSON.contributes.commands as { command: string }[]) assert.ok(registered.has(c.command), `${c.command} not registered`);
  });

  test('shows the manifest texts from package.nls.json, not their %key% references', async () => {
    const ext = greenlight();
    const nls = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, 'package.nls.json'), 'utf8')) as Record<string, string>;
    assert.equal(ext.packageJSON.displayName, nls.displayName);
    const create = (ext.packageJSON.contributes.commands as { command: string; title: string }[]).find((c) => c.command === 'greenlight.config.create');
    assert.equal(create?.title, nls['greenlight.config.create.title']);
    assert.ok(!JSON.stringify(ext.packageJSON.contributes).match(/"%[\w.-]+%"/), 'no %key% left unresolved in the installed manifest');
  });

  test('holds what runs and nothing of the sources, tests or dev dependencies', () => {
    const root = greenlight().extensionPath;
    // vsce stores README.md, CHANGELOG.md and LICENSE as readme.md, changelog.md and LICENSE.txt.
    for (const f of ['package.json', 'package.nls.json', 'readme.md', 'changelog.md', 'LICENSE.txt', 'dist/extension.js', 'dist/service.js', 'dist/cli.js',
      'schemas/greenlight.schema.json', 'media/icons/greenlight.svg', 'media/icon.png', 'syntaxes/aql.tmLanguage.json', 'docs/rules/sql-add-column-if-not-exists.md', ...readmeImages(root),
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

  test('a finding links to its rule page inside the package, and the page opens rendered (Markdown preview), not as raw text', async function () {
    this.timeout(90_000);
    const root = greenlight().extensionPath;
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'migrations', 'zz_rule_link.sql');
    await vscode.workspace.fs.writeFile(file, Buffer.from('CREATE TABLE rule_link (id int);\n'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    const d = await waitFor('a finding with a documentation link', () => vscode.languages.getDiagnostics(file).find((x) => typeof x.code === 'object' && x.code.target), 40_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(file);
    const target = (d.code as { target: vscode.Uri }).target;
    assert.equal(target.scheme, 'file');
    assert.ok(target.fsPath.startsWith(path.join(root, 'docs', 'rules') + path.sep), `${target.fsPath} is not inside the installed package`);
    assert.ok(fs.existsSync(target.fsPath), `${target.fsPath} is missing`);
    await vscode.commands.executeCommand('vscode.open', target);
    const tab = await waitFor('the rule page in a tab', () => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t && (t.input instanceof vscode.TabInputCustom || t.input instanceof vscode.TabInputText) ? t : undefined;
    });
    assert.ok(tab.input instanceof vscode.TabInputCustom && tab.input.viewType === 'vscode.markdown.preview.editor', `opened as ${tab.input instanceof vscode.TabInputText ? 'raw text' : JSON.stringify(tab.input)}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('.aql files are the AQL language, highlighted by the grammar and linted', async () => {
    const dir = vscode.workspace.workspaceFolders![0]!.uri;
    const uri = vscode.Uri.joinPath(dir, 'migrations', 'zz_probe.aql');
    await vscode.workspace.fs.writeFile(uri, Buffer.from('FOR u IN users REMOVE u IN users\n'));
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      assert.equal(doc.languageId, 'aql');
      const grammar = (greenlight().packageJSON.contributes.grammars as { language: string; path: string }[]).find((g) => g.language === 'aql');
      assert.ok(grammar && fs.existsSync(path.join(greenlight().extensionPath, grammar.path)));
      await vscode.window.showTextDocument(doc);
      await waitFor('a lint finding on the AQL file', () => vscode.languages.getDiagnostics(uri).some((x) => x.source === 'greenlight' || /aql/.test(String(typeof x.code === 'object' ? x.code.value : x.code))), 60_000);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(uri);
    }
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
