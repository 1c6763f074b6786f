// The migration panel's service jobs (src/service/jobs/migrate.ts) on real databases: the local
// PGlite database of a project, an environment reached like a deploy reaches it (the test bed's
// production host over SSH with its pinned key, then its PostgreSQL 15 through a TCP forward), an
// environment whose SSH port accepts and then says nothing (it must time out, not hang), verify
// through one file, a dry run that commits nothing, and schema drift of a target.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { quietContext } from '../../../src/core/common/job';
import { migrateDriftJob, migrateDryRunJob, migrateStatusJob, migrateVerifyJob } from '../../../src/service/jobs/migrate';
import { testbed } from '../testbed';

const FILES: Record<string, string> = {
  '001_create_orders.sql': 'CREATE TABLE IF NOT EXISTS orders (id bigserial PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now());\n',
  '002_add_order_total.sql': '-- not idempotent\nALTER TABLE orders ADD COLUMN total_cents integer NOT NULL DEFAULT 0;\n',
};

suite('(integration) migrate: the migration panel jobs (status per target, verify, dry run, drift)', function () {
  this.timeout(180_000);
  let root: string;
  let silent: net.Server;
  let silentPort: number;
  const dbName = `gl_panel_jobs_${process.pid}`;
  let psqlUrl: string;

  suiteSetup(async () => {
    const tb = testbed();
    psqlUrl = tb.prodDatabaseUrl;
    execFileSync('psql', [psqlUrl, '-v', 'ON_ERROR_STOP=1', '-qAtc', `create database ${dbName}`]);
    const url = new URL(tb.prodDatabaseUrl);
    url.pathname = `/${dbName}`;
    // The environment's database gets the first migration through the engine's own runner, the
    // way a deploy would have applied it.
    root = mkdtempSync(path.join(tmpdir(), 'gl-panel-jobs-'));
    mkdirSync(path.join(root, 'migrations'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(path.join(root, 'migrations', name), text);
    // A server that accepts connections and never answers: an SSH daemon that hangs.
    silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as net.AddressInfo).port;
    // A real key, so the connection gets as far as the silent server.
    const keyFile = tb.sshKeyFile;
    writeFileSync(
      path.join(root, 'greenlight.yaml'),
      [
        'project: paneljobs',
        'database: { kind: postgres, name: app, migrations: migrations }',
        'environments:',
        '  production:',
        `    ssh: { host: ${tb.sshHost}, port: ${tb.sshPort}, user: ${tb.sshUser}, identityFile: ${tb.sshKeyFile}, hostKey: "${tb.hostKey}" }`,
        `    database: { name: ${dbName}, user: ${decodeURIComponent(url.username)}, passwordEnv: GL_PANEL_JOBS_PW }`,
        '  hanging:',
        `    ssh: { host: 127.0.0.1, port: ${silentPort}, user: nobody, identityFile: ${keyFile} }`,
        `    database: { name: ${dbName}, user: app }`,
        '  nodb:',
        `    ssh: { host: 127.0.0.1, port: ${silentPort}, user: nobody, identityFile: ${keyFile} }`,
        '',
      ].join('\n'),
    );
    process.env.GL_PANEL_JOBS_PW = decodeURIComponent(url.password);
    const { resolveTarget, targetMigrations, openBackend } = await import('../../../src/core/migrate/target');
    const { migrateUp } = await import('../../../src/core/migrate/runner');
    const t = await resolveTarget({ root, database: url.toString(), env: process.env });
    const files = await targetMigrations(t);
    const { backend, close } = await openBackend(t, 'up');
    try {
      const r = await migrateUp(backend, files, quietContext(), { through: '001_create_orders.sql' });
      assert.equal(r.applied.length, 1);
    } finally {
      await close();
    }
  });

  suiteTeardown(() => {
    silent?.close();
    delete process.env.GL_PANEL_JOBS_PW;
    if (psqlUrl) execFileSync('psql', [psqlUrl, '-qAtc', `drop database if exists ${dbName} with (force)`]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('status: the local PGlite database, the reachable environment, and the unreachable ones each with the reason, within the timeout', async () => {
    const started = Date.now();
    // 10 s: long enough for the real production host on a loaded 2-core machine, short enough to
    // prove the hanging host costs the timeout rather than the SSH library's own limits.
    const s = await migrateStatusJob({ workspaceRoot: root, timeoutMs: 10_000 }, quietContext());
    const took = Date.now() - started;
    assert.equal(s.problem, undefined);
    assert.deepEqual(
      s.files.map((f) => f.fileName),
      Object.keys(FILES),
    );
    const byId = new Map(s.targets.map((t) => [t.id, t]));
    const local = byId.get('local')!;
    assert.equal(local.reachable, true, local.problem);
    assert.deepEqual(
      local.entries.map((e) => e.state),
      ['pending', 'pending'],
    );
    const prod = byId.get('env:production')!;
    assert.equal(prod.reachable, true, prod.problem);
    assert.match(prod.database, new RegExp(`${dbName} via ssh`));
    assert.deepEqual(
      prod.entries.map((e) => [e.fileName, e.state]),
      [
        ['001_create_orders.sql', 'applied'],
        ['002_add_order_total.sql', 'pending'],
      ],
    );
    const hanging = byId.get('env:hanging')!;
    assert.equal(hanging.reachable, false);
    assert.match(hanging.problem ?? '', /no SSH server answered within 10 s|did not answer within 10 s/);
    const nodb = byId.get('env:nodb')!;
    assert.equal(nodb.reachable, false);
    assert.match(nodb.problem ?? '', /declares no database/);
    // The hanging host costs the timeout, not the SSH library's own 15 s or more.
    assert.ok(took < 25_000, `status took ${took} ms`);
  });

  test('status: a stored password from the editor beats the environment variable, and a wrong one is the reason shown', async () => {
    const s = await migrateStatusJob({ workspaceRoot: root, timeoutMs: 8000, environments: true, dbPasswords: { production: 'wrong-password' } }, quietContext());
    const prod = s.targets.find((t) => t.id === 'env:production')!;
    assert.equal(prod.reachable, false);
    assert.match(prod.problem ?? '', /password authentication failed/);
    assert.doesNotMatch(prod.problem ?? '', /wrong-password/);
  });

  test('verify through one file: the chain before it runs, the file runs twice, the report names the statement', async () => {
    const r = await migrateVerifyJob({ workspaceRoot: root, through: '002_add_order_total.sql' }, quietContext());
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.migrations.map((m) => [m.fileName, m.status]),
      [
        ['001_create_orders.sql', 'ok'],
        ['002_add_order_total.sql', 'not-idempotent'],
      ],
    );
    const bad = r.migrations[1]!;
    assert.equal(bad.problem?.location?.line, 2);
    assert.match(bad.problem?.message ?? '', /total_cents/);
    assert.match(r.text, /verify FAILED: 1 not idempotent/);
    const only = await migrateVerifyJob({ workspaceRoot: root, through: '001_create_orders.sql' }, quietContext());
    assert.equal(only.ok, true);
    assert.deepEqual(
      only.migrations.map((m) => m.fileName),
      ['001_create_orders.sql'],
    );
    await assert.rejects(migrateVerifyJob({ workspaceRoot: root, through: '999_nope.sql' }, quietContext()), /999_nope\.sql: not a migration/);
  });

  test('dry run on the environment executes the pending file and commits nothing', async () => {
    const d = await migrateDryRunJob({ workspaceRoot: root, target: 'env:production' }, quietContext());
    assert.equal(d.executed, true);
    assert.equal(d.ok, true, d.text);
    assert.deepEqual(
      d.pending.map((p) => [p.fileName, p.outcome]),
      [['002_add_order_total.sql', 'ok']],
    );
    const cols = execFileSync('psql', [psqlUrl.replace(/\/[^/]*$/, `/${dbName}`), '-qAtc', `select count(*) from information_schema.columns where table_name = 'orders' and column_name = 'total_cents'`], { encoding: 'utf8' });
    assert.equal(cols.trim(), '0', 'the dry run left no column behind');
    await assert.rejects(migrateDryRunJob({ workspaceRoot: root, target: 'env:nowhere' }, quietContext()), /no migration target "env:nowhere"/);
  });

  test('drift on the environment: none while its schema matches the applied file, then the hand-made change, object by object; the local database likewise', async () => {
    const prodDb = psqlUrl.replace(/\/[^/]*$/, `/${dbName}`);
    const clean = await migrateDriftJob({ workspaceRoot: root, target: 'env:production' }, quietContext());
    assert.deepEqual(clean.differences, [], clean.text);
    assert.equal(clean.comparedFiles, 1, 'only the applied file is compared');
    assert.match(clean.note ?? '', /1 pending file left out/);
    assert.match(clean.database, /production/);
    assert.match(clean.text, /no drift: the schema matches the migrations/);
    // Someone "fixed" production by hand.
    execFileSync('psql', [prodDb, '-v', 'ON_ERROR_STOP=1', '-qAtc', 'alter table orders add column note text; create index orders_placed_idx on orders (placed_at)']);
    try {
      const drifted = await migrateDriftJob({ workspaceRoot: root, target: 'env:production' }, quietContext());
      assert.deepEqual(
        drifted.differences.map((d) => [d.kind, d.object]),
        [
          ['extra', 'column public.orders.note'],
          ['extra', 'index public.orders_placed_idx'],
        ],
        drifted.text,
      );
      assert.match(drifted.text, /2 differences$/);
    } finally {
      execFileSync('psql', [prodDb, '-qAtc', 'alter table orders drop column if exists note; drop index if exists orders_placed_idx']);
    }
    // The local PGlite database has no ledger yet: compared with all files, and it lacks their objects.
    const local = await migrateDriftJob({ workspaceRoot: root, target: 'local' }, quietContext());
    assert.equal(local.comparedFiles, 2);
    assert.match(local.note ?? '', /no migration ledger/);
    assert.ok(local.differences.some((d) => d.kind === 'missing' && d.object === 'table public.orders'), local.text);
    await assert.rejects(migrateDriftJob({ workspaceRoot: root, target: 'env:hanging' }, quietContext()), /ssh 127\.0\.0\.1:\d+: the connection was accepted, but no SSH server answered within 16 s/);
  });
});
