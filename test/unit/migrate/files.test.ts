import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../../src/core/common/errors';
import { checksumOf, hasNoTransactionDirective, loadMigrations } from '../../../src/core/migrate/files';
import { splitSql } from '../../../src/core/migrate/statements';

suite('(unit) migrate files and statements', () => {
  let dir: string;
  setup(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gl-files-'));
  });
  teardown(() => rm(dir, { recursive: true, force: true }));

  test('files are ordered by name; sub-folders and notes are not migrations', async () => {
    await writeFile(path.join(dir, '20250102T000000_b.sql'), 'select 2;');
    await writeFile(path.join(dir, '20250101T000000_a.sql'), 'select 1;');
    await writeFile(path.join(dir, 'README.md'), '# notes');
    await mkdir(path.join(dir, 'seeds'));
    await writeFile(path.join(dir, 'seeds', '001.sql'), 'select 3;');
    const files = await loadMigrations(dir, { kinds: ['sql'] });
    assert.deepEqual(files.map((f) => f.name), ['20250101T000000_a.sql', '20250102T000000_b.sql']);
    assert.equal(files[0]!.checksum, checksumOf('select 1;'));
  });

  test('a migration of another database kind is an error, not silently skipped', async () => {
    await writeFile(path.join(dir, '001_x.aql'), 'FOR u IN users RETURN u');
    await assert.rejects(loadMigrations(dir, { kinds: ['sql'] }), (e: unknown) => e instanceof InputError && /001_x\.aql: a aql migration cannot run on this database/.test(e.message));
  });

  test("reverse files are not run forward, and a file's down section is blanked (its checksum stays the file's)", async () => {
    await writeFile(path.join(dir, '001_users.up.sql'), 'create table users (id int);');
    await writeFile(path.join(dir, '001_users.down.sql'), 'drop table users;');
    await writeFile(path.join(dir, 'U2__undo.sql'), 'drop table t;');
    const goose = '-- +goose Up\ncreate table t (id int);\n-- +goose Down\ndrop table t;\n';
    await writeFile(path.join(dir, '002_t.sql'), goose);
    const files = await loadMigrations(dir, { kinds: ['sql'] });
    assert.deepEqual(files.map((f) => f.name), ['001_users.up.sql', '002_t.sql']);
    const t = files[1]!;
    assert.equal(t.checksum, checksumOf(goose));
    assert.equal(t.text.length, goose.length);
    assert.match(t.text, /create table t/);
    assert.doesNotMatch(t.text, /drop table/);
  });

  test('a missing directory is an input error naming it', async () => {
    await assert.rejects(loadMigrations(path.join(dir, 'nope'), { kinds: ['sql'] }), (e: unknown) => e instanceof InputError && e.exitCode === 2 && /nope: cannot read the migrations directory \(not found\)/.test(e.message));
  });

  test('checksums ignore CRLF versus LF, nothing else', () => {
    assert.equal(checksumOf('a;\r\nb;\r\n'), checksumOf('a;\nb;\n'));
    assert.notEqual(checksumOf('a;\nb;\n'), checksumOf('a;\nb; \n'));
    assert.match(checksumOf(''), /^[0-9a-f]{64}$/);
  });

  test('the no-transaction directive counts only in the leading comments', () => {
    assert.equal(hasNoTransactionDirective('-- greenlight:no-transaction\ncreate index concurrently i on t (a);'), true);
    assert.equal(hasNoTransactionDirective('-- why\n\n--   greenlight:no-transaction\nselect 1;'), true);
    assert.equal(hasNoTransactionDirective('select 1;\n-- greenlight:no-transaction'), false);
    assert.equal(hasNoTransactionDirective('-- greenlight:no-transactions-please\nselect 1;'), false);
  });

  test('statements carry their line and column (after comments, with non-ASCII text before them)', async () => {
    const text = "-- café\nCREATE TABLE t (a text DEFAULT 'é');\n\n  /* two */ INSERT INTO s.t2 VALUES ('ü'); UPDATE t SET a = 'x' FROM u WHERE u.id = 1";
    const s = await splitSql(text, 'f.sql');
    assert.deepEqual(s.map((x) => [x.index, x.line, x.column, x.nodeType]), [[0, 2, 1, 'CreateStmt'], [1, 4, 13, 'InsertStmt'], [2, 4, 44, 'UpdateStmt']]);
    assert.equal(s[1]!.text, "INSERT INTO s.t2 VALUES ('ü')");
    assert.deepEqual(s[1]!.dmlTargets, ['"s"."t2"']);
    assert.deepEqual([...s[2]!.dmlTargets].sort(), ['"t"', '"u"']);
    assert.deepEqual(s[0]!.dmlTargets, []);
  });

  test('DML tables keep the case the parser resolved: quoted names stay mixed-case, unquoted ones fold', async () => {
    const s = await splitSql('INSERT INTO "Copy" (id) SELECT d.id FROM "Source" d JOIN Other o ON o.id = d.id;', 'q.sql');
    assert.deepEqual([...s[0]!.dmlTargets].sort(), ['"Copy"', '"Source"', '"other"']);
    assert.deepEqual(s[0]!.dmlWrites, ['"Copy"']);
  });

  test('a syntax error is an input error at file:line:column; psql meta-commands are explained', async () => {
    await assert.rejects(splitSql('select 1;\nselec 2;', 'm.sql'), (e: unknown) => e instanceof InputError && /^m\.sql:2:1: SQL syntax error: syntax error at or near "selec"/.test(e.message));
    await assert.rejects(splitSql('\\restrict abc\nselect 1;', 'd.sql'), (e: unknown) => e instanceof InputError && /psql meta-commands/.test(e.message));
  });
});
