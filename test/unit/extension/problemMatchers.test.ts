// The task problem matchers of package.json against what the CLI really prints: `greenlight lint`
// run in-process on a bad migration (its text report, checked finding by finding against the JSON
// report of the same run) and `greenlight config check` on a broken project file.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/program';
import { captureIo } from '../cli/captureIo';

const ROOT = path.join(__dirname, '../../..');

interface Matcher {
  readonly name: string;
  readonly severity?: string;
  readonly pattern: { regexp: string; file: number; line: number; column: number; message: number; severity?: number; code?: number };
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { problemMatchers: Matcher[] } };

function matcher(name: string): Matcher {
  const m = manifest.contributes.problemMatchers.find((x) => x.name === name);
  assert.ok(m, `package.json contributes the problem matcher ${name}`);
  return m;
}

/** What VS Code would make of each output line with this matcher (one-line patterns). */
function apply(name: string, output: string): { file: string; line: number; column: number; severity: string; code?: string; message: string }[] {
  const m = matcher(name);
  const re = new RegExp(m.pattern.regexp);
  return output.split(/\r?\n/).flatMap((l) => {
    const g = re.exec(l);
    if (!g) return [];
    const p = m.pattern;
    return [{ file: g[p.file]!, line: Number(g[p.line]), column: Number(g[p.column]), severity: p.severity ? g[p.severity]! : m.severity!, code: p.code ? g[p.code] : undefined, message: g[p.message]! }];
  });
}

suite('(unit) extension: task problem matchers read the CLI output', () => {
  let dir: string;
  setup(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'greenlight-matchers-'));
  });
  teardown(() => rmSync(dir, { recursive: true, force: true }));

  test('$greenlight-lint matches every finding of `greenlight lint` (file, line, column, severity, rule) and nothing else', async () => {
    mkdirSync(path.join(dir, 'migrations'));
    copyFileSync(path.join(ROOT, 'test/host/workspaces/lint/001_create_invoices.sql'), path.join(dir, 'migrations/001_create_invoices.sql'));
    writeFileSync(path.join(dir, 'migrations/002_ok.sql'), 'CREATE TABLE IF NOT EXISTS ok (id int);\n');
    // Two rules moved to the other severities, so all three spellings are read.
    const args = ['lint', 'migrations', '--rule', 'sql-create-index-if-not-exists=warning', '--rule', 'sql-insert-without-conflict-handling=info'];
    const text = captureIo(dir, { NO_COLOR: '1' });
    await runCli(args, text);
    const json = captureIo(dir, { NO_COLOR: '1' });
    await runCli([...args, '--format', 'json'], json);
    const report = JSON.parse(json.stdout.join('\n')) as { files: { path: string; findings: { code: string; severity: string; line: number; column: number; message: string }[] }[] };
    const expected = report.files.flatMap((f) => f.findings.map((x) => ({ file: f.path, line: x.line, column: x.column, severity: x.severity, code: x.code, message: x.message })));
    assert.ok(expected.length >= 3, `the fixture has findings: ${JSON.stringify(expected)}`);
    assert.deepEqual([...new Set(expected.map((e) => e.severity))].sort(), ['error', 'info', 'warning']);
    const matched = apply('greenlight-lint', text.stdout.join('\n'));
    assert.deepEqual(matched, expected);
    assert.equal(matched[0]!.file, path.join('migrations', '001_create_invoices.sql'));
  });

  test('$greenlight-config matches `greenlight config check` problems; $greenlight-lint does not', async () => {
    writeFileSync(path.join(dir, 'greenlight.yaml'), 'project: shop\nservices:\n  - name: web\n    port: seventy\n');
    const io = captureIo(dir, { NO_COLOR: '1' });
    await runCli(['config', 'check'], io);
    const output = [...io.stdout, ...io.stderr].join('\n');
    const matched = apply('greenlight-config', output);
    assert.equal(matched.length, 1, output);
    assert.equal(path.basename(matched[0]!.file), 'greenlight.yaml');
    assert.equal(matched[0]!.line, 4);
    assert.match(matched[0]!.message, /port/);
    assert.deepEqual(apply('greenlight-lint', output), []);
  });

  test('$greenlight-verify reads the indented location of a failed migration, not the summary lines', () => {
    // The shape formatFailure prints under a ✗ line (the integration test runs a real verify).
    const out = ['  ✗ 002_bad.sql   12 ms  failed', '    migrations/002_bad.sql:3:8: statement 2: syntax error at or near "TABEL"', '', 'verify FAILED: 1 failed (1.2 s)'].join('\n');
    assert.deepEqual(apply('greenlight-verify', out), [{ file: 'migrations/002_bad.sql', line: 3, column: 8, severity: 'error', code: undefined, message: 'statement 2: syntax error at or near "TABEL"' }]);
  });
});
