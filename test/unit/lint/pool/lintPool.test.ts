// The lint worker pool: files that hang a parser (prism on nested `begin` or `do … end`) or take
// far too long (8 MB of Python) end within the budget with a "not linted" finding; the pool
// replaces the worker, so the next file of the same language lints normally in the same process.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LintPool } from '../../../../src/core/lint/pool/lintPool';
import { NOT_LINTED_CODE } from '../../../../src/core/lint/pool/budget';
import { BEGIN_SEED, NESTED_DO_SEED } from './hostileSeeds';

const GOOD_SEED = 'User.find_or_create_by!(email: "a@example.com")\n';
const GOOD_MIGRATION = 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = []\n';

suite('(unit) lint pool: budgets and recovery', function () {
  this.timeout(120_000);
  let pool: LintPool;
  setup(() => {
    pool = new LintPool({ size: 1, budget: { timeMs: 3000 } });
  });
  teardown(() => pool.close());

  for (const [name, text] of [
    ['160 lines of begin', BEGIN_SEED],
    ['170 nested do … end blocks', NESTED_DO_SEED],
  ] as const) {
    test(`a seed with ${name} ends with a not-linted finding within the budget; the next seed lints normally`, async () => {
      const t0 = Date.now();
      const hung = await pool.lint('/p/db/seeds/hang.rb', text);
      assert.ok(Date.now() - t0 < 60_000, 'the hang was not cut off');
      assert.deepEqual(
        hung.findings.map((f) => [f.code, f.severity, f.message, f.startPos.line]),
        [[NOT_LINTED_CODE, 'error', 'not linted: exceeded the 3000 ms time budget for one file', 1]],
      );
      const next = await pool.lint('/p/db/seeds/good.rb', GOOD_SEED);
      assert.equal(next.language, 'ruby');
      assert.deepEqual(next.findings, []);
      assert.equal(pool.started, 2, 'the hung worker was replaced by exactly one new worker');
    });
  }

  test('after 8 MB of junk Python over the budget, a valid migration in the same process lints clean', async () => {
    const junk = `x = ${'1,'.repeat(4 * 1024 * 1024)}\n`;
    const r = await pool.lint('/p/app/migrations/0002_junk.py', junk);
    assert.deepEqual(r.findings.map((f) => f.code), [NOT_LINTED_CODE]);
    const ok = await pool.lint('/p/app/migrations/0003_ok.py', GOOD_MIGRATION);
    assert.equal(ok.language, 'python');
    assert.deepEqual(ok.findings, []);
  });

  test('results from the pool equal the in-thread engine’s, and files are spread over the workers', async () => {
    const { createDefaultLinter } = await import('../../../../src/core/lint/defaultLinter');
    const linter = createDefaultLinter();
    const two = new LintPool({ size: 2, budget: { timeMs: 60_000 } });
    try {
      const files = Array.from({ length: 24 }, (_, i) => [`/p/migrations/${i}.sql`, `CREATE TABLE t${i} (id int);\nINSERT INTO t${i} VALUES (${i});\n`] as const);
      const pooled = await Promise.all(files.map(([f, t]) => two.lint(f, t)));
      const local = await Promise.all(files.map(([f, t]) => linter.lint(f, t)));
      assert.deepEqual(pooled, local);
      assert.equal(two.started, 2);
    } finally {
      await two.close();
    }
  });

  test('lintFiles: the workers read the files, skip what no language lints, say what they cannot read, and answer like the engine', async () => {
    const { createDefaultLinter } = await import('../../../../src/core/lint/defaultLinter');
    const linter = createDefaultLinter();
    const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-pool-files-'));
    const two = new LintPool({ size: 2, budget: { timeMs: 60_000 } });
    try {
      const texts = Array.from({ length: 150 }, (_, i) => `CREATE TABLE t${i} (id int);\nINSERT INTO t${i} VALUES (${i});\n`);
      const files = texts.map((t, i) => {
        const f = path.join(dir, `${String(i).padStart(3, '0')}.sql`);
        writeFileSync(f, t);
        return f;
      });
      writeFileSync(path.join(dir, 'package.json'), '{"name": "x"}');
      const items = [...files.map((file) => ({ file })), { file: path.join(dir, 'package.json') }, { file: path.join(dir, 'missing.sql') }, { file: path.join(dir, 'given.sql'), text: 'DROP TABLE a;\n' }];
      const outcomes = await two.lintFiles(items);
      assert.equal(outcomes.length, items.length);
      for (let i = 0; i < files.length; i++) assert.deepEqual(outcomes[i], { kind: 'linted', result: await linter.lint(files[i]!, texts[i]!) });
      assert.deepEqual(outcomes[150], { kind: 'skipped' });
      assert.deepEqual(outcomes[151], { kind: 'unread', reason: 'no such file or directory (ENOENT)' });
      assert.deepEqual(outcomes[152], { kind: 'linted', result: await linter.lint(path.join(dir, 'given.sql'), 'DROP TABLE a;\n') });
      assert.equal(two.started, 2, '150 files are worth a second worker');
    } finally {
      await two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Seven files on one worker go out as batches of 3, 2, 1 and 1, the second sent while the
  // first runs: a hang in the middle of the first, and in the batch sent ahead.
  for (const hung of [1, 4]) {
    test(`lintFiles: a file that hangs its parser (file ${hung + 1} of 7) is the only one not linted; the other files sent to its worker lint on a new one`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-pool-hang-'));
      try {
        const items = Array.from({ length: 7 }, (_, i) => ({ file: path.join(dir, 'db', 'seeds', `${i}.rb`), text: i === hung ? BEGIN_SEED : GOOD_SEED }));
        const outcomes = await pool.lintFiles(items);
        const messages = outcomes.map((o) => (o.kind === 'linted' ? o.result.findings.map((f) => f.message) : o.kind));
        assert.deepEqual(
          messages,
          items.map((_, i) => (i === hung ? ['not linted: exceeded the 3000 ms time budget for one file'] : [])),
        );
        outcomes.forEach((o, i) => i !== hung && assert.equal(o.kind === 'linted' && o.result.language, 'ruby'));
        assert.equal(pool.started, 2, 'the hung worker was replaced by exactly one new worker');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
