// Migration tools' SQL conventions: only the part of a file that runs forward is linted, and
// findings keep the line and column they have in the file. The goose case is the one that used to
// report nothing at all (the Down section's DROPs were read as part of the migration).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { splitSqlSections, sqlFileRole } from '../../../../src/core/lint/migrationTools';

const linter = createDefaultLinter();

async function found(file: string, text: string): Promise<string[]> {
  const r = await linter.lint(file, text);
  return r.findings.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.code}`);
}

const GOOSE = [
  '-- +goose Up',
  '-- +goose StatementBegin',
  'CREATE TABLE users (id int);',
  'ALTER TABLE users ADD COLUMN name text;',
  '-- +goose StatementEnd',
  '',
  '-- +goose Down',
  'ALTER TABLE users DROP COLUMN name;',
  'DROP TABLE users;',
  '',
].join('\n');

suite('(unit) lint: migration tools SQL conventions', () => {
  test('goose: the Up section is linted at its own lines, the Down section DROPs are not reported', async () => {
    assert.deepEqual(await found('db/migrations/20240101120000_users.sql', GOOSE), ['3:1 sql-create-table-if-not-exists', '4:1 sql-add-column-if-not-exists']);
  });

  test('goose: a function body between StatementBegin and StatementEnd parses as one statement', async () => {
    const text = [
      '-- +goose Up',
      '-- +goose StatementBegin',
      'CREATE FUNCTION touch() RETURNS trigger AS $$',
      'BEGIN NEW.updated_at = now(); RETURN NEW; END;',
      '$$ LANGUAGE plpgsql;',
      '-- +goose StatementEnd',
      '-- +goose Down',
      'DROP FUNCTION touch();',
    ].join('\n');
    assert.deepEqual(await found('migrations/00002_touch.sql', text), ['3:1 sql-create-function-or-replace']);
  });

  test('goose: several Up and Down sections alternate; only the Up ones count', async () => {
    const text = '-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n-- +goose Up\nCREATE INDEX a_id ON a (id);\n-- +goose Down\nDROP INDEX a_id;\n';
    assert.deepEqual(await found('migrations/3.sql', text), ['2:1 sql-create-table-if-not-exists', '6:1 sql-create-index-if-not-exists']);
  });

  test('sql-migrate (+migrate Up/Down) and dbmate (migrate:up/down) sections', async () => {
    const rubenv = '-- +migrate Up\nCREATE TABLE t (id int);\n\n-- +migrate Down\nDROP TABLE t;\n';
    assert.deepEqual(await found('migrations/1_t.sql', rubenv), ['2:1 sql-create-table-if-not-exists']);
    const dbmate = '-- migrate:up\nCREATE TABLE t (id int);\n\n-- migrate:down\nDROP TABLE t;\n';
    assert.deepEqual(await found('db/migrations/20240101_t.sql', dbmate), ['2:1 sql-create-table-if-not-exists']);
  });

  test('tern: the part above `---- create above / drop below ----` is linted, the part below is not', async () => {
    const text = 'CREATE TABLE t (id int);\n\n---- create above / drop below ----\n\nDROP TABLE t;\n';
    assert.deepEqual(await found('migrations/001_t.sql', text), ['1:1 sql-create-table-if-not-exists']);
    assert.equal(splitSqlSections(text).text.includes('DROP'), false);
  });

  test('a down section with a syntax error does not make the file unparseable', async () => {
    const text = '-- migrate:up\nCREATE TABLE IF NOT EXISTS t (id int);\n-- migrate:down\nDROP TABLE t ((;\n';
    assert.deepEqual(await found('db/migrations/1.sql', text), []);
  });

  test('the positions of findings after a blanked section hold with non-ASCII text and CRLF line ends', async () => {
    const text = '-- +goose Down\r\nDROP TABLE "é😀";\r\n-- +goose Up\r\nSELECT 1;  CREATE TABLE x (id int);\r\n';
    assert.deepEqual(await found('m/1.sql', text), ['4:12 sql-create-table-if-not-exists']);
  });

  test('golang-migrate *.up.sql is linted, *.down.sql is not', async () => {
    const up = 'CREATE TABLE t (id int);\n';
    assert.deepEqual(await found('migrations/000001_t.up.sql', up), ['1:1 sql-create-table-if-not-exists']);
    const down = 'DROP TABLE t;\n';
    const r = await linter.lint('migrations/000001_t.down.sql', down);
    assert.equal(r.language, undefined);
    assert.deepEqual(r.findings, []);
  });

  test('Flyway: V and R files are linted (R must be idempotent by definition), U (undo) files are not', async () => {
    const sql = 'CREATE TABLE t (id int);\n';
    assert.deepEqual(await found('db/migration/V1_2__create_t.sql', sql), ['1:1 sql-create-table-if-not-exists']);
    assert.deepEqual(await found('db/migration/R__views.sql', 'CREATE VIEW v AS SELECT 1;\n'), ['1:1 sql-create-view-or-replace']);
    assert.equal((await linter.lint('db/migration/U1_2__create_t.sql', 'DROP TABLE t;\n')).language, undefined);
  });

  test('sqitch: deploy/ is linted, revert/ and verify/ are not', async () => {
    const sql = 'CREATE TABLE t (id int);\n';
    assert.deepEqual(await found('sqitch/deploy/users.sql', sql), ['1:1 sql-create-table-if-not-exists']);
    assert.equal((await linter.lint('sqitch/revert/users.sql', 'DROP TABLE t;\n')).language, undefined);
    assert.equal((await linter.lint('sqitch/verify/users.sql', 'SELECT id FROM t WHERE false;\n')).language, undefined);
  });

  test('Prisma migration.sql and diesel up.sql are forward, diesel down.sql is not', async () => {
    const sql = 'CREATE TABLE "User" (id int);\n';
    assert.deepEqual(await found('prisma/migrations/20240101000000_init/migration.sql', sql), ['1:1 sql-create-table-if-not-exists']);
    assert.deepEqual(await found('migrations/2024-01-01-000000_init/up.sql', sql), ['1:1 sql-create-table-if-not-exists']);
    assert.equal((await linter.lint('migrations/2024-01-01-000000_init/down.sql', 'DROP TABLE "User";\n')).language, undefined);
  });

  test('sqlFileRole by path, on Windows separators too', () => {
    assert.equal(sqlFileRole('C:\\app\\migrations\\1.down.sql'), 'reverse');
    assert.equal(sqlFileRole('C:\\app\\sqitch\\revert\\x.sql'), 'reverse');
    assert.equal(sqlFileRole('/app/db/R__refresh.sql'), 'repeatable');
    assert.equal(sqlFileRole('/app/db/V3__add.sql'), 'forward');
    assert.equal(sqlFileRole('/app/db/Users__notflyway.sql'), 'forward');
    assert.equal(sqlFileRole('/app/db/update.sql'), 'forward');
    assert.equal(sqlFileRole('/app/db/countdown.sql'), 'forward');
    assert.equal(sqlFileRole('/app/migrations/0042_slow_down.sql'), 'forward');
    assert.equal(sqlFileRole('/app/migrations/sqls/20150101-add-x-down.sql'), 'reverse');
    assert.equal(sqlFileRole('/app/migrations/sqls/20150101-add-x-up.sql'), 'forward');
    assert.equal(sqlFileRole('/app/migrations/0001.add-x.rollback.sql'), 'reverse');
  });

  test('fast-check: the split keeps the length and line breaks, blanks only down sections, keeps up text verbatim', () => {
    const line = fc.oneof(
      fc.constantFrom('-- +goose Up', '-- +goose Down', '-- migrate:up', '-- migrate:down', '-- +migrate Down', '  --+goose up', '---- create above / drop below ----', '-- +goose StatementBegin', 'CREATE TABLE t (id int);', 'DROP TABLE t;', "SELECT '-- +goose Down';", '', '😀é'),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const text = lines.join(eol);
        const s = splitSqlSections(text);
        assert.equal(s.text.length, text.length);
        for (let i = 0; i < text.length; i++) {
          const inDown = s.down.some((d) => i >= d.start && i < d.end);
          const c = text[i]!;
          if (!inDown || c === '\n' || c === '\r') assert.equal(s.text[i], c, `offset ${i}`);
          else assert.equal(s.text[i], ' ');
        }
        // A down section always starts at the beginning of a line that is a down annotation.
        for (const d of s.down) {
          assert.ok(d.start === 0 || text[d.start - 1] === '\n');
          assert.match(text.slice(d.start).split('\n')[0]!, /down|drop below/i);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('fast-check: a goose file never reports anything inside its Down section', async function () {
    this.timeout(60000);
    const stmt = fc.constantFrom('CREATE TABLE t (id int);', 'DROP TABLE t;', 'INSERT INTO t VALUES (1);', 'ALTER TABLE t ADD COLUMN c int;', 'DELETE FROM t;', 'CREATE INDEX i ON t (id);');
    await fc.assert(
      fc.asyncProperty(fc.array(stmt, { maxLength: 5 }), fc.array(stmt, { maxLength: 5 }), async (up, down) => {
        const text = ['-- +goose Up', ...up, '-- +goose Down', ...down, ''].join('\n');
        const downStart = text.indexOf('-- +goose Down');
        const r = await linter.lint('migrations/1.sql', text);
        for (const f of r.findings) assert.ok(f.start < downStart, `${f.code} at ${f.start} is in the Down section (${downStart})`);
      }),
      { numRuns: 60 },
    );
  });
});
