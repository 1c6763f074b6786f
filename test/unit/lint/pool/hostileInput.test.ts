// Hostile lint input end to end: the CLI verb and the language server both lint through the
// worker pool, so a seed that hangs prism ends with a "not linted" finding (the CLI exits instead
// of hanging) and the service keeps answering requests meanwhile. The text report of 40,000
// findings grows linearly with their number.
import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runLint, workerPoolRunner, type LintCommandOptions } from '../../../../src/cli/commands/lint';
import type { CliIo } from '../../../../src/cli/io';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { LintPool } from '../../../../src/core/lint/pool/lintPool';
import type { LintReport } from '../../../../src/core/lint/report/model';
import { formatText } from '../../../../src/core/lint/report/text';
import type { Finding, LintResult } from '../../../../src/core/lint/types';
import { startSession, type Session } from '../service/harness';
import { BEGIN_SEED } from './hostileSeeds';

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-hostile-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

suite('(unit) lint hostile input: CLI, service, report', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  suiteTeardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('`greenlight lint` on the begin seed and a normal migration finishes: not-linted for the seed, findings for the rest, exit 1', async () => {
    const dir = workspace({ 'db/seeds/begin.rb': BEGIN_SEED, 'migrations/001.sql': 'CREATE TABLE t (id int);\n' });
    dirs.push(dir);
    const out: string[] = [];
    const io: CliIo = { cwd: dir, env: {}, out: (t) => out.push(t), err: () => undefined, exit: () => undefined };
    const opts: LintCommandOptions = { format: 'text', failOn: 'warning', config: 'greenlight.yaml', rule: [], maxFileMs: '3000' };
    const code = await runLint(['db/seeds/begin.rb', 'migrations'], opts, io, createDefaultLinter(), '1', workerPoolRunner);
    assert.equal(code, 1);
    const text = out.join('\n');
    assert.match(text, /^db\/seeds\/begin\.rb:1:1: error not-linted: not linted: exceeded the 3000 ms time budget for one file$/m);
    assert.match(text, /^migrations\/001\.sql:1:1: error sql-create-table-if-not-exists: /m);
  });

  test('a bad --max-file-ms is a usage error naming the flag', async () => {
    const io: CliIo = { cwd: tmpdir(), env: {}, out: () => undefined, err: () => undefined, exit: () => undefined };
    await assert.rejects(runLint(['x.sql'], { format: 'text', failOn: 'warning', config: 'greenlight.yaml', rule: [], maxFileMs: '10s' }, io, createDefaultLinter(), '1', workerPoolRunner), /--max-file-ms "10s": expected a positive whole number/);
  });

  test('the language server answers requests while a seed hangs a parser, then shows not-linted for it', async () => {
    const root = workspace({ 'greenlight.yaml': 'project: p\nservices: []\ndatabase:\n  kind: postgres\n  migrations: db/migrate\n  seeds: [db/seeds]\nenvironments: {}\n' });
    dirs.push(root);
    const pool = new LintPool({ size: 1, budget: { timeMs: 4000 } });
    let s: Session | undefined;
    try {
      s = await startSession(root, createDefaultLinter, root, {}, {}, pool);
      const file = path.join(root, 'db/seeds/begin.rb');
      const diagnostics = s.next(file, (d) => d.length > 0, 60_000);
      s.open(file, BEGIN_SEED);
      // Give the worker time to be inside prism, then ask the server: it must answer at once.
      await new Promise((r) => setTimeout(r, 1500));
      const asked = Date.now();
      assert.equal(await s.client.sendRequest('test/ping'), 'pong');
      const answeredIn = Date.now() - asked;
      const ds = await diagnostics;
      assert.deepEqual(ds.map((d) => d.code), ['not-linted']);
      assert.match(String(ds[0]!.message), /^not linted: exceeded the 4000 ms time budget for one file\n/);
      // Answered while the file was still being linted (the diagnostics came later), and quickly.
      assert.ok(answeredIn < 1000, `the ping took ${answeredIn} ms`);
    } finally {
      s?.dispose();
      await pool.close();
    }
  });

  test('the text report is linear in the number of findings: 40,000 findings split their file once', () => {
    const report = (n: number): LintReport => {
      const lines = Array.from({ length: n }, (_, i) => `INSERT INTO t VALUES (${i});`);
      const text = lines.join('\n');
      let offset = 0;
      const findings: Finding[] = lines.map((l, i) => {
        const f: Finding = { code: 'x', severity: 'warning', message: 'm', help: 'h', tags: [], start: offset, end: offset + l.length, startPos: { line: i + 1, column: 1 }, endPos: { line: i + 1, column: l.length + 1 } };
        offset += l.length + 1;
        return f;
      });
      const result: LintResult = { file: '/p/a.sql', language: 'sql', findings };
      return { results: [result], texts: new Map([['/p/a.sql', text]]), rules: [], cwd: '/p', docsUri: (c) => c, toolVersion: '1' };
    };
    // Counts the characters the report splits into lines: once per file when linear, once per
    // finding (40,000 × the whole text) when quadratic. Deterministic, unlike a timing.
    const splitChars = (r: LintReport): number => {
      const split = String.prototype.split;
      let chars = 0;
      String.prototype.split = function (this: string, ...args: unknown[]) {
        chars += this.length;
        return (split as (...a: unknown[]) => string[]).apply(this, args);
      } as typeof String.prototype.split;
      try {
        formatText(r);
      } finally {
        String.prototype.split = split;
      }
      return chars;
    };
    const small = report(10_000);
    const large = report(40_000);
    const textLength = (r: LintReport): number => [...r.texts.values()][0]!.length;
    assert.ok(splitChars(large) <= 2 * textLength(large), `the report split ${splitChars(large)} characters of a ${textLength(large)}-character file`);
    assert.ok(splitChars(large) / splitChars(small) < 5, 'the work grows faster than the findings');
    assert.equal(formatText(large).split('\n').length, 40_000 * 5 + 1);
  });
});
