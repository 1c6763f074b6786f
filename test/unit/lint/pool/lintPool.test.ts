// The lint worker pool: files that hang a parser (prism on nested `begin` or `do … end`) or take
// far too long (8 MB of Python) end within the budget with a "not linted" finding; the pool
// replaces the worker, so the next file of the same language lints normally in the same process.
import * as assert from 'node:assert/strict';
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
});
