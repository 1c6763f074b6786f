import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';
import { testbed } from '../testbed';
import { FIXTURES } from './engines';

// `greenlight migrate drift --env production` against the test bed's production PostgreSQL 15,
// reached the way the deploy reaches it: over the environment's SSH connection (pinned host key)
// with a forwarded port to 127.0.0.1:5432 as the production host sees it. The suite's database
// is its own, created on that server and dropped afterwards. The fresh migrate for the
// comparison runs on the local test server (database.local.url), so both sides are PostgreSQL 15.
suite('(integration) greenlight migrate drift --env on the test bed production host', function () {
  this.timeout(180000);
  const name = `glit_drift_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let cwd: string;
  let password: string;

  const dbUrl = (base: string, database: string): string => {
    const u = new URL(base);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const io = (): CliIo & { stdout: string[]; stderr: string[] } => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return { cwd, env: { ...process.env, PGPASSWORD: '', GL_TEST_DB_PASSWORD: password }, stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), exit: () => undefined };
  };
  const drift = async (): Promise<{ code: number; out: string; err: string }> => {
    const x = io();
    const code = await runCli(['migrate', 'drift', '--env', 'production'], x);
    return { code, out: x.stdout.join('\n'), err: x.stderr.join('\n') };
  };

  suiteSetup(async () => {
    const tb = testbed();
    password = decodeURIComponent(new URL(tb.prodDatabaseUrl).password);
    admin = new pg.Client({ connectionString: tb.prodDatabaseUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    cwd = await mkdtemp(path.join(os.tmpdir(), 'gl-drift-env-'));
    await cp(path.join(FIXTURES, 'chain-ok'), path.join(cwd, 'migrations'), { recursive: true });
    const local = new URL(tb.testDatabaseUrl);
    local.password = '';
    await writeFile(
      path.join(cwd, 'greenlight.yaml'),
      [
        'project: driftit',
        'database:',
        '  kind: postgres',
        '  migrations: migrations',
        `  local: { url: '${local.toString()}', passwordEnv: GL_TEST_DB_PASSWORD }`,
        'environments:',
        '  production:',
        `    ssh: { host: ${tb.sshHost}, port: ${tb.sshPort}, user: ${tb.sshUser}, identityFile: ${tb.sshKeyFile}, hostKey: '${tb.hostKey}' }`,
        `    docker: { socket: ${tb.prodDockerSock} }`,
        `    database: { host: 127.0.0.1, port: 5432, name: ${name}, user: app, passwordEnv: GL_TEST_DB_PASSWORD }`,
        '',
      ].join('\n'),
    );
    // Production gets the chain applied (directly, as setup; the command under test goes over SSH).
    const up = io();
    assert.equal(await runCli(['migrate', 'up', '--database', dbUrl(tb.prodDatabaseUrl, name), '--no-seeds'], up), 0, up.stderr.join('\n'));
  });

  suiteTeardown(async () => {
    if (admin) {
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
      await admin.end();
    }
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  test('no drift on a database migrated by the chain; per-object differences once production is changed by hand', async () => {
    const clean = await drift();
    assert.equal(clean.code, 0, `${clean.out}\n${clean.err}`);
    assert.match(clean.out, new RegExp(`environment production: ${name} on 127\\.0\\.0\\.1:5432 via`));
    assert.match(clean.out, /no drift|0 differences|matches/i);

    const db = new pg.Client({ connectionString: dbUrl(testbed().prodDatabaseUrl, name) });
    await db.connect();
    try {
      await db.query('alter table users add column phone text');
      await db.query('create index users_phone_idx on users (phone)');
    } finally {
      await db.end();
    }
    const drifted = await drift();
    assert.equal(drifted.code, 1, `${drifted.out}\n${drifted.err}`);
    assert.match(drifted.out, /column public\.users\.phone/);
    assert.match(drifted.out, /index public\.users_phone_idx/);
    assert.equal(`${drifted.out}${drifted.err}`.includes(password), false, 'no password in the output');
  });

  test('an unknown environment or a missing password is a usage error (exit 2) naming it', async () => {
    const x = io();
    assert.equal(await runCli(['migrate', 'drift', '--env', 'staging'], x), 2);
    assert.match(x.stderr.join('\n'), /no environment "staging".*known: production/);
    const y = { ...io(), env: { ...process.env, GL_TEST_DB_PASSWORD: undefined } };
    assert.equal(await runCli(['migrate', 'drift', '--env', 'production'], y), 2);
    assert.match(y.stderr.join('\n'), /GL_TEST_DB_PASSWORD/);
    const z = io();
    assert.equal(await runCli(['migrate', 'drift', '--env', 'production', '--database', 'postgres://x@127.0.0.1/y'], z), 2);
    assert.match(z.stderr.join('\n'), /give one/);
  });
});
