// The $greenlight-verify problem matcher of package.json against real `greenlight migrate verify`
// runs (embedded PGlite): a statement that does not parse, one that fails when run, and a
// migration that is not idempotent must each become one Problems entry at the right file and
// line, and the migrations that pass none.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../../src/cli/program';
import { captureIo } from '../../unit/cli/captureIo';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { problemMatchers: { name: string; pattern: { regexp: string; file: number; line: number; column: number; message: number } }[] };
};

/** Runs `greenlight migrate verify` on a project with these migrations; what the matcher makes of its output. */
async function verifyProblems(migrations: Record<string, string>): Promise<{ dir: string; output: string; found: { file: string; line: number; message: string }[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-verify-matcher-'));
  mkdirSync(path.join(dir, 'migrations'));
  writeFileSync(path.join(dir, 'greenlight.yaml'), 'project: matcher\ndatabase:\n  kind: postgres\n  migrations: migrations\n');
  for (const [name, sql] of Object.entries(migrations)) writeFileSync(path.join(dir, 'migrations', name), sql);
  const io = captureIo(dir, { NO_COLOR: '1' });
  const code = await runCli(['migrate', 'verify'], io);
  const output = [...io.stdout, ...io.stderr].join('\n');
  assert.notEqual(code, 0, output);
  const m = manifest.contributes.problemMatchers.find((x) => x.name === 'greenlight-verify')!;
  const re = new RegExp(m.pattern.regexp);
  const found = output.split(/\r?\n/).flatMap((l) => {
    const g = re.exec(l);
    return g ? [{ file: path.resolve(dir, g[m.pattern.file]!), line: Number(g[m.pattern.line]), message: g[m.pattern.message]! }] : [];
  });
  return { dir, output, found };
}

suite('(integration) migrate verify output and the $greenlight-verify task problem matcher', () => {
  const dirs: string[] = [];
  suiteTeardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const OK = 'CREATE TABLE IF NOT EXISTS a (id int);\n';

  test('a statement that does not parse: one error at its file and line', async () => {
    const r = await verifyProblems({ '001_ok.sql': OK, '002_bad.sql': '-- a typo\nCREATE TABLE IF NOT EXISTS b (id int);\n\nCREATE TABEL c (id int);\n' });
    dirs.push(r.dir);
    assert.deepEqual(r.found.map((f) => [f.file, f.line]), [[path.join(r.dir, 'migrations/002_bad.sql'), 4]], r.output);
    assert.match(r.found[0]!.message, /TABEL/);
  });

  test('a statement that fails when run: one error at its file and line', async () => {
    const r = await verifyProblems({ '001_ok.sql': OK, '002_bad.sql': '-- x\nCREATE TABLE IF NOT EXISTS b (id int);\n\nINSERT INTO nope VALUES (1);\n' });
    dirs.push(r.dir);
    assert.deepEqual(r.found.map((f) => [f.file, f.line]), [[path.join(r.dir, 'migrations/002_bad.sql'), 4]], r.output);
    assert.match(r.found[0]!.message, /relation "nope" does not exist/);
  });

  test('a migration that is not idempotent: one error at the statement that fails the second time', async () => {
    const r = await verifyProblems({ '001_ok.sql': OK, '002_twice.sql': '-- y\nCREATE TABLE c (id int);\n' });
    dirs.push(r.dir);
    assert.deepEqual(r.found.map((f) => [f.file, f.line]), [[path.join(r.dir, 'migrations/002_twice.sql'), 2]], r.output);
    assert.match(r.found[0]!.message, /already exists/);
  });
});
