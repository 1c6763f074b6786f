import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import pg from 'pg';
import { buildImages } from '../../../src/core/images/build';
import type { DockerEngine } from '../../../src/core/images/docker';
import { openLedger } from '../../../src/core/images/ledger';
import { testImages } from '../../../src/core/images/testRun';
import { testbed } from '../testbed';
import { DEMO_WEB, FIXTURES, recordingContext, removeProjectArtifacts, requireDocker, stageDemo, uniqueName, workspace, type Workspace } from './bed';

/** The source database plays "the local copy of production": two rows the tests must not lose. */
async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

suite('(integration) images: test built images locally', function () {
  this.timeout(300_000);
  let engine: DockerEngine;
  let adminUrl = '';
  let password = '';
  let source = '';
  const workspaces: Workspace[] = [];

  // The smoke test run as test.command: writes one item through the app and checks it landed.
  const smoke = `[node, -e, "const u=process.env.GREENLIGHT_TEST_URL;(async()=>{const b=(await (await fetch(u+'/items')).json()).count;const p=await fetch(u+'/items?name=t',{method:'POST'});const a=(await (await fetch(u+'/items')).json()).count;console.log('items',b,'->',a);process.exit(p.status===201&&a===b+1?0:1)})()"]`;

  function make(opts: { mode?: string; env?: string; testCommand?: string; timeout?: number }): Workspace {
    const w = workspace(({ project, service, port }) =>
      [
        `project: ${project}`,
        'services:',
        `  - name: ${service}`,
        `    context: ${DEMO_WEB}`,
        `    port: ${port - 10000}`,
        `    testPort: ${port}`,
        `    health: { path: /health, timeoutSeconds: ${opts.timeout ?? 30}, intervalMs: 200 }`,
        opts.env ? `    env: ${opts.env}` : '',
        'database:',
        '  kind: postgres',
        `  migrateCommand: [/usr/bin/node, -e, ${JSON.stringify(readFileSync(path.join(FIXTURES, 'migrate-items.js'), 'utf8').replace(/^\/\/.*\n/gm, ''))}]`,
        `  local: { url: "${withDb(adminUrl, source).replace(/:[^:@/]*@/, '@')}", passwordEnv: GL_IT_DB_PASSWORD }`,
        'test:',
        `  mode: ${opts.mode ?? 'test-db'}`,
        `  command: ${opts.testCommand ?? smoke}`,
        '',
      ].join('\n'),
    );
    workspaces.push(w);
    return w;
  }

  async function buildAndTest(w: Workspace, mode?: 'test-db' | 'snapshot' | 'none') {
    await buildImages({ workspaceRoot: w.root, engine }, recordingContext().ctx);
    const rec = recordingContext();
    const r = await testImages({ workspaceRoot: w.root, engine, mode, env: { ...process.env, GL_IT_DB_PASSWORD: password } }, rec.ctx);
    return { r, lines: rec.lines };
  }

  async function leftovers(w: Workspace): Promise<number> {
    return (await engine.listContainers({ 'greenlight.test': 'true', 'greenlight.project': w.project })).length;
  }

  async function testDatabases(): Promise<string[]> {
    return (await sql<{ datname: string }>(withDb(adminUrl, 'postgres'), `select datname from pg_database where datname like '${source}\\_gl%'`)).map((r) => r.datname);
  }

  suiteSetup(async () => {
    engine = await requireDocker();
    adminUrl = testbed().testDatabaseUrl;
    password = decodeURIComponent(new URL(adminUrl).password);
    stageDemo();
    source = uniqueName('glsrc');
    await sql(withDb(adminUrl, 'postgres'), `create database ${source}`);
    await sql(withDb(adminUrl, source), "create table items (id serial primary key, name text not null); insert into items (name) values ('prod-1'), ('prod-2')");
  });

  suiteTeardown(async () => {
    for (const w of workspaces) {
      await removeProjectArtifacts(engine, w.project);
      rmSync(w.root, { recursive: true, force: true });
    }
    if (source) {
      for (const d of [source, ...(await testDatabases())]) await sql(withDb(adminUrl, 'postgres'), `drop database if exists ${d} with (force)`);
    }
  });

  test('a passing test: healthy, migrated, test command passed, ledger says tested, nothing left behind', async () => {
    const w = make({});
    const { r, lines } = await buildAndTest(w);
    assert.equal(r.passed, true, `${r.failure?.step}: ${r.failure?.message}\n${lines.join('\n')}`);
    assert.equal(r.mode, 'test-db');
    assert.ok(lines.some((l) => l.includes('migrated: items')), 'the migrate command ran in a one-off container');
    assert.ok(lines.some((l) => /items 2 -> 3/.test(l)), 'the test database is a copy of the source data');
    const ledger = await openLedger(w.root);
    const id = r.images[0]!.imageId;
    assert.equal(ledger.isTested(id), true);
    assert.deepEqual(ledger.get(id)?.testCommand?.[0], 'node');
    assert.equal(ledger.get(id)?.snapshot, `database ${source}`);
    assert.equal(await leftovers(w), 0, 'test containers are removed');
    assert.deepEqual(await testDatabases(), [], 'the test database is dropped');
    assert.ok(!readFileSync(path.join(w.root, r.logFile), 'utf8').includes(password), 'the database password never reaches the log');
  });

  test('test-db mode leaves the production snapshot untouched', async () => {
    const w = make({});
    const { r } = await buildAndTest(w, 'test-db');
    assert.equal(r.passed, true, r.failure?.message);
    const rows = await sql<{ name: string }>(withDb(adminUrl, source), 'select name from items order by id');
    assert.deepEqual(rows.map((x) => x.name), ['prod-1', 'prod-2']);
  });

  test('snapshot mode runs on the database itself and restores it afterwards', async () => {
    const w = make({ mode: 'snapshot' });
    const { r, lines } = await buildAndTest(w);
    assert.equal(r.passed, true, `${r.failure?.message}\n${lines.join('\n')}`);
    assert.ok(lines.some((l) => /items 2 -> 3/.test(l)), 'the test wrote to the database');
    const rows = await sql<{ name: string }>(withDb(adminUrl, source), 'select name from items order by id');
    assert.deepEqual(rows.map((x) => x.name), ['prod-1', 'prod-2'], 'restored to the snapshot');
    assert.deepEqual(await testDatabases(), [], 'the snapshot copy is gone (renamed back)');
  });

  test('a failing health check fails the test, captures the container logs and removes the containers', async () => {
    const w = make({ env: '{ FAIL_HEALTH: "1" }', timeout: 3 });
    const { r, lines } = await buildAndTest(w);
    assert.equal(r.passed, false);
    assert.equal(r.failure?.step, `health ${w.service}`);
    assert.match(r.failure?.message ?? '', /not healthy after 3 s .*HTTP 503 .*failing on purpose/);
    const log = readFileSync(path.join(w.root, r.logFile), 'utf8');
    assert.match(log, /status running, exit code 0; last log lines:/);
    assert.match(log, /\| demo web v\S+ listening on 127\.0\.0\.1:/, 'the container log is in the test log');
    assert.ok(lines.length > 0);
    assert.equal(await leftovers(w), 0);
    assert.deepEqual(await testDatabases(), []);
    const ledger = await openLedger(w.root);
    assert.equal(ledger.isTested(r.images[0]!.imageId), false);
    assert.equal(ledger.get(r.images[0]!.imageId)?.result, 'failed');
    assert.match(ledger.get(r.images[0]!.imageId)?.logExcerpt ?? '', /failing on purpose/);
  });

  test('a container that exits fails fast with its exit code', async () => {
    const w = make({ env: '{ DATABASE_URL: "x" }', timeout: 30 });
    // A port the app cannot bind to (privileged, and the app runs as uid 1000) makes it exit.
    w.write('greenlight.yaml', readFileSync(path.join(w.root, 'greenlight.yaml'), 'utf8').replace(/testPort: \d+/, 'testPort: 81'));
    w.commit('privileged port');
    const started = Date.now();
    const { r } = await buildAndTest(w);
    assert.equal(r.passed, false);
    assert.match(r.failure?.message ?? '', /stopped before it became healthy: status exited, exit code [1-9]/);
    assert.ok(Date.now() - started < 25_000, 'it did not wait for the health timeout');
    assert.equal(await leftovers(w), 0);
  });

  test('a failing test command fails the test with its exit code and output', async () => {
    const w = make({ testCommand: '[node, -e, "console.log(\'checking checkout\'); process.exit(3)"]' });
    const { r } = await buildAndTest(w);
    assert.equal(r.passed, false);
    assert.equal(r.failure?.step, 'test command');
    assert.match(r.failure?.message ?? '', /exited with 3; last output:\nchecking checkout/);
    assert.equal(await leftovers(w), 0);
    assert.equal((await openLedger(w.root)).isTested(r.images[0]!.imageId), false);
  });

  test('leftover test containers are removed by label and age', async () => {
    const w = make({});
    await buildImages({ workspaceRoot: w.root, engine }, recordingContext().ctx);
    const tag = JSON.parse(readFileSync(path.join(w.root, '.greenlight', 'build-version.json'), 'utf8')).images[0].tag;
    const old = new Date(Date.now() - 2 * 3600_000).toISOString();
    const id = await engine.createContainer({
      name: `${w.project}-crashed`,
      image: tag,
      env: {},
      labels: { 'greenlight.test': 'true', 'greenlight.project': w.project, 'greenlight.test.created': old },
      networkMode: 'none',
      secretEnv: {},
      restart: 'no',
      volumes: [],
      init: false,
    });
    const { cleanupTestLeftovers } = await import('../../../src/core/images/testRun');
    assert.deepEqual(await cleanupTestLeftovers(engine, w.project, 3600_000, recordingContext().ctx), [`${w.project}-crashed`]);
    assert.equal(await engine.inspectContainer(id), undefined);
    assert.ok(existsSync(w.root));
  });
});
