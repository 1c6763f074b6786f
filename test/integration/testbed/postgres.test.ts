import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testbed, type Testbed } from '../testbed';
import { sshExec, sshOptions } from './helpers';

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

suite('(integration) test bed: PostgreSQL 15 servers', function () {
  let tb: Testbed;
  suiteSetup(function () { tb = testbed(); });

  test('the test database answers on 127.0.0.1 and is PostgreSQL 15', async function () {
    const row = await withClient(tb.testDatabaseUrl, async (c) =>
      (await c.query<{ v: string; addr: string; db: string }>(
        "SELECT current_setting('server_version_num') AS v, host(inet_server_addr()) AS addr, current_database() AS db")).rows[0]!);
    assert.match(row.v, /^15\d{4}$/);
    assert.equal(row.addr, '127.0.0.1');
    assert.equal(row.db, 'appdb');
  });

  test('role app may create and drop throwaway databases on the test server', async function () {
    const db = `gl_testbed_${randomBytes(4).toString('hex')}`;
    await withClient(tb.testDatabaseUrl, (c) => c.query(`CREATE DATABASE ${db}`));
    try {
      const url = new URL(tb.testDatabaseUrl);
      url.pathname = `/${db}`;
      const n = await withClient(url.toString(), async (c) => {
        await c.query('CREATE TABLE t (id int PRIMARY KEY)');
        await c.query('INSERT INTO t SELECT generate_series(1, 100)');
        return (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n;
      });
      assert.equal(n, 100);
    } finally {
      await withClient(tb.testDatabaseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${db}`));
    }
  });

  test('the production database answers on the production address, a different server', async function () {
    const row = await withClient(tb.prodDatabaseUrl, async (c) =>
      (await c.query<{ v: string; addr: string }>(
        "SELECT current_setting('server_version_num') AS v, host(inet_server_addr()) AS addr")).rows[0]!);
    assert.match(row.v, /^15\d{4}$/);
    assert.equal(row.addr, tb.prodIp);
  });

  test('inside the production host the database answers on the "inside" URL (127.0.0.1)', async function () {
    const r = await sshExec(sshOptions(tb, tb.hostKey), `psql "${tb.prodDatabaseUrlInside}" -XAtc 'SELECT host(inet_server_addr())'`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '127.0.0.1');
  });
});
