import * as assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { quietContext } from '../../../src/core/common/job';
import { OperationError } from '../../../src/core/common/errors';
import { baseline } from '../../../src/core/migrate/baseline';
import { schemaDrift } from '../../../src/core/migrate/drift';
import { loadMigrations } from '../../../src/core/migrate/files';
import { createOracle } from '../../../src/core/migrate/oracle';
import { rerunCheck } from '../../../src/core/migrate/rerun';
import { splitSql } from '../../../src/core/migrate/statements';
import { PgBackend } from '../../../src/core/migrate/pgBackend';
import { formatVerifyReport } from '../../../src/core/migrate/report';
import { migrateUp, migrationStatus } from '../../../src/core/migrate/runner';
import type { ScratchProvider } from '../../../src/core/migrate/session';
import { verifyMigrations } from '../../../src/core/migrate/verify';
import { copyFixture, ENGINES, FIXTURES, freshDatabase, removeDir, type TestDatabase } from './engines';

const sql = (dir: string) => loadMigrations(dir, { kinds: ['sql'] });

for (const engine of ENGINES) {
  suite(`(integration) migrate verify, baseline, drift and oracle on ${engine}`, function () {
    let db: TestDatabase;
    let provider: ScratchProvider;
    setup(async () => {
      db = await freshDatabase(engine);
      provider = await db.scratch();
    });
    teardown(async () => {
      await provider?.close();
      await db?.drop();
    });

    test('verify fresh + rerun passes an idempotent chain (including a no-transaction file)', async () => {
      const r = await verifyMigrations(await sql(path.join(FIXTURES, 'chain-ok')), provider, quietContext());
      assert.equal(r.ok, true, formatVerifyReport(r));
      assert.deepEqual(r.runs[0]!.migrations.map((m) => m.status), ['ok', 'ok', 'ok', 'ok']);
      assert.ok(r.runs[0]!.migrations.every((m) => m.rerun?.idempotent === true));
      assert.match(formatVerifyReport(r), /verify passed: 4 migrations, each run twice with the same result/);
    });

    test('verify rerun catches each non-idempotent file and names the statement', async () => {
      const r = await verifyMigrations(await sql(path.join(FIXTURES, 'chain-bad')), provider, quietContext());
      assert.equal(r.ok, false);
      const [users, addColumn, insert, update] = r.runs[0]!.migrations;
      assert.equal(users!.status, 'ok');
      assert.equal(addColumn!.status, 'not-idempotent');
      assert.equal(addColumn!.rerun?.statementIndex, 0);
      assert.match(addColumn!.rerun!.reason!, /column "nickname" of relation "users" already exists/);
      assert.equal(addColumn!.rerun?.location?.line, 2);
      assert.equal(insert!.status, 'not-idempotent');
      assert.equal(insert!.rerun?.statementIndex, 2, 'the third statement adds a row on every run; the guarded ones do not');
      assert.match(insert!.rerun!.reason!, /rows of table public\.users: 2 → 3/);
      assert.equal(update!.status, 'not-idempotent');
      assert.equal(update!.rerun?.statementIndex, 1);
      assert.match(update!.rerun!.reason!, /rows of table public\.users changed/);
      assert.equal(r.totals.notIdempotent, 3);
      const text = formatVerifyReport(r);
      assert.match(text, /20250102T000000_non_idempotent_add_column\.sql:2:1: the second run failed/);
      assert.match(text, /verify FAILED: 3 not idempotent/);
    });

    test('verify catches DML that only shows on data (probe rows) and reports a failing file by statement', async () => {
      const dir = await copyFixture('chain-ok');
      try {
        await writeFile(path.join(dir, '20250105T000000_raise.sql'), 'UPDATE items SET price_cents = price_cents + 100;\n');
        await writeFile(path.join(dir, '20250106T000000_fails.sql'), 'SELECT 1;\nSELECT * FROM no_such_table;\n');
        await writeFile(path.join(dir, '20250107T000000_after.sql'), 'SELECT 1;\n');
        const r = await verifyMigrations(await sql(dir), provider, quietContext());
        const m = r.runs[0]!.migrations;
        assert.equal(m[4]!.status, 'not-idempotent');
        assert.deepEqual(m[4]!.rerun?.differences, ['rows of table public.items changed (1 row, same count, different content)']);
        assert.match(m[4]!.rerun!.reason!, /with a probe row in public\.items/);
        assert.equal(m[5]!.status, 'failed');
        assert.equal(m[5]!.failure?.statementIndex, 1);
        assert.equal(m[5]!.failure?.location?.line, 2);
        assert.equal(m[6]!.status, 'not-run');
      } finally {
        await removeDir(dir);
      }
    });

    test('verify existing: restores a pg_dump file (with \\restrict lines), migrates pending, checks rows and foreign keys', async () => {
      const dir = await copyFixture('chain-ok');
      try {
        await writeFile(path.join(dir, '20250108T000000_drop_cheap.sql'), 'DELETE FROM items WHERE price_cents = 0;\n');
        const r = await verifyMigrations(await sql(dir), provider, quietContext(), { fresh: false, existing: path.join(FIXTURES, 'existing.dump.sql') });
        const run = r.runs[0]!;
        assert.equal(run.mode, 'existing');
        // The dump has no ledger, but its tables exist: the guarded files still apply.
        assert.deepEqual(run.migrations.map((m) => m.status).slice(0, 4), ['ok', 'ok', 'ok', 'ok']);
        const lost = run.checks.find((c) => c.name === 'rows not lost')!;
        assert.equal(lost.ok, false);
        assert.deepEqual(lost.details, ['public.items: 3 → 2 rows']);
        assert.equal(run.checks.find((c) => c.name === 'foreign keys valid')?.ok, true);
        assert.equal(r.ok, false);
      } finally {
        await removeDir(dir);
      }
    });

    test('baseline: "already exists" explains itself; baseline checks the objects, then marks the files', async () => {
      const files = await sql(path.join(FIXTURES, 'chain-bad'));
      // A database set up by hand (or by another tool): the objects exist, the ledger does not.
      await db.session.exec('CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now()); ALTER TABLE users ADD COLUMN nickname text;');
      const r = await migrateUp(new PgBackend(db.session), files, quietContext());
      assert.equal(r.failure?.fileName, '20250102T000000_non_idempotent_add_column.sql');
      assert.match(r.failure!.hint!, /greenlight migrate baseline --through 20250102T000000_non_idempotent_add_column\.sql/);
      // Refused when the database lacks what a file creates.
      await assert.rejects(baseline(new PgBackend(db.session), files, provider, quietContext(), { through: '20250103T000000_non_idempotent_insert.sql' }), (e: unknown) => {
        assert.ok(e instanceof OperationError);
        assert.match(e.message, /column public\.users\.active: not in the database/);
        return true;
      });
      const b = await baseline(new PgBackend(db.session), files, provider, quietContext());
      // The guarded first file ran in the failed run; only the second needs the baseline.
      assert.deepEqual(b.marked, ['20250102T000000_non_idempotent_add_column.sql']);
      assert.deepEqual(b.checked.find((c) => c.fileName === '20250102T000000_non_idempotent_add_column.sql')?.problems, []);
      const st = await migrationStatus(new PgBackend(db.session), files);
      assert.deepEqual(st.entries.map((e) => [e.state, e.baseline ?? false]), [['applied', false], ['applied', true], ['pending', false], ['pending', false]]);
      const up = await migrateUp(new PgBackend(db.session), files, quietContext());
      assert.equal(up.failure, undefined);
      assert.equal(up.applied.length, 2);
    });

    test('drift: reports per object what differs from a fresh migrate of the applied files', async () => {
      const files = await sql(path.join(FIXTURES, 'chain-ok'));
      await migrateUp(new PgBackend(db.session), files, quietContext());
      const clean = await schemaDrift(db.session, files, provider, quietContext());
      assert.deepEqual(clean.differences, []);
      await db.session.exec(`ALTER TABLE users ADD COLUMN phone text; DROP INDEX items_owner_idx; ALTER TABLE items ALTER COLUMN price_cents SET DEFAULT 5;`);
      const r = await schemaDrift(db.session, files, provider, quietContext());
      assert.deepEqual(
        r.differences.map((d) => [d.kind, d.object]),
        [
          ['differs', 'column public.items.price_cents'],
          ['extra', 'column public.users.phone'],
          ['missing', 'index public.items_owner_idx'],
        ],
      );
      assert.match(r.differences[0]!.detail!, /expected integer not null default 0; found integer not null default 5/);
    });

    test('verify puts probe rows into the source of INSERT … SELECT (quoted mixed-case names too) and catches the copy that repeats', async () => {
      const dir = await copyFixture('chain-ok');
      try {
        await writeFile(
          path.join(dir, '20250105T000000_documents.sql'),
          'CREATE TABLE IF NOT EXISTS "Document" (id serial PRIMARY KEY, body text NOT NULL);\n' +
            'CREATE TABLE IF NOT EXISTS "DocumentData" (id serial PRIMARY KEY, "documentId" int NOT NULL UNIQUE REFERENCES "Document" (id), data text);\n' +
            'CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, body text NOT NULL);\nCREATE TABLE IF NOT EXISTS note_copies (note_id int NOT NULL, body text);\n',
        );
        // Both tables are empty when these run: only a probe row in the source shows what a second run does.
        await writeFile(path.join(dir, '20250106T000000_copy_documents.sql'), 'INSERT INTO "DocumentData" ("documentId", data) SELECT d.id, d.body FROM "Document" d;\n');
        await writeFile(path.join(dir, '20250107T000000_copy_documents_once.sql'), 'INSERT INTO "DocumentData" ("documentId", data) SELECT d.id, d.body FROM "Document" d ON CONFLICT ("documentId") DO NOTHING;\n');
        await writeFile(path.join(dir, '20250108T000000_copy_notes.sql'), 'INSERT INTO note_copies (note_id, body) SELECT n.id, n.body FROM notes n;\n');
        await writeFile(path.join(dir, '20250109T000000_copy_notes_once.sql'), 'INSERT INTO note_copies (note_id, body) SELECT n.id, n.body FROM notes n WHERE NOT EXISTS (SELECT 1 FROM note_copies c WHERE c.note_id = n.id);\n');
        const r = await verifyMigrations(await sql(dir), provider, quietContext());
        const m = r.runs[0]!.migrations;
        assert.deepEqual(m.map((x) => x.status), ['ok', 'ok', 'ok', 'ok', 'ok', 'not-idempotent', 'ok', 'not-idempotent', 'ok'], formatVerifyReport(r));
        assert.match(m[5]!.rerun!.reason!, /with a probe row in place, a repeated run failed: .*DocumentData_documentId_key/);
        assert.match(m[7]!.rerun!.reason!, /rows of table public\.note_copies: (\d+) → (?!\1)\d+/);
        assert.match(m[7]!.rerun!.reason!, /with a probe row in .*public\.notes\b/);
      } finally {
        await removeDir(dir);
      }
    });

    test('oracle: labels SQL against a prepared setup, with the statement to blame', async () => {
      const oracle = await createOracle({ setupSql: 'create table t (id int primary key, n int not null default 0)', database: db.url ? new URL(db.url).toString() : undefined });
      try {
        assert.deepEqual(await oracle.check('create table if not exists u (id int)'), { idempotent: true, phase: 'rerun', reason: undefined, statementIndex: undefined, differences: undefined, note: undefined });
        const a = await oracle.check('insert into t values (1) on conflict do nothing;\ninsert into t (id) select coalesce(max(id), 0) + 1 from t');
        assert.equal(a.idempotent, false);
        assert.equal(a.statementIndex, 1);
        const b = await oracle.check('update t set n = n + 1');
        assert.equal(b.idempotent, false, 'probe row reveals the increment');
        const c = await oracle.check('create index concurrently if not exists t_n on t (n)');
        assert.equal(c.idempotent, true);
        const d = await oracle.check('create index concurrently t_n2 on t (n)');
        assert.equal(d.idempotent, false);
        assert.match(d.reason!, /already exists/);
        const e = await oracle.check('select * from nowhere');
        assert.equal(e.phase, 'first-run');
        // The prepared database is untouched by the checks.
        assert.equal((await oracle.check('create table u (id int)')).phase, 'rerun');
      } finally {
        await oracle.close();
      }
    });

    test('a second run right after the first still sees a later now() (PGlite ticks in milliseconds)', async () => {
      // Back-to-back transactions on PGlite share one now() more often than not; the rerun must
      // start on a later clock reading, as any real rerun does, or `SET … = now()` looks idempotent.
      const scratch = await provider.create('clock');
      try {
        await scratch.session.exec('create table s (id int primary key, touched_at timestamptz); insert into s values (1, null)');
        const statements = await splitSql('update s set touched_at = now()', 'clock.sql');
        for (let i = 0; i < 20; i++) {
          await scratch.session.exec('begin; update s set touched_at = now(); commit');
          const r = await rerunCheck(scratch.session, statements, { isolation: 'transaction' });
          assert.equal(r.idempotent, false, `run ${i + 1}: ${JSON.stringify(r)}`);
        }
      } finally {
        await scratch.dispose();
      }
    });

    test('oracle: agrees with verify on clock-dependent writes; files with their own BEGIN/COMMIT run as written', async () => {
      const setupSql = 'create table s (id int primary key, touched_at timestamptz); insert into s values (1, null)';
      const oracle = await createOracle({ setupSql, database: db.url ? new URL(db.url).toString() : undefined });
      try {
        // now() is the same inside one transaction; verify commits the first run, so must the oracle.
        const a = await oracle.check('update s set touched_at = now()');
        assert.equal(a.idempotent, false, JSON.stringify(a));
        assert.equal(a.phase, 'rerun');
        assert.match(a.reason!, /statement 1/);
        // A second run that writes the same values without the clock is still idempotent.
        assert.equal((await oracle.check("update s set touched_at = '2025-01-01T00:00:00Z'")).idempotent, true);
        const b = await oracle.check('begin;\ncreate table if not exists w (id int);\ncommit;');
        assert.deepEqual([b.phase, b.idempotent], ['rerun', true], JSON.stringify(b));
        const c = await oracle.check('BEGIN;\ninsert into s values (2, null);\nCOMMIT;');
        assert.deepEqual([c.phase, c.idempotent], ['rerun', false], JSON.stringify(c));
        assert.match(c.reason!, /duplicate key|already exists/);
        // Neither check left anything behind in the prepared database.
        assert.equal((await oracle.check('insert into s values (2, null)')).phase, 'rerun');
      } finally {
        await oracle.close();
      }
    });
  });
}
