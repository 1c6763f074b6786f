// Valid/invalid tables for the ArangoDB JSON schema-migration rules, and AQL embedded in "aql"
// operations with positions mapped back through JSON escapes.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { parseSchemaOps } from '../../../../src/core/migrate/arango/schemaOps';
import { ruleTester } from '../ruleTester';

const linter = createDefaultLinter();
const F = 'migrations/0002_schema.json';
const wrap = (...ops: string[]): string => `{\n  "operations": [\n${ops.map((o) => `    ${o}`).join(',\n')}\n  ]\n}\n`;

suite('(unit) lint arango json rules', () => {
  test('create, drop and rename operations are not flagged: the runner applies them idempotently (one contract)', async () => {
    const text = wrap(
      '{ "type": "create_collection", "name": "users" }',
      '{ "type": "create_graph", "name": "social", "ifNotExists": false }',
      '{ "type": "drop_collection", "name": "tmp" }',
      '{ "type": "drop_index", "collection": "users", "name": "idx_old" }',
      '{ "type": "rename_collection", "from": "people", "to": "users" }',
      '{ "type": "ensure_index", "collection": "users", "fields": ["email"], "unique": true }',
    );
    assert.deepEqual((await linter.lint(F, text)).findings, []);
    // The runner reads the same file: every operation is one it knows and applies.
    const ops = parseSchemaOps(text, F);
    assert.deepEqual(ops.map((o) => o.op.type), ['create_collection', 'create_graph', 'drop_collection', 'drop_index', 'rename_collection', 'ensure_index']);
    assert.deepEqual(ops[4]!.op, { type: 'rename_collection', name: 'people', to: 'users' });
  });
  test('every ArangoDB JSON file of the lint corpus is accepted by the runner as it is linted', () => {
    const dir = path.join(__dirname, '..', '..', '..', 'fixtures', 'lint-corpus', 'aql');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'labels.json');
    assert.ok(files.length >= 6);
    for (const f of files) assert.doesNotThrow(() => parseSchemaOps(readFileSync(path.join(dir, f), 'utf8'), f), f);
  });
  ruleTester('aql-json-truncate-collection', { linter, file: F,
    valid: [wrap('{ "type": "aql", "query": "FOR s IN sessions FILTER s.expired REMOVE s IN sessions" }')],
    invalid: [{ code: wrap('{ "type": "truncate_collection", "name": "sessions" }'), errors: [{ line: 3, column: 5 }] }],
  });
  ruleTester('aql-json-unknown-operation', { linter, file: F,
    valid: [wrap('{ "type": "drop_view", "name": "v", "ifExists": true }')],
    invalid: [
      { code: wrap('{ "type": "ensureIndex", "collection": "users", "fields": ["a"] }'), errors: [{ line: 3, column: 15, endColumn: 28, message: /did you mean "ensure_index"/ }], output: wrap('{ "type": "ensure_index", "collection": "users", "fields": ["a"] }') },
      { code: wrap('{ "name": "users" }'), errors: [{ line: 3, column: 5, message: /no "type"/ }] },
      { code: wrap('{ "type": "launch_rockets" }'), errors: [{ line: 3, column: 15, message: /Unknown operation type "launch_rockets"\.$/ }] },
    ],
  });

  test('AQL inside an "aql" operation is linted with positions in the JSON file', async () => {
    const text = wrap('{ "type": "aql", "query": "FOR u IN users\\n  UPDATE u WITH { n: u.n + 1, s: \\"\\u00e9\\" } IN users" }');
    const { findings } = await linter.lint(F, text);
    assert.deepEqual(
      findings.map((f) => [f.code, f.startPos.line, f.startPos.column, text.slice(f.start, f.end)]),
      [['aql-update-not-idempotent', 3, 66, 'n: u.n + 1']],
    );
  });

  test('a syntax error in embedded AQL is a parse-error inside the string', async () => {
    const text = wrap('{ "type": "aql", "query": "FOR u IN users FILTER (u.a RETURN u" }');
    const { findings } = await linter.lint(F, text);
    assert.deepEqual(findings.map((f) => [f.code, f.startPos.line, f.startPos.column]), [['parse-error', 3, 54]]);
  });

  test('JSON syntax errors and wrong shapes are one parse-error at the right place', async () => {
    const cases: [string, number, number, RegExp][] = [
      ['{ "operations": [ { "type": "aql", } ] }', 1, 36, /expected a property name/],
      ['{ "operations": { "type": "x" } }', 1, 17, /must be an array/],
      ['{ "operations": [ "create_collection", { "type": "x" } ] }', 1, 19, /must be an object/],
      ['{ "operations": [ { "type": "x\n" } ] }', 1, 29, /unterminated string/],
    ];
    for (const [text, line, column, message] of cases) {
      const { findings } = await linter.lint(F, text);
      assert.equal(findings.length, 1, text);
      assert.equal(findings[0]!.code, 'parse-error');
      assert.deepEqual([findings[0]!.startPos.line, findings[0]!.startPos.column], [line, column], text);
      assert.match(findings[0]!.message, message);
    }
  });

  test('suppression comments apply to the next operation', async () => {
    const text = `{\n  "operations": [\n    // greenlight-ignore aql-json-truncate-collection\n    { "type": "truncate_collection", "name": "a" },\n    { "type": "truncate_collection", "name": "b" }\n  ]\n}`;
    const { findings } = await linter.lint(F, text);
    assert.deepEqual(findings.map((f) => [f.code, f.startPos.line]), [['aql-json-truncate-collection', 5]]);
  });
});
