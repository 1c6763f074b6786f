// Every AQL, ArangoDB JSON, arangojs script, seed and Django rule has its docs page with the four sections, and its
// meta is complete (code prefix, description, help, tags).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';

const DOCS = path.join(__dirname, '..', '..', '..', '..', 'docs', 'rules');
const PREFIX: Record<string, RegExp> = { aql: /^aql-/, 'arango-json': /^aql-json-/, javascript: /^aql-js-/, ruby: /^seed-/, python: /^django-/ };

suite('(unit) lint aql/seed/django rule docs', () => {
  const rules = createDefaultLinter().rules.filter((r) => r.meta.language in PREFIX);
  test('there are rules for all five languages', () => {
    assert.deepEqual([...new Set(rules.map((r) => r.meta.language))].sort(), ['aql', 'arango-json', 'javascript', 'python', 'ruby']);
  });
  for (const r of rules) {
    test(`${r.meta.code} has a docs page and complete meta`, () => {
      const { code, language, description, help, tags } = r.meta;
      assert.match(code, PREFIX[language]!);
      assert.match(code, /^[a-z][a-z0-9-]*$/);
      assert.ok(description.length > 20 && help.length > 20 && tags.length > 0);
      const file = path.join(DOCS, `${code}.md`);
      assert.ok(existsSync(file), `${file} is missing`);
      const page = readFileSync(file, 'utf8');
      assert.ok(page.startsWith(`# ${code}\n`));
      for (const h of ['## Problem', '## Bad', '## Good', '## Fix']) assert.ok(page.includes(h), `${code}: missing ${h}`);
    });
  }
});
