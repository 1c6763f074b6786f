// Every SQL rule has a docs page, and the page's examples are true: the "Bad" example triggers
// the rule and the "Good" one does not.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlRules } from '../../../../src/core/lint/languages/sql';
import { lintSql } from '../ruleTester';

const DOCS = join(__dirname, '..', '..', '..', '..', 'docs', 'rules');

function example(page: string, heading: string): string {
  const m = new RegExp(`## ${heading}\\n\\n\`\`\`sql\\n([\\s\\S]*?)\\n\`\`\``).exec(page);
  assert.ok(m, `no ${heading} example`);
  return m[1]!;
}

suite('(unit) lint sql rule docs', () => {
  test('rule codes are unique, kebab-case, sql-prefixed, and carry tags and help', () => {
    const codes = sqlRules.map((r) => r.meta.code);
    assert.equal(new Set(codes).size, codes.length);
    for (const r of sqlRules) {
      assert.match(r.meta.code, /^sql-[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(r.meta.tags.length && r.meta.help && r.meta.description, r.meta.code);
    }
  });
  for (const rule of sqlRules) {
    test(`${rule.meta.code}: docs page exists; Bad triggers it, Good does not`, async () => {
      const file = join(DOCS, `${rule.meta.code}.md`);
      assert.ok(existsSync(file), `missing ${file}`);
      const page = readFileSync(file, 'utf8');
      const bad = await lintSql(example(page, 'Bad'));
      assert.ok(bad.some((f) => f.code === rule.meta.code), `Bad example does not trigger ${rule.meta.code}`);
      const good = await lintSql(example(page, 'Good'));
      assert.deepEqual(good.filter((f) => f.code === rule.meta.code || f.code === 'parse-error').map((f) => f.message), []);
    });
  }
});
