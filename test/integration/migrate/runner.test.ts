import * as assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { quietContext } from '../../../src/core/common/job';
import { OperationError } from '../../../src/core/common/errors';
import { loadMigrations } from '../../../src/core/migrate/files';
import { PgBackend } from '../../../src/core/migrate/pgBackend';
import { acceptChecksums, migrateUp, migrationStatus } from '../../../src/core/migrate/runner';
import { dryRun } from '../../../src/core/migrate/dryRun';
import { copyFixture, ENGINES, freshDatabase, removeDir, type TestDatabase } from './engines';

const sql = (dir: string) => loadMigrations(dir, { kinds: ['sql'] });

for (const engine of ENGINES) {
  suite(`(integration) migrate runner on ${engine}`, function () {
    let db: TestDatabase;
    let dir: string;
    setup(async () => {
      db = await freshDatabase(engine);
      dir = await copyFixture('chain-ok');
    });
    teardown(async () => {
      await db?.drop();
      await removeDir(dir);
    });

    test('applies every file in order and records each in the ledger', async () => {
      const files = await sql(dir);
      const r = await migrateUp(new PgBackend(db.session), files, quietContext(), { imageVersion: 'v1abc-20250101T000000', appliedBy: 'tester@ci' });
      assert.equal(r.failure, undefined);
      assert.deepEqual(r.applied.map((a) => a.fileName), files.map((f) => f.name));
      assert.equal(r.newDatabase, true);
      const rows = (await db.session.query('select file_name, checksum, applied_by, image_version, duration_ms, applied_at from public._schema_migrations order by file_name')).rows;
      assert.deepEqual(rows.map((x) => x.file_name), files.map((f) => f.name));
      assert.deepEqual(rows.map((x) => x.checksum), files.map((f) => f.checksum));
      assert.ok(rows.every((x) => x.applied_by === 'tester@ci' && x.image_version === 'v1abc-20250101T000000' && Number(x.duration_ms) >= 0 && x.applied_at instanceof Date));
      const again = await migrateUp(new PgBackend(db.session), files, quietContext());
      assert.deepEqual(again.applied, []);
      assert.equal(again.newDatabase, false);
      const st = await migrationStatus(new PgBackend(db.session), files);
      assert.equal(st.counts.applied, 4);
    });

    test('a failing migration rolls back: database and ledger as before, failure named with file:line:column', async () => {
      const files0 = await sql(dir);
      await migrateUp(new PgBackend(db.session), files0.slice(0, 2), quietContext());
      await writeFile(path.join(dir, '20250105T000000_broken.sql'), `CREATE TABLE tags (id int);\nINSERT INTO tags VALUES (1);\nALTER TABLE items ADD COLUMN   oops nonexistent_type;\n`);
      const files = await sql(dir);
      const before = (await db.session.query('select file_name from public._schema_migrations order by 1')).rows;
      const r = await migrateUp(new PgBackend(db.session), files, quietContext());
      assert.ok(r.failure);
      assert.equal(r.failure.fileName, '20250105T000000_broken.sql');
      assert.equal(r.failure.statementIndex, 2);
      assert.equal(r.failure.location?.line, 3);
      assert.equal(r.failure.location?.column, 37, 'the column of the unknown type, from the server error position');
      assert.match(r.failure.message, /nonexistent_type/);
      assert.deepEqual(r.applied.map((a) => a.fileName), ['20250103T000000_add_status.sql', '20250104T000000_items_name_index.sql']);
      const tags = (await db.session.query(`select to_regclass('public.tags') as t`)).rows[0]?.t;
      assert.equal(tags, null, 'the failed file left no table behind');
      const after = (await db.session.query('select file_name from public._schema_migrations order by 1')).rows.map((x) => x.file_name);
      assert.deepEqual(after, [...before.map((x) => x.file_name), '20250103T000000_add_status.sql', '20250104T000000_items_name_index.sql']);
      const st = await migrationStatus(new PgBackend(db.session), files);
      const broken = st.entries.find((e) => e.fileName === '20250105T000000_broken.sql');
      assert.equal(broken?.state, 'failed');
      assert.equal(broken?.failure?.statementIndex, 2);
    });

    test('an edited applied file stops the run until its checksum is accepted', async () => {
      const files = await sql(dir);
      await migrateUp(new PgBackend(db.session), files, quietContext());
      await appendFile(path.join(dir, '20250101T000000_create_users.sql'), '-- a comment added later\n');
      await writeFile(path.join(dir, '20250106T000000_more.sql'), 'CREATE TABLE IF NOT EXISTS more (id int);\n');
      const edited = await sql(dir);
      await assert.rejects(migrateUp(new PgBackend(db.session), edited, quietContext()), (e: unknown) => {
        assert.ok(e instanceof OperationError);
        assert.match(e.message, /20250101T000000_create_users\.sql: applied with sha256 [0-9a-f]{12}…, the file now has [0-9a-f]{12}…/);
        assert.match(e.message, /greenlight migrate accept-checksum 20250101T000000_create_users\.sql/);
        return true;
      });
      assert.equal((await db.session.query(`select to_regclass('public.more') as t`)).rows[0]?.t, null, 'nothing ran');
      const st = await migrationStatus(new PgBackend(db.session), edited);
      assert.equal(st.entries.find((e) => e.fileName === '20250101T000000_create_users.sql')?.state, 'checksum-changed');
      const acc = await acceptChecksums(new PgBackend(db.session), edited, ['20250101T000000_create_users.sql'], quietContext());
      assert.equal(acc.accepted.length, 1);
      const from = (await db.session.query(`select accepted_from from public._schema_migrations where file_name = '20250101T000000_create_users.sql'`)).rows[0]?.accepted_from;
      assert.equal(from, files[0]!.checksum);
      const r = await migrateUp(new PgBackend(db.session), edited, quietContext());
      assert.deepEqual(r.applied.map((a) => a.fileName), ['20250106T000000_more.sql']);
    });

    test('a no-transaction file runs CREATE INDEX CONCURRENTLY; a failure in it is reported as partial', async () => {
      const files = await sql(dir);
      const r = await migrateUp(new PgBackend(db.session), files, quietContext());
      assert.equal(r.failure, undefined);
      const idx = (await db.session.query(`select indisvalid from pg_index where indexrelid = to_regclass('public.items_name_idx')`)).rows[0];
      assert.equal(idx?.indisvalid, true);
      await writeFile(path.join(dir, '20250107T000000_partial.sql'), '-- greenlight:no-transaction\nCREATE TABLE IF NOT EXISTS audit (id int);\nCREATE INDEX CONCURRENTLY audit_x ON audit (missing_column);\n');
      const r2 = await migrateUp(new PgBackend(db.session), await sql(dir), quietContext());
      assert.equal(r2.failure?.partial, true);
      assert.equal(r2.failure?.statementIndex, 1);
      assert.notEqual((await db.session.query(`select to_regclass('public.audit') as t`)).rows[0]?.t, null, 'statement 1 stayed committed');
      assert.equal((await db.session.query(`select count(*)::int as n from public._schema_migrations where file_name = '20250107T000000_partial.sql'`)).rows[0]?.n, 0);
      // The same file inside a transaction is refused by PostgreSQL itself: the directive matters.
      await writeFile(path.join(dir, '20250108T000000_tx.sql'), 'CREATE INDEX CONCURRENTLY IF NOT EXISTS items_x ON items (name);\n');
      await writeFile(path.join(dir, '20250107T000000_partial.sql'), '-- greenlight:no-transaction\nSELECT 1;\n');
      const r3 = await migrateUp(new PgBackend(db.session), await sql(dir), quietContext());
      assert.equal(r3.failure?.fileName, '20250108T000000_tx.sql');
      assert.equal(r3.failure?.code, '25001');
    });

    test('two runners never interleave: the second waits, then fails naming the holder', async () => {
      const files = await sql(dir);
      const other = await db.second('greenlight migrate up (alice@laptop, pid 4242)');
      if (engine === 'PGlite') {
        // One PGlite instance is one backend; the lock is kept per instance in this process.
        assert.equal(await other.locks.tryAcquire('greenlight migrate up (alice@laptop, pid 4242)'), true);
      } else {
        assert.equal(await other.locks.tryAcquire('x'), true);
      }
      const runner = engine === 'PGlite' ? await freshLockView(db) : db.session;
      const started = Date.now();
      await assert.rejects(migrateUp(new PgBackend(runner), files, quietContext(), { lockTimeoutMs: 700 }), (e: unknown) => {
        assert.ok(e instanceof OperationError);
        assert.match(e.message, /held by greenlight migrate up \(alice@laptop, pid 4242\)/);
        assert.match(e.message, /gave up after 1 s/);
        return true;
      });
      assert.ok(Date.now() - started >= 650, 'it waited for the lock');
      assert.equal((await db.session.query(`select to_regclass('public._schema_migrations') as t`)).rows[0]?.t, null, 'nothing ran while the lock was held');
      // Released within the wait: the second runner proceeds.
      setTimeout(() => void other.locks.release(), 300);
      const r = await migrateUp(new PgBackend(runner), files, quietContext(), { lockTimeoutMs: 10_000 });
      assert.equal(r.applied.length, 4);
      // Two runs started together: one applies everything, the other finds nothing left to do.
      await writeFile(path.join(dir, '20250109T000000_z.sql'), 'CREATE TABLE IF NOT EXISTS z (id int);\n');
      const more = await sql(dir);
      const second = engine === 'PGlite' ? runner : await db.second('runner B');
      const [a, b] = await Promise.all([migrateUp(new PgBackend(db.session), more, quietContext()), migrateUp(new PgBackend(second), more, quietContext())]);
      assert.deepEqual([a.applied.length, b.applied.length].sort(), [0, 1]);
    });

    test('dry run: the plan, and with execute every pending file run and rolled back', async () => {
      const files = await sql(dir);
      await migrateUp(new PgBackend(db.session), files.slice(0, 1), quietContext());
      await writeFile(path.join(dir, '20250110T000000_bad.sql'), 'CREATE TABLE t1 (id int);\nINSERT INTO t1 VALUES (1, 2);\n');
      const all = await sql(dir);
      const plan = await dryRun(new PgBackend(db.session), all, quietContext());
      assert.equal(plan.executed, false);
      assert.deepEqual(plan.pending.map((p) => p.fileName), all.slice(1).map((f) => f.name));
      const r = await dryRun(new PgBackend(db.session), all, quietContext(), { execute: true });
      assert.equal(r.ok, false);
      assert.deepEqual(r.pending.map((p) => p.outcome), ['ok', 'ok', 'skipped', 'failed']);
      assert.equal(r.pending[3]?.failure?.location?.line, 2);
      assert.equal((await db.session.query(`select to_regclass('public.items') as t`)).rows[0]?.t, null, 'nothing committed');
      assert.equal((await db.session.query('select count(*)::int as n from public._schema_migrations')).rows[0]?.n, 1);
    });
  });
}

/** A second PgSession view of the same PGlite instance (the runner in another part of the process). */
async function freshLockView(db: TestDatabase) {
  const { pgliteSecondView } = await import('../../../src/core/migrate/adapters/pgliteAdapter');
  return pgliteSecondView(db.session);
}
