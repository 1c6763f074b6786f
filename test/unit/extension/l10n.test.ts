// The manifest's user-visible strings live in package.nls.json (what a translation's
// package.nls.<locale>.json replaces): every %key% of package.json has its English text there, no
// text there is unused, and no command title, view name, walkthrough text or setting description
// is left as a literal that a translation could not reach. The extension's own messages go
// through vscode.l10n.t (which a bundle.l10n.<locale>.json translates) rather than literals.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '../../..');
const manifestText = readFileSync(path.join(ROOT, 'package.json'), 'utf8');
const manifest = JSON.parse(manifestText) as Record<string, unknown> & { contributes: Record<string, unknown> };
const nls = JSON.parse(readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;

/** Every string value in the manifest, with its JSON path. */
function strings(x: unknown, at: string, out: [string, string][] = []): [string, string][] {
  if (typeof x === 'string') out.push([at, x]);
  else if (Array.isArray(x)) x.forEach((v, i) => strings(v, `${at}[${i}]`, out));
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) strings(v, `${at}.${k}`, out);
  return out;
}

const PLACEHOLDER = /^%([^%\s]+)%$/;

suite('(unit) extension: l10n of the manifest (package.nls.json)', () => {
  test('every %key% of package.json is in package.nls.json, and every key there is used', () => {
    const used = strings(manifest, '').flatMap(([, v]) => {
      const m = PLACEHOLDER.exec(v);
      return m ? [m[1]!] : [];
    });
    assert.ok(used.length >= 60, `the manifest refers to its texts (${used.length} found)`);
    assert.deepEqual(used.filter((k) => !(k in nls)), [], 'keys missing from package.nls.json');
    assert.deepEqual(Object.keys(nls).filter((k) => !used.includes(k)), [], 'unused keys in package.nls.json');
    for (const [k, v] of Object.entries(nls)) assert.ok(typeof v === 'string' && v.trim() !== '', `${k} has a text`);
  });

  test('titles, names, walkthrough texts, welcome texts and setting descriptions are %key% references', () => {
    const visible = strings(manifest, '').filter(([at]) =>
      /^\.(displayName|description)$|\.commands\[\d+\]\.title$|\.views\.\w+\[\d+\]\.name$|\.viewsContainers\.\w+\[\d+\]\.title$|\.viewsWelcome\[\d+\]\.contents$|\.walkthroughs\[\d+\](\.steps\[\d+\])?\.(title|description)$|\.configuration\.(title|properties\.[\w.]+\.(markdownDescription|description))$|\.problemMatchers\[\d+\]\.label$|\.taskDefinitions\[\d+\]\.properties\.\w+\.description$|untrustedWorkspaces\.description$/.test(
        at,
      ),
    );
    assert.ok(visible.length >= 60, `found the manifest's visible texts (${visible.length})`);
    assert.deepEqual(visible.filter(([, v]) => !PLACEHOLDER.test(v)), [], 'literal texts a translation cannot reach');
  });
});

/** The extension's TypeScript files, the views included. */
function extensionSources(dir = path.join(ROOT, 'src/extension')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return extensionSources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

suite('(unit) extension: l10n of run-time texts (vscode.l10n.t)', () => {
  test('messages, prompts and titles shown to the user are not bare literals', () => {
    const files = extensionSources();
    assert.ok(files.length > 30, `found the extension's sources (${files.length})`);
    const bare: string[] = [];
    for (const f of files) {
      // Comments are blanked (same length, so line numbers hold): they may quote a text.
      const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/^\s*\/\/.*$/gm, (c) => ' '.repeat(c.length));
      const patterns = [
        /\.show(?:Information|Warning|Error)Message\(\s*['"`]/g,
        /\.(?:modal|setStatusBarMessage)\(\s*['"`][^'"`]*\s/g,
        /\b(?:title|prompt|tooltip|placeHolder|detail|description|label): ['"`][^'"`$]*[a-z] [a-z]/g,
        /\bnew vscode\.TreeItem\(\s*['"`][A-Za-z][^'"`$]*['"`]/g,
      ];
      for (const re of patterns) for (const m of text.matchAll(re)) bare.push(`${path.relative(ROOT, f)}:${text.slice(0, m.index).split('\n').length}: ${m[0]}`);
    }
    assert.deepEqual(bare, []);
  });

  test('the files that show texts use vscode.l10n.t', () => {
    const using = extensionSources().filter((f) => readFileSync(f, 'utf8').includes('vscode.l10n.t('));
    assert.ok(using.length >= 30, `vscode.l10n.t is used across the extension (${using.length} files)`);
  });
});
