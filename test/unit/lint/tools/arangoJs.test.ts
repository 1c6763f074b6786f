// ArangoDB migrations written as arangojs code: the AQL of aql`…` templates and db.query(…) strings
// is linted by the AQL rules at its place in the .js/.ts file, the schema calls beside it by the
// aql-js-* rules; a syntax error is one parse-error finding, never a crash.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { parseArangoJs } from '../../../../src/core/lint/js/arangojs';
import { LineIndex } from '../../../../src/core/lint/positions';

const linter = createDefaultLinter();

async function found(file: string, text: string): Promise<string[]> {
  const r = await linter.lint(file, text);
  return r.findings.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.code}`);
}

/** line:column of the first occurrence of `needle` (after `after`, when given). */
function at(text: string, needle: string, after = ''): string {
  const i = text.indexOf(needle, after ? text.indexOf(after) : 0);
  assert.ok(i >= 0, `${needle} not in the text`);
  const p = new LineIndex(text).position(i);
  return `${p.line}:${p.column}`;
}

const TS = [
  "import { Database, aql } from 'arangojs';",
  '',
  'export async function up(db: Database): Promise<void> {',
  "  const users = db.collection('users');",
  '  await db.query(aql`',
  '    FOR u IN ${users}',
  '      UPDATE u WITH { visits: u.visits + 1 } IN ${users}',
  '  `);',
  '}',
  '',
].join('\n');

suite('(unit) lint: arangojs migrations in JavaScript and TypeScript', () => {
  test('an aql template with interpolations: the AQL rule fires at the right line and column of the .ts file', async () => {
    assert.deepEqual(await found('migrations/20240101_visits.ts', TS), [`${at(TS, 'visits: u.visits')} aql-update-not-idempotent`]);
  });

  test('interpolations become bind parameters: @@valueN after IN/INTO, @valueN elsewhere', async () => {
    const parsed = await parseArangoJs('const q = aql`FOR u IN ${users} FILTER u.age > ${min} INSERT u INTO ${archive}`;', 'typescript');
    assert.ok(parsed.ok);
    assert.equal(parsed.unit.queries[0]!.aql.value, 'FOR u IN @@value0 FILTER u.age > @value1 INSERT u INTO @@value2');
  });

  test('db.query with a string, an escaped string, an untagged template and { query }', async () => {
    const text = [
      "const { aql } = require('arangojs');",
      'module.exports.up = async (db) => {',
      "  await db.query('FOR s IN settings FILTER s.on UPDATE s WITH { n: s.n + 1 } IN settings');",
      '  await db.query("FOR u IN users\\n  INSERT { x: 1 } INTO log");',
      '  await db.query(`FOR u IN users REMOVE u IN users`);',
      "  await db.query({ query: 'INSERT { k: 1 } INTO things', bindVars: {} });",
      '};',
    ].join('\n');
    assert.deepEqual(await found('migrations/2_x.js', text), [
      `${at(text, 'n: s.n')} aql-update-not-idempotent`,
      `${at(text, 'INSERT { x')} aql-insert-without-guard`,
      `${at(text, 'REMOVE u')} aql-unfiltered-remove`,
      `${at(text, 'INSERT { k')} aql-insert-without-guard`,
    ]);
  });

  test('nested calls: aql fragments and aql.literal are inlined; a query inside a transaction step is found', async () => {
    const text = [
      "import { aql } from 'arangojs';",
      'export async function up(db) {',
      "  const filter = aql`FILTER u.migrated != true`;",
      '  const trx = await db.beginTransaction({ write: ["users"] });',
      '  await trx.step(() => db.query(aql`FOR u IN users ${aql`FILTER u.v == null`} UPDATE u WITH { v: u.v + 1 } IN ${aql.literal("users")}`));',
      '}',
    ].join('\n');
    const parsed = await parseArangoJs(text, 'javascript');
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.unit.queries.map((q) => q.aql.value),
      ['FOR u IN users FILTER u.v == null UPDATE u WITH { v: u.v + 1 } IN users'],
    );
    // The inlined FILTER makes the UPDATE re-run safe; the standalone fragment is not linted as a query.
    assert.deepEqual(await found('migrations/3.mjs', text), []);
    // Run directly, even a fragment is a query, and an invalid one.
    const direct = "import { aql } from 'arangojs';\nexport const up = (db) => db.query(aql`FILTER u.x == 1`);\n";
    assert.deepEqual((await found('migrations/3b.js', direct)).map((c) => c.split(' ')[1]), ['parse-error']);
  });

  test('schema calls: unguarded create/drop/rename are reported, guarded ones and ensureIndex are not, truncate always is', async () => {
    const text = [
      "import { Database } from 'arangojs';",
      'export async function up(db: Database) {',
      "  await db.createCollection('audit');",
      "  if (!(await db.collection('logs').exists())) await db.createCollection('logs');",
      "  const names = (await db.collections()).map((c) => c.name);",
      "  if (!names.includes('events')) { await db.createEdgeCollection('events'); }",
      "  try { await db.createView('search', { type: 'arangosearch' }); } catch (e) { if (e.errorNum !== 1207) throw e; }",
      "  await db.createGraph('g', []).catch(() => undefined);",
      "  const users = db.collection('users');",
      "  await users.ensureIndex({ type: 'persistent', fields: ['email'] });",
      "  await db.collection('tmp').drop();",
      "  await db.collection('people').rename('persons');",
      '  await users.truncate();',
      "  if (await users.exists()) await users.truncate();",
      '}',
      'export async function down(db: Database) {',
      "  const old = db.collection('old');",
      '  if (!(await old.exists())) return;',
      '  await old.drop();',
      '}',
    ].join('\n');
    assert.deepEqual(await found('db/migrations/0004_schema.ts', text), [
      `${at(text, "db.createCollection('audit')")} aql-js-schema-change-unguarded`,
      `${at(text, "db.collection('tmp').drop()")} aql-js-schema-change-unguarded`,
      `${at(text, "db.collection('people')")} aql-js-schema-change-unguarded`,
      `${at(text, 'users.truncate()')} aql-js-truncate-collection`,
      `${at(text, 'users.truncate()', 'if (await users')} aql-js-truncate-collection`,
    ]);
  });

  test('only what runs forward: down functions are left out however they are declared or exported', async () => {
    const esm = [
      "import { ConnectionInterface } from '../connection';",
      'export const up = async (connection: ConnectionInterface) => {',
      "  const table = connection.collection('bases');",
      '  await table.create();',
      "  await table.ensureIndex({ fields: ['id'], unique: true });",
      '};',
      "export const down = (connection: ConnectionInterface) => connection.collection('bases').drop();",
      "export async function rollback(db) { await db.collection('x').drop(); }",
    ].join('\n');
    assert.deepEqual(await found('database/migrations/20221104_create_bases.ts', esm), [`${at(esm, 'table.create()')} aql-js-schema-change-unguarded`]);
    const object = [
      "const { Database } = require('arangojs');",
      'module.exports = {',
      '  async up(db) {',
      "    await db.createCollection('users');",
      '  },',
      '  async down(db) {',
      "    await db.collection('users').drop();",
      '  },',
      '  beforeDown: async (db) => db.query(aql`FOR u IN users REMOVE u IN users`),',
      '};',
      "exports.down = function (db) { return db.collection('users').drop(); };",
    ].join('\n');
    assert.deepEqual(await found('migrations/20250706_create_users.js', object), [`${at(object, "db.createCollection('users')")} aql-js-schema-change-unguarded`]);
  });

  test('a migration that names mongodb, mongoose or migrate-mongo is not an ArangoDB migration, createCollection or not', async () => {
    const text = "module.exports = {\n  async up(db, client) {\n    await db.createCollection('users');\n  },\n};\n// migrate-mongo\n";
    assert.equal((await linter.lint('migrations/20240101-users.js', text)).language, undefined);
    const mongoose = "import mongoose from 'mongoose';\nexport async function up() { await mongoose.connection.db.createCollection('x'); }\n";
    assert.equal((await linter.lint('migrations/1.ts', mongoose)).language, undefined);
  });

  test('host guards: a query run only when an earlier query found nothing, or after an exists check, is not linted; try/catch does not guard a query', async () => {
    const text = [
      "import { aql } from 'arangojs';",
      'export async function up(db) {',
      '  const existing = await db.query(aql`FOR a IN apps FILTER a._key == ${key} RETURN a`);',
      '  if (!existing.length) {',
      '    await db.query(aql`INSERT ${app} INTO apps RETURN NEW`);',
      '  }',
      "  if (!(await db.collectionExists('roles'))) await db.createCollection('roles');",
      '  try {',
      '    await db.query(aql`FOR u IN users UPDATE u WITH { n: u.n + 1 } IN users`);',
      '  } catch (e) {}',
      '  await db.query(aql`INSERT { x: 1 } INTO log`);',
      "  await db.query(aql`FOR v IN values UPDATE v WITH { value: CONCAT('#', v.value) } IN 'core_values'`);",
      '}',
    ].join('\n');
    assert.deepEqual(await found('migrations/9.js', text), [
      `${at(text, 'n: u.n')} aql-update-not-idempotent`,
      `${at(text, 'INSERT { x')} aql-insert-without-guard`,
      `${at(text, "value: CONCAT")} aql-update-not-idempotent`,
    ]);
  });

  test('collection.save/saveAll/import: reported unless an overwrite option, a check of what is there, or (with a _key) a catch guards them', async () => {
    const text = [
      "const { Database } = require('arangojs');",
      'module.exports = {',
      '  async up(db, step) {',
      "    const roles = db.collection('roles');",
      "    await step(async () => await db.collection('todo').save({ name: 'Buy milk' }));",
      "    await roles.save({ _key: 'admin' });",
      "    await roles.save({ _key: 'ops' }, { overwriteMode: 'ignore' });",
      "    await roles.import([{ _key: 'a' }], { onDuplicate: 'ignore' });",
      "    if (!(await roles.documentExists('dev'))) await roles.save({ _key: 'dev' });",
      "    try { await roles.save({ _key: 'qa' }); } catch (e) { if (e.errorNum !== 1210) throw e; }",
      "    try { await roles.saveAll([{ name: 'x' }]); } catch (e) {}",
      "    await user.save();",
      '  },',
      '};',
    ].join('\n');
    assert.deepEqual(await found('migrations/20240101_roles.js', text), [
      `${at(text, "db.collection('todo').save")} aql-js-insert-unguarded`,
      `${at(text, "roles.save({ _key: 'admin' })")} aql-js-insert-unguarded`,
      `${at(text, 'roles.saveAll')} aql-js-insert-unguarded`,
    ]);
  });

  test('a suppression comment in the host file silences an embedded AQL finding and a schema call', async () => {
    const text = [
      "import { aql } from 'arangojs';",
      'export async function up(db) {',
      '  // greenlight-ignore aql-insert-without-guard',
      "  await db.query(aql`INSERT { _key: 'admin' } INTO roles`);",
      '  // greenlight-ignore aql-js-schema-change-unguarded',
      "  await db.createCollection('audit');",
      "  await db.createCollection('other');",
      '}',
    ].join('\n');
    assert.deepEqual(await found('migrations/5.js', text), [`${at(text, "db.createCollection('other')")} aql-js-schema-change-unguarded`]);
  });

  test('a syntax error is one parse-error finding at its place, for JavaScript and TypeScript', async () => {
    const js = "const { aql } = require('arangojs');\nmodule.exports = async (db) => {\n  await db.query(aql`FOR x IN y RETURN x`;\n};\n";
    const r = await linter.lint('migrations/6.js', js);
    assert.deepEqual(r.findings.map((f) => f.code), ['parse-error']);
    assert.equal(r.findings[0]!.startPos.line, 3);
    assert.match(r.findings[0]!.message, /JavaScript syntax error/);
    const ts = "import { aql } from 'arangojs';\nexport async function up(db: Database {\n}\n";
    const t = await linter.lint('migrations/6.ts', ts);
    assert.deepEqual(t.findings.map((f) => f.code), ['parse-error']);
    assert.match(t.findings[0]!.message, /TypeScript syntax error/);
  });

  test('an AQL syntax error inside a template is a parse-error mapped into the file', async () => {
    const text = "import { aql } from 'arangojs';\nexport const up = (db) =>\n  db.query(aql`FOR u IN users UPDATE u WITH { a: 1 IN users`);\n";
    const r = await linter.lint('migrations/7.js', text);
    assert.deepEqual(r.findings.map((f) => [f.code, f.startPos.line]), [['parse-error', 3]]);
  });

  test('positions hold after non-ASCII text and escapes in the template', async () => {
    const text = "import { aql } from 'arangojs';\n// é😀\nexport const up = (db) => db.query(aql`// 😀 \\u00e9\nFOR u IN users UPDATE u WITH { n: u.n + 1 } IN users`);\n";
    assert.deepEqual(await found('migrations/8.js', text), [`${at(text, 'n: u.n')} aql-update-not-idempotent`]);
  });

  test('which files are arangojs migrations: a migrations folder, a script extension and arangojs use', async () => {
    const lang = (file: string, text: string): Promise<string | undefined> => linter.lint(file, text).then((r) => r.language);
    assert.equal(await lang('migrations/1.ts', TS), 'javascript');
    assert.equal(await lang('src/db/migrate/1.cjs', "require('arangojs')"), 'javascript');
    // arango-migrate files may name only their tool, in a JSDoc type import.
    assert.equal(await lang('migrations/1702580991990_initial.js', '/** @typedef { import("arango-migrate").Migration } Migration */\nexport default { async up (db, step) {} }\n'), 'javascript');
    assert.equal(await lang('src/service.ts', TS), undefined);
    assert.equal(await lang('migrations/types.d.ts', TS), undefined);
    // A knex or TypeORM migration with SQL in .query(…) is not an ArangoDB migration.
    assert.equal(await lang('migrations/1_users.js', 'exports.up = (knex) => knex.raw("CREATE TABLE t (id int)");'), undefined);
    assert.equal(await lang('migrations/1_users.ts', 'await queryRunner.query(`CREATE TABLE t (id int)`);'), undefined);
  });

  test('fast-check: random edits of migration scripts never throw, stay inside the text and under 1 s', async function () {
    this.timeout(120000);
    const samples = [TS, "const { aql } = require('arangojs');\nmodule.exports.up = async (db) => {\n  await db.query(`FOR u IN ${c} FILTER u.x == ${v} REMOVE u IN ${c}`);\n  await db.collection('t').drop();\n};\n"];
    const piece = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('`', '${', '}', '(', ')', '"', "'", '\\', '\n', 'aql`', 'db.query(', ' IN ', ' UPDATE ', '😀', '/*', '//'));
    const edit = fc.tuple(fc.nat(), fc.nat({ max: 20 }), piece, fc.constantFrom('insert', 'delete'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...samples), fc.array(edit, { minLength: 1, maxLength: 5 }), fc.constantFrom('migrations/x.js', 'migrations/x.ts'), async (base, edits, file) => {
        let text = base;
        for (const [pos, len, s, op] of edits) {
          const i = pos % (text.length + 1);
          text = op === 'insert' ? text.slice(0, i) + s + text.slice(i) : text.slice(0, i) + text.slice(i + len);
        }
        const t0 = performance.now();
        const r = await linter.lint(file, text);
        assert.ok(performance.now() - t0 < 1000);
        for (const f of r.findings) {
          assert.notEqual(f.code, 'internal-error', f.message);
          assert.ok(f.start >= 0 && f.start <= f.end && f.end <= text.length, `${f.code} ${f.start}-${f.end} outside ${text.length}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('fast-check: the decoded AQL maps every character back to the file character it came from', async function () {
    this.timeout(60000);
    // Plain characters only (escapes and interpolations change the text by design).
    const body = fc.string({ maxLength: 60 }).map((s) => s.replace(/[`\\$\r]/g, 'x'));
    await fc.assert(
      fc.asyncProperty(body, fc.string({ maxLength: 10 }).map((s) => s.replace(/[`\\$]/g, '')), async (aqlText, prefix) => {
        const text = `// ${prefix.replace(/[\r\n]/g, '')}\nawait db.query(aql\`${aqlText}\`);\n`;
        const parsed = await parseArangoJs(text, 'javascript');
        assert.ok(parsed.ok, 'a template of plain characters parses');
        const q = parsed.unit.queries[0]!;
        assert.equal(q.aql.value, aqlText);
        for (let i = 0; i < aqlText.length; i++) assert.equal(text[q.aql.offsets[i]!], aqlText[i]);
      }),
      { numRuns: 150 },
    );
  });

  for (const code of ['aql-js-schema-change-unguarded', 'aql-js-truncate-collection', 'aql-js-insert-unguarded']) {
    test(`${code}: the docs page's Bad example triggers it, the Good one does not`, async () => {
      const page = readFileSync(path.join(__dirname, '..', '..', '..', '..', 'docs', 'rules', `${code}.md`), 'utf8');
      const example = (heading: string): string => /```ts\n([\s\S]*?)\n```/.exec(page.slice(page.indexOf(`## ${heading}`)))![1]!;
      const bad = await linter.lint('migrations/1_doc.ts', example('Bad'));
      assert.ok(bad.findings.some((f) => f.code === code), JSON.stringify(bad.findings.map((f) => f.code)));
      const good = await linter.lint('migrations/1_doc.ts', example('Good'));
      assert.deepEqual(good.findings.map((f) => f.code), []);
    });
  }
});
