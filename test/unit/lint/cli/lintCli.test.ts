import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runLint, workerPoolRunner, type CliRunner, type LintCommandOptions, type RunnerFactory } from '../../../../src/cli/commands/lint';
import type { CliIo } from '../../../../src/cli/io';
import { runCli } from '../../../../src/cli/program';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { toyLinter } from '../report/toyLanguage';

interface Captured extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly codes: number[];
}

function captureIo(cwd: string): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const codes: number[] = [];
  return { cwd, env: {}, stdout, stderr, codes, out: (t) => stdout.push(t), err: (t) => stderr.push(t), exit: (c) => codes.push(c) };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-lint-cli-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const DEFAULTS: LintCommandOptions = { format: 'text', failOn: 'warning', config: 'greenlight.yaml', rule: [] };
const CONFIG = 'project: demo\nservices: []\ndatabase:\n  kind: postgres\n  migrations: db/migrations\n  seeds: [db/seeds]\nenvironments: {}\n';

suite('(unit) lint cli: exit codes and outputs (test language)', () => {
  const dirs: string[] = [];
  const mk = (files: Record<string, string>): string => {
    const d = project(files);
    dirs.push(d);
    return d;
  };
  suiteTeardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('a few SQL files are linted on the main thread, a directory in worker threads, with the same findings', async function () {
    this.timeout(60_000);
    const dir = mk({ 'm/001.sql': 'CREATE TABLE t (id int);\n', 'm/002.sql': 'CREATE INDEX i ON t (id);\n', 'm/skip.json': '{}' });
    let runner: CliRunner | undefined;
    const spy: RunnerFactory = (o, r) => (runner = workerPoolRunner(o, r));
    const small = captureIo(dir);
    assert.equal(await runLint(['m/001.sql', 'm/002.sql'], { ...DEFAULTS, format: 'json' }, small, createDefaultLinter(), '1', spy), 1);
    assert.equal(runner?.workersStarted, 0);
    const big = captureIo(dir);
    assert.equal(await runLint(['m'], { ...DEFAULTS, format: 'json' }, big, createDefaultLinter(), '1', spy), 1);
    assert.equal(runner?.workersStarted, 1, 'a directory starts a worker while its files are found');
    assert.deepEqual(JSON.parse(big.stdout.join('')), JSON.parse(small.stdout.join('')));
    assert.match(small.stdout.join(''), /sql-create-table-if-not-exists[\s\S]*sql-create-index-if-not-exists/);
  });

  test('clean files exit 0 and say how many files were checked', async () => {
    const dir = mk({ 'm/001.sql': 'CREATE TABLE IF NOT EXISTS t (id int);\n', 'm/002.sql': 'SELECT 1;\n', 'm/README.md': '# not linted' });
    const io = captureIo(dir);
    assert.equal(await runLint(['m'], DEFAULTS, io, toyLinter(), '1.0.0'), 0);
    assert.deepEqual(io.stdout, ['No problems in 2 files.']);
    assert.deepEqual(io.stderr, []);
  });

  test('a warning exits 1 by default; --fail-on error lets it pass; an error fails --fail-on error; never never fails', async () => {
    const dir = mk({ 'w.sql': 'CREATE TABLE t (id int);\n', 'e.sql': 'TRUNCATE t;\n' });
    assert.equal(await runLint(['w.sql'], DEFAULTS, captureIo(dir), toyLinter(), '1'), 1);
    assert.equal(await runLint(['w.sql'], { ...DEFAULTS, failOn: 'error' }, captureIo(dir), toyLinter(), '1'), 0);
    assert.equal(await runLint(['e.sql'], { ...DEFAULTS, failOn: 'error' }, captureIo(dir), toyLinter(), '1'), 1);
    assert.equal(await runLint(['e.sql', 'w.sql'], { ...DEFAULTS, failOn: 'never' }, captureIo(dir), toyLinter(), '1'), 0);
  });

  test('info findings never fail the run at the default threshold', async () => {
    const dir = mk({ 'i.sql': 'SELECT * FROM t;\n' });
    const io = captureIo(dir);
    assert.equal(await runLint(['i.sql'], DEFAULTS, io, toyLinter(), '1'), 0);
    assert.match(io.stdout.join('\n'), /i\.sql:1:1: info toy-select-star/);
  });

  test('text output names file:line:col, severity, code, message and draws a caret line', async () => {
    const dir = mk({ 'migrations/002_users.sql': '-- users\nCREATE TABLE users (id int);\n' });
    const io = captureIo(dir);
    await runLint(['migrations'], DEFAULTS, io, toyLinter(), '1');
    const out = io.stdout.join('\n');
    assert.match(out, /^migrations\/002_users\.sql:2:1: warning toy-create-table: CREATE TABLE fails when the table already exists$/m);
    assert.match(out, /^ 2 \| CREATE TABLE users \(id int\);\n {3}\| \^{28}$/m);
  });

  test('--rule switches a rule off or changes its severity; a bad --rule is a usage error', async () => {
    const dir = mk({ 'w.sql': 'CREATE TABLE t (id int);\n' });
    assert.equal(await runLint(['w.sql'], { ...DEFAULTS, rule: ['toy-create-table=off'] }, captureIo(dir), toyLinter(), '1'), 0);
    const io = captureIo(dir);
    assert.equal(await runLint(['w.sql'], { ...DEFAULTS, failOn: 'error', rule: ['toy-create-table=error'] }, io, toyLinter(), '1'), 1);
    assert.match(io.stdout.join('\n'), /error toy-create-table/);
    await assert.rejects(runLint(['w.sql'], { ...DEFAULTS, rule: ['toy-create-table'] }, captureIo(dir), toyLinter(), '1'), /expected <code>=off\|error\|warning\|info/);
    await assert.rejects(runLint(['w.sql'], { ...DEFAULTS, rule: ['nope=off'] }, captureIo(dir), toyLinter(), '1'), /unknown rule code "nope"/);
  });

  test('json and sarif go to stdout as one parseable document', async () => {
    const dir = mk({ 'w.sql': 'CREATE TABLE t (id int);\n' });
    const j = captureIo(dir);
    assert.equal(await runLint(['w.sql'], { ...DEFAULTS, format: 'json' }, j, toyLinter(), '1.2.3'), 1);
    const json = JSON.parse(j.stdout.join('\n'));
    assert.equal(json.files[0].findings[0].code, 'toy-create-table');
    const s = captureIo(dir);
    await runLint(['w.sql'], { ...DEFAULTS, format: 'sarif' }, s, toyLinter(), '1.2.3');
    const sarif = JSON.parse(s.stdout.join('\n'));
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs[0].tool.driver.version, '1.2.3');
    assert.equal(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'w.sql');
  });

  test('without paths, lints database.migrations and database.seeds of greenlight.yaml', async () => {
    const dir = mk({
      'greenlight.yaml': CONFIG,
      'db/migrations/001.sql': 'CREATE TABLE a (id int);\n',
      'db/seeds/users.sql': 'TRUNCATE a;\n',
      'elsewhere/x.sql': 'CREATE TABLE b (id int);\n',
    });
    const io = captureIo(dir);
    assert.equal(await runLint([], DEFAULTS, io, toyLinter(), '1'), 1);
    const out = io.stdout.join('\n');
    assert.match(out, /db\/migrations\/001\.sql:1:1: warning toy-create-table/);
    assert.match(out, /db\/seeds\/users\.sql:1:1: error toy-truncate/);
    assert.doesNotMatch(out, /elsewhere/);
    assert.match(out, /2 problems \(1 error, 1 warning\) in 2 of 2 files\./);
  });

  test('a configured seeds path without files is a note, not an error', async () => {
    const dir = mk({ 'greenlight.yaml': CONFIG, 'db/migrations/001.sql': 'SELECT 1;\n' });
    const io = captureIo(dir);
    assert.equal(await runLint([], DEFAULTS, io, toyLinter(), '1'), 0);
    assert.deepEqual(io.stderr, ['note: db/seeds (from greenlight.yaml) has no files to lint']);
  });

  test('a glob argument is expanded; a glob that matches nothing is an error', async () => {
    const dir = mk({ 'a/1.sql': 'TRUNCATE t;\n', 'b/2.sql': 'SELECT 1;\n' });
    const io = captureIo(dir);
    assert.equal(await runLint(['*/1.sql'], { ...DEFAULTS, format: 'json' }, io, toyLinter(), '1'), 1);
    assert.deepEqual(JSON.parse(io.stdout.join('')).files.map((f: { path: string }) => f.path), ['a/1.sql']);
    const none = captureIo(dir);
    assert.equal(await runLint(['zz/*.sql'], DEFAULTS, none, toyLinter(), '1'), 2);
    assert.deepEqual(none.stderr, ['error: zz/*.sql: no files match this pattern']);
  });

  test('an explicitly named file no language handles is skipped with a note', async () => {
    const dir = mk({ 'notes.txt': 'CREATE TABLE t (id int);' });
    const io = captureIo(dir);
    assert.equal(await runLint(['notes.txt'], DEFAULTS, io, toyLinter(), '1'), 0);
    assert.deepEqual(io.stderr, ['note: notes.txt: skipped: not a migration or seed file Greenlight can lint']);
  });

  test('an unreadable file exits 2 naming the file and why, after reporting the files it could read', async () => {
    const dir = mk({ 'ok.sql': 'CREATE TABLE t (id int);\n' });
    symlinkSync('loop.sql', path.join(dir, 'loop.sql'));
    const io = captureIo(dir);
    assert.equal(await runLint(['ok.sql', 'loop.sql', 'missing.sql'], DEFAULTS, io, toyLinter(), '1'), 2);
    assert.match(io.stdout.join('\n'), /ok\.sql:1:1: warning toy-create-table/);
    assert.deepEqual(io.stderr, [
      'error: loop.sql: cannot read: too many levels of symbolic links (ELOOP)',
      'error: missing.sql: cannot read: no such file or directory (ENOENT)',
    ]);
  });
});

suite('(unit) lint cli: runCli (the real program)', () => {
  const dirs: string[] = [];
  const mk = (files: Record<string, string>): string => {
    const d = project(files);
    dirs.push(d);
    return d;
  };
  suiteTeardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('`lint` is registered with its options in the help', async () => {
    const io = captureIo(mk({}));
    assert.equal(await runCli(['lint', '--help'], io), 0);
    const help = io.stdout.join('\n').replace(/\s+/g, ' ');
    for (const s of ['--format <format>', '"text", "json", "sarif"', '--fail-on <level>', '"error", "warning", "never"', 'default: "warning"', '[paths...]']) assert.ok(help.includes(s), `help mentions ${s}:\n${help}`);
  });

  test('a bad --format or --fail-on is a usage error: exit 2', async () => {
    const dir = mk({});
    const a = captureIo(dir);
    assert.equal(await runCli(['lint', '--format', 'xml', '.'], a), 2);
    assert.match(a.stderr.join('\n'), /argument 'xml' is invalid/);
    const b = captureIo(dir);
    assert.equal(await runCli(['lint', '--fail-on', 'sometimes', '.'], b), 2);
  });

  test('a missing path exits 2 with the file name and the reason', async () => {
    const io = captureIo(mk({}));
    assert.equal(await runCli(['lint', 'migrations/nope.sql'], io), 2);
    assert.ok(io.stderr.includes('error: migrations/nope.sql: cannot read: no such file or directory (ENOENT)'), io.stderr.join('\n'));
  });

  test('no paths and no greenlight.yaml: exit 2 saying what to do', async () => {
    const io = captureIo(mk({}));
    assert.equal(await runCli(['lint'], io), 2);
    assert.match(io.stderr.join('\n'), /error: no paths given and greenlight\.yaml not found; pass files or directories to lint, or create greenlight\.yaml/);
  });

  test('an invalid greenlight.yaml: exit 2 with its problems as file:line:col', async () => {
    const io = captureIo(mk({ 'greenlight.yaml': 'project: demo\nservices: []\ndatabase:\n  kind: mysql\n' }));
    assert.equal(await runCli(['lint'], io), 2);
    const err = io.stderr.join('\n');
    assert.match(err, /^greenlight\.yaml:4:9: database\.kind: expected one of "postgres", "arangodb"$/m);
    assert.match(err, /error: greenlight\.yaml is invalid \(1 problem\); fix it or pass paths to lint/);
  });

  test('a greenlight.yaml without a database section: exit 2', async () => {
    const io = captureIo(mk({ 'greenlight.yaml': 'project: demo\nservices: []\nenvironments: {}\n' }));
    assert.equal(await runCli(['lint'], io), 2);
    assert.match(io.stderr.join('\n'), /declares no database/);
  });
});

suite('(unit) lint cli: real SQL through runCli', () => {
  const repo = path.resolve(__dirname, '../../../..');
  const dirs: string[] = [];
  suiteTeardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('the demo migrations: exactly the files named not_idempotent are flagged, exit 1', async () => {
    const io = captureIo(repo);
    assert.equal(await runCli(['lint', 'migrations/', '--format', 'json'], io), 1);
    const json = JSON.parse(io.stdout.join('\n')) as { files: { path: string; findings: { code: string; line: number; column: number; tags: string[] }[] }[] };
    const flagged = json.files.filter((f) => f.findings.length).map((f) => f.path);
    assert.deepEqual(flagged, ['migrations/004_not_idempotent_add_price.sql', 'migrations/005_not_idempotent_raise_prices.sql']);
    assert.ok(json.files.length >= 6, 'seeds under migrations/seeds are included');
    const f = json.files.find((x) => x.path.startsWith('migrations/004'))!.findings[0]!;
    assert.deepEqual([f.code, f.line, f.column], ['sql-add-column-if-not-exists', 3, 1]);
    assert.ok(f.tags.includes('idempotency'));
  });

  test('guarded SQL is clean (exit 0); a suppression comment silences its statement', async () => {
    const dir = project({
      'ok.sql': 'CREATE TABLE IF NOT EXISTS t (id int);\nALTER TABLE t ADD COLUMN IF NOT EXISTS n int;\n',
      'ignored.sql': '-- greenlight-ignore sql-create-table-if-not-exists\nCREATE TABLE t (id int);\n',
    });
    dirs.push(dir);
    const io = captureIo(dir);
    assert.equal(await runCli(['lint', 'ok.sql', 'ignored.sql'], io), 0);
    assert.deepEqual(io.stdout, ['No problems in 2 files.']);
  });

  test('unparseable SQL is one parse-error at the right place, exit 1, and SARIF lists every SQL rule', async () => {
    const dir = project({ 'broken.sql': 'SELECT 1;\nCREATE TABLE (;\n' });
    dirs.push(dir);
    const text = captureIo(dir);
    assert.equal(await runCli(['lint', 'broken.sql'], text), 1);
    assert.match(text.stdout.join('\n'), /^broken\.sql:2:\d+: error parse-error: /m);
    const sarifIo = captureIo(dir);
    assert.equal(await runCli(['lint', 'broken.sql', '--format', 'sarif'], sarifIo), 1);
    const sarif = JSON.parse(sarifIo.stdout.join('\n'));
    const rules = sarif.runs[0].tool.driver.rules as { id: string; helpUri: string; properties: { tags: string[] } }[];
    const sqlRules = rules.filter((r) => r.id.startsWith('sql-'));
    assert.ok(sqlRules.length >= 10, `every SQL rule is listed (${sqlRules.length})`);
    const metas = new Map(createDefaultLinter().rules.map((r) => [r.meta.code, r.meta]));
    assert.deepEqual(rules.filter((r) => metas.has(r.id)).length, metas.size, 'every rule of the linter is listed');
    for (const r of sqlRules) {
      assert.deepEqual(r.properties.tags, metas.get(r.id)!.tags, `${r.id} carries its tags`);
      assert.match(r.helpUri, new RegExp(`^file:///.*/docs/rules/${r.id}\\.md$`));
    }
    assert.ok(sqlRules.filter((r) => r.properties.tags.includes('idempotency')).length >= 10, 'the idempotency rules carry the tag');
    assert.equal(sarif.runs[0].results[0].ruleId, 'parse-error');
    assert.equal(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine, 2);
  });

  test('--fail-on error still fails on SQL errors; --fail-on never does not', async () => {
    const dir = project({ 'bad.sql': 'CREATE TABLE t (id int);\n' });
    dirs.push(dir);
    assert.equal(await runCli(['lint', 'bad.sql', '--fail-on', 'never'], captureIo(dir)), 0);
    const io = captureIo(dir);
    const code = await runCli(['lint', 'bad.sql', '--fail-on', 'error', '--format', 'json'], io);
    const sev = JSON.parse(io.stdout.join('\n')).files[0].findings[0].severity as string;
    assert.equal(code, sev === 'error' ? 1 : 0);
  });
});

suite('(unit) lint cli: standard input and the lint block of greenlight.yaml', () => {
  const dirs: string[] = [];
  suiteTeardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const mk = (files: Record<string, string>): string => {
    const d = project(files);
    dirs.push(d);
    return d;
  };
  const withStdin = (io: Captured, text: string): Captured => ({ ...io, readStdin: async () => text });
  const WITH_LINT = (block: string): string => CONFIG + block;

  test('`lint -` reads standard input as stdin.sql by default, positions and exit code as for a file', async () => {
    const io = withStdin(captureIo(mk({})), 'SELECT 1;\n  CREATE TABLE t (id int);\n');
    assert.equal(await runCli(['lint', '-'], io), 1);
    assert.match(io.stdout.join('\n'), /^stdin\.sql:2:3: error sql-create-table-if-not-exists: /m);
  });

  test('--stdin-filename picks the language and the name in the report (AQL, a goose file, a down file)', async () => {
    const dir = mk({});
    const aql = withStdin(captureIo(dir), 'FOR u IN users\n  UPDATE u WITH { visits: u.visits + 1 } IN users\n');
    assert.equal(await runCli(['lint', '-', '--stdin-filename', 'db/002_visits.aql', '--format', 'json'], aql), 1);
    const json = JSON.parse(aql.stdout.join('\n')) as { files: { path: string; findings: { code: string; line: number }[] }[] };
    assert.equal(json.files[0]!.path, 'db/002_visits.aql');
    assert.deepEqual(json.files[0]!.findings.map((f) => [f.code, f.line]), [['aql-update-not-idempotent', 2]]);
    const goose = withStdin(captureIo(dir), '-- +goose Up\nCREATE TABLE IF NOT EXISTS t (id int);\n-- +goose Down\nDROP TABLE t;\n');
    assert.equal(await runCli(['lint', '-', '--stdin-filename', 'migrations/1_t.sql'], goose), 0);
    const down = withStdin(captureIo(dir), 'DROP TABLE t;\n');
    assert.equal(await runCli(['lint', '-', '--stdin-filename', 'migrations/1_t.down.sql'], down), 0);
    assert.match(down.stderr.join('\n'), /1_t\.down\.sql: skipped: not a migration or seed file/);
  });

  test('`-` with other paths, or --stdin-filename without `-`, is a usage error', async () => {
    const dir = mk({ 'a.sql': 'SELECT 1;\n' });
    const a = withStdin(captureIo(dir), '');
    assert.equal(await runCli(['lint', '-', 'a.sql'], a), 2);
    assert.match(a.stderr.join('\n'), /cannot be combined with other paths/);
    const b = captureIo(dir);
    assert.equal(await runCli(['lint', 'a.sql', '--stdin-filename', 'x.sql'], b), 2);
    assert.match(b.stderr.join('\n'), /--stdin-filename needs the path "-"/);
  });

  test('lint.rules of greenlight.yaml apply to paths, to the configured paths and to stdin; --rule overrides them', async () => {
    const dir = mk({
      'greenlight.yaml': WITH_LINT('lint:\n  rules:\n    sql-create-table-if-not-exists: warning\n    sql-insert-without-conflict-handling: off\n'),
      'db/migrations/001.sql': 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n',
    });
    // Both rules report errors by default: with the yaml, one is a warning and the other is off.
    const viaConfig = captureIo(dir);
    assert.equal(await runCli(['lint', '--fail-on', 'error'], viaConfig), 0);
    assert.match(viaConfig.stdout.join('\n'), /001\.sql:1:1: warning sql-create-table-if-not-exists/);
    assert.doesNotMatch(viaConfig.stdout.join('\n'), /sql-insert-without-conflict-handling/);
    const viaPath = captureIo(dir);
    assert.equal(await runCli(['lint', 'db/migrations/001.sql', '--fail-on', 'error'], viaPath), 0);
    assert.match(viaPath.stdout.join('\n'), /warning sql-create-table-if-not-exists/);
    const viaStdin = withStdin(captureIo(dir), 'CREATE TABLE t (id int);\n');
    assert.equal(await runCli(['lint', '-', '--fail-on', 'error'], viaStdin), 0);
    assert.match(viaStdin.stdout.join('\n'), /stdin\.sql:1:1: warning sql-create-table-if-not-exists/);
    const overridden = captureIo(dir);
    assert.equal(await runCli(['lint', 'db/migrations/001.sql', '--fail-on', 'error', '--rule', 'sql-create-table-if-not-exists=info', '--rule', 'sql-insert-without-conflict-handling=error'], overridden), 1);
    assert.match(overridden.stdout.join('\n'), /info sql-create-table-if-not-exists/);
    assert.match(overridden.stdout.join('\n'), /error sql-insert-without-conflict-handling/);
  });

  test('a run on paths reads greenlight.yaml only when it can hold a lint block: an invalid file without one is not even warned about', async () => {
    // Without the word "lint" the file cannot hold the block, so the loader is not loaded at all.
    const noBlock = mk({ 'greenlight.yaml': 'project: demo\nservices: []\ndatabase:\n  kind: mysql\n', 'a.sql': 'CREATE TABLE t (id int);\n' });
    const quiet = captureIo(noBlock);
    assert.equal(await runCli(['lint', 'a.sql'], quiet), 1);
    assert.match(quiet.stdout.join('\n'), /a\.sql:1:1: error sql-create-table-if-not-exists/);
    assert.deepEqual(quiet.stderr, []);
    // The same invalid file with a lint block: loaded, and its lint settings are not used, with a warning.
    const withBlock = mk({ 'greenlight.yaml': 'project: demo\nservices: []\ndatabase:\n  kind: mysql\nlint:\n  rules:\n    sql-create-table-if-not-exists: off\n', 'a.sql': 'CREATE TABLE t (id int);\n' });
    const warned = captureIo(withBlock);
    assert.equal(await runCli(['lint', 'a.sql'], warned), 1);
    assert.match(warned.stderr.join('\n'), /greenlight\.yaml is invalid, so its lint settings are not used/);
    const { mayHoldLintBlock } = await import('../../../../src/core/lint/projectLintConfig');
    assert.equal(mayHoldLintBlock('project: x\n'), false);
    assert.equal(mayHoldLintBlock('"\\x6cint": {}\n'), true, 'an escaped key could spell it');
    assert.equal(mayHoldLintBlock('{lint: {rules: {}}}'), true);
  });

  test('lint.paths adds files to a run without paths', async () => {
    const dir = mk({
      'greenlight.yaml': WITH_LINT('lint:\n  paths: [extra/*.sql]\n'),
      'db/migrations/001.sql': 'SELECT 1;\n',
      'extra/002.sql': 'CREATE TABLE t (id int);\n',
    });
    const io = captureIo(dir);
    assert.equal(await runCli(['lint'], io), 1);
    assert.match(io.stdout.join('\n'), /extra\/002\.sql:1:1: error sql-create-table-if-not-exists/);
  });

  test('an unknown rule code in lint.rules is an input error naming greenlight.yaml:line; a wrong level is a config problem', async () => {
    const dir = mk({ 'greenlight.yaml': WITH_LINT('lint:\n  rules:\n    sql-create-tabel-if-not-exists: off\n'), 'a.sql': 'SELECT 1;\n' });
    const io = captureIo(dir);
    assert.equal(await runCli(['lint', 'a.sql'], io), 2);
    assert.match(io.stderr.join('\n'), /greenlight\.yaml:10: lint\.rules: unknown rule code "sql-create-tabel-if-not-exists"/);
    const bad = mk({ 'greenlight.yaml': WITH_LINT('lint:\n  rules:\n    sql-create-table-if-not-exists: loud\n') });
    const io2 = captureIo(bad);
    assert.equal(await runCli(['lint'], io2), 2);
    assert.match(io2.stderr.join('\n'), /greenlight\.yaml:10:\d+: .*lint\.rules/);
  });
});
