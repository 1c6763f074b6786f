// Statement-by-statement parsing with a cache: the splitter finds the same statements and
// comments PostgreSQL does, an edit re-parses only the statements it touches, and what comes out
// (findings, positions, fixes, parse errors, suppressions) is exactly what a cold lint of the same
// text gives.
import * as assert from 'node:assert/strict';
import { Linter } from '../../../../src/core/lint/engine';
import { sqlLanguage } from '../../../../src/core/lint/languages/sql';
import { clearSqlParseCache, loadSqlParser, parseSqlText, sqlParseCounters } from '../../../../src/core/lint/sql/parse';
import { splitSql } from '../../../../src/core/lint/sql/split';
import type { Finding } from '../../../../src/core/lint/types';

const linter = new Linter([sqlLanguage()]);

const show = (fs: readonly Finding[]): string[] =>
  fs.map((f) => `${f.startPos.line}:${f.startPos.column}-${f.endPos.line}:${f.endPos.column} [${f.start},${f.end}) ${f.code} ${f.message}${f.fix ? ` fix=${JSON.stringify(f.fix.edits)}` : ''}`);

/** Lints `text` with whatever is cached, then cold, and asserts both agree; returns the warm findings. */
async function warmEqualsCold(text: string): Promise<readonly Finding[]> {
  const warm = (await linter.lint('m.sql', text)).findings;
  clearSqlParseCache();
  const cold = (await linter.lint('m.sql', text)).findings;
  assert.deepEqual(show(warm), show(cold));
  return warm;
}

/** Pieces parsed by lint(text). */
async function parsedBy(text: string): Promise<number> {
  const before = sqlParseCounters().piecesParsed;
  await linter.lint('m.sql', text);
  return sqlParseCounters().piecesParsed - before;
}

const pieces = (text: string): string[] => splitSql(text).pieces.map((p) => text.slice(p.start, p.end));

const MIGRATION = [
  '-- 001: accounts',
  'CREATE TABLE IF NOT EXISTS accounts (id bigint PRIMARY KEY, email text);',
  'CREATE TABLE audit (id int);',
  "DO $$",
  'BEGIN',
  "  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'email_uq') THEN",
  '    ALTER TABLE accounts ADD CONSTRAINT email_uq UNIQUE (email);',
  '  END IF;',
  '  CREATE INDEX accounts_email_idx ON accounts (email); -- unguarded, inside the block',
  'END',
  '$$;',
  "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com');",
  'UPDATE accounts SET id = id + 1;',
  'CREATE INDEX audit_id_idx ON audit (id);',
  '',
].join('\n');

suite('(unit) lint sql incremental parsing', () => {
  suiteSetup(async () => {
    await loadSqlParser();
  });

  test('the splitter keeps quotes, dollar quotes, comments and routine bodies whole', () => {
    assert.deepEqual(pieces("SELECT 'a;b'; SELECT E'it\\'s;'; SELECT \"x;y\" FROM t;"), ["SELECT 'a;b';", "SELECT E'it\\'s;';", 'SELECT "x;y" FROM t;']);
    assert.deepEqual(pieces('DO $body$ BEGIN NULL; END $body$; SELECT $1; SELECT a$b$ FROM t;'), ['DO $body$ BEGIN NULL; END $body$;', 'SELECT $1;', 'SELECT a$b$ FROM t;']);
    assert.deepEqual(pieces('SELECT 1 -- a; comment\n; /* a /* nested; */ one */ SELECT 2;'), ['SELECT 1 -- a; comment\n;', 'SELECT 2;']);
    assert.deepEqual(pieces('CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3'), [
      'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;',
      'SELECT 3',
    ]);
    assert.deepEqual(pieces('CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); BEGIN; COMMIT;'), [
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));',
      'BEGIN;',
      'COMMIT;',
    ]);
    const text = "-- head\nSELECT '--no' /* c1 */;\n/* tail";
    assert.deepEqual(
      splitSql(text).comments.map((c) => [text.slice(c.start, c.end), c.body]),
      [
        ['-- head', ' head'],
        ['/* c1 */', ' c1 '],
        ['/* tail', ' tail'],
      ],
    );
  });

  test('statements and comments are the ones PostgreSQL finds, at the same offsets', () => {
    clearSqlParseCache();
    const r = parseSqlText(MIGRATION);
    assert.ok(r.ok);
    assert.deepEqual(
      r.unit.statements.map((s) => [s.kind, MIGRATION.slice(s.start, s.end).split('\n')[0], s.index, s.parent?.index]),
      [
        ['CreateStmt', 'CREATE TABLE IF NOT EXISTS accounts (id bigint PRIMARY KEY, email text)', 0, undefined],
        ['CreateStmt', 'CREATE TABLE audit (id int)', 1, undefined],
        ['DoStmt', 'DO $$', 2, undefined],
        ['AlterTableStmt', 'ALTER TABLE accounts ADD CONSTRAINT email_uq UNIQUE (email)', 3, 2],
        ['IndexStmt', 'CREATE INDEX accounts_email_idx ON accounts (email)', 4, 2],
        ['InsertStmt', "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com')", 5, undefined],
        ['UpdateStmt', 'UPDATE accounts SET id = id + 1', 6, undefined],
        ['IndexStmt', 'CREATE INDEX audit_id_idx ON audit (id)', 7, undefined],
      ],
    );
    assert.deepEqual(
      r.comments.map((c) => MIGRATION.slice(c.start, c.end)),
      ['-- 001: accounts', '-- unguarded, inside the block'],
    );
  });

  test('an edit inside a dollar-quoted DO body re-parses that statement only, with exact positions', async () => {
    clearSqlParseCache();
    assert.equal(await parsedBy(MIGRATION), 6);
    const edited = MIGRATION.replace('CREATE INDEX accounts_email_idx ON', 'CREATE INDEX IF NOT EXISTS accounts_email_idx ON');
    assert.equal(await parsedBy(edited), 1);
    const before = show(await warmEqualsCold(MIGRATION));
    const after = show(await warmEqualsCold(edited));
    assert.ok(before.some((f) => f.includes('accounts_email_idx')));
    assert.ok(!after.some((f) => f.includes('accounts_email_idx')));
  });

  test('a semicolon typed inside a comment or a string does not split the statement', async () => {
    await warmEqualsCold(MIGRATION);
    const inComment = MIGRATION.replace('-- unguarded, inside the block', '-- unguarded; inside; the block');
    assert.equal(await parsedBy(inComment), 1);
    await warmEqualsCold(inComment);
    const inString = inComment.replace("'a@example.com'", "'a;b@example.com'");
    assert.equal(await parsedBy(inString), 1);
    await warmEqualsCold(inString);
  });

  test('an edit that splits a statement in two, then joins them again', async () => {
    await warmEqualsCold(MIGRATION);
    const split = MIGRATION.replace('UPDATE accounts SET id = id + 1;', 'UPDATE accounts SET id = id + 1; CREATE TABLE extra (id int);');
    assert.equal(await parsedBy(split), 1); // the UPDATE is the cached one; the new CREATE is parsed
    const findings = show(await warmEqualsCold(split));
    assert.ok(findings.some((f) => f.includes('sql-create-table-if-not-exists') && f.includes('extra')));
    const joined = MIGRATION.replace('CREATE TABLE audit (id int);\nDO $$', 'CREATE TABLE audit (id int)\nDO $$');
    const r = parseSqlText(joined);
    assert.ok(!r.ok, 'CREATE TABLE … DO $$ … is not valid SQL');
    assert.equal(joined.slice(r.start, r.end), 'DO');
  });

  test('a parse error in one statement lands where a whole-file parse puts it; the others stay cached', async () => {
    await warmEqualsCold(MIGRATION);
    const broken = MIGRATION.replace('UPDATE accounts SET id = id + 1;', 'UPDATE accounts SET id = id +;');
    assert.equal(await parsedBy(broken), 1);
    // Fixed again: nothing new to parse.
    assert.equal(await parsedBy(MIGRATION), 0);
    const found = await warmEqualsCold(broken);
    assert.equal(found.length, 1);
    assert.equal(found[0]!.code, 'parse-error');
    assert.equal(broken.slice(found[0]!.start, found[0]!.end), ';');
    assert.equal(found[0]!.startPos.line, 13);
    assert.ok((await warmEqualsCold(MIGRATION)).length > 1);
  });

  test('an unterminated quote or comment is the parse error PostgreSQL reports', async () => {
    for (const text of ["SELECT 1;\nSELECT 'open;\nSELECT 2;\n", 'SELECT 1;\n/* open comment\n']) {
      const found = await warmEqualsCold(text);
      assert.deepEqual(
        found.map((f) => f.code),
        ['parse-error'],
      );
      assert.equal(found[0]!.startPos.line, 2);
    }
  });

  test('a semicolon the splitter wrongly takes for an end is settled by the parser', async () => {
    // `t.end` ends psql's BEGIN … END count early; PostgreSQL accepts it as a column name.
    const text = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT t.end FROM t; SELECT 2; END;\nCREATE TABLE x (id int);\n';
    const r = parseSqlText(text);
    assert.ok(r.ok, 'the file is valid SQL');
    assert.deepEqual(
      r.unit.statements.map((s) => text.slice(s.start, s.end)),
      ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT t.end FROM t; SELECT 2; END', 'CREATE TABLE x (id int)'],
    );
    const found = await warmEqualsCold(text);
    assert.deepEqual(
      found.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.code}`),
      ['1:1 sql-create-function-or-replace', '2:1 sql-create-table-if-not-exists'],
    );
  });

  test('positions and fixes follow a statement that moved; file-level context is re-checked', async () => {
    await warmEqualsCold(MIGRATION);
    const moved = `-- a new first line\n\n${MIGRATION}`;
    assert.equal(await parsedBy(moved), 0);
    const a = await warmEqualsCold(MIGRATION);
    const b = await warmEqualsCold(moved);
    const shift = moved.length - MIGRATION.length;
    assert.deepEqual(
      b.map((f) => [f.code, f.start - shift, f.end - shift, f.startPos.line - 2, f.startPos.column, f.fix?.edits.map((e) => e.start - shift)]),
      a.map((f) => [f.code, f.start, f.end, f.startPos.line, f.startPos.column, f.fix?.edits.map((e) => e.start)]),
    );
    // A DROP … IF EXISTS added before the cached CREATE TABLE audit makes it re-runnable.
    const dropped = MIGRATION.replace('CREATE TABLE audit (id int);', 'DROP TABLE IF EXISTS audit;\nCREATE TABLE audit (id int);');
    assert.equal(await parsedBy(dropped), 1);
    const c = show(await warmEqualsCold(dropped));
    assert.ok(show(a).some((f) => f.includes('sql-create-table-if-not-exists')));
    assert.ok(!c.some((f) => f.includes('sql-create-table-if-not-exists')));
  });

  test('suppression comments apply to cached statements', async () => {
    await warmEqualsCold(MIGRATION);
    const ignored = MIGRATION.replace('CREATE TABLE audit (id int);', '-- greenlight-ignore sql-create-table-if-not-exists\nCREATE TABLE audit (id int);');
    assert.equal(await parsedBy(ignored), 0);
    const found = show(await warmEqualsCold(ignored));
    assert.ok(!found.some((f) => f.includes('sql-create-table-if-not-exists')));
    const fileWide = `-- greenlight-ignore-file sql-update-changes-on-rerun\n${MIGRATION}`;
    assert.ok(!show(await warmEqualsCold(fileWide)).some((f) => f.includes('sql-update-changes-on-rerun')));
  });

  test('non-ASCII text before and inside statements keeps UTF-16 positions exact', async () => {
    const text = "-- café ☕ 😀\nINSERT INTO t (name) VALUES ('héllo 😀');\nCREATE TABLE ünïcode (id int);\n";
    const found = await warmEqualsCold(text);
    const create = found.find((f) => f.code === 'sql-create-table-if-not-exists');
    assert.ok(create);
    assert.equal(text.slice(create.start, create.end), 'CREATE TABLE ünïcode (id int)');
    assert.equal(await parsedBy(`-- 😀😀\n${text}`), 0);
    await warmEqualsCold(`-- 😀😀\n${text}`);
  });
});
