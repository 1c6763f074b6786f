import * as assert from 'node:assert/strict';
import { PGlite } from '@electric-sql/pglite';

// PGlite cold start costs 6–10 s on a busy 2-core machine: one instance for the whole suite.
suite('(integration) test bed: PGlite in-process', function () {
  let db: PGlite;

  suiteSetup(async function () {
    this.timeout(120000);
    db = new PGlite();
    await db.waitReady;
  });
  suiteTeardown(async function () { await db?.close(); });

  test('runs migrations and queries in-process', async function () {
    await db.exec(`
      CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at timestamptz DEFAULT now());
      CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, qty int DEFAULT 0);
      INSERT INTO schema_migrations (version) VALUES (1);`);
    await db.query(`INSERT INTO items (name, qty) SELECT 'n' || g, g FROM generate_series(1, 1000) g`);
    const r = await db.query<{ n: number; total: number; v: string }>(
      'SELECT count(*)::int AS n, sum(qty)::int AS total, version() AS v FROM items');
    assert.equal(r.rows[0]!.n, 1000);
    assert.equal(r.rows[0]!.total, 500500);
    assert.match(r.rows[0]!.v, /^PostgreSQL \d+/);
  });

  test('a failing migration in a transaction leaves nothing behind', async function () {
    await db.exec('CREATE TABLE accounts (id int PRIMARY KEY)');
    await assert.rejects(db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE accounts ADD COLUMN z int');
      await tx.exec('SELECT * FROM no_such_table');
    }), /no_such_table/);
    const r = await db.query<{ c: number }>(
      "SELECT count(*)::int AS c FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'z'");
    assert.equal(r.rows[0]!.c, 0);
  });
});
