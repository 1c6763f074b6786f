// Acceptance: an Express + pg service nobody here wrote the deploy path for. Its /healthz awaits a
// query of its own table, which only Greenlight's migration runner creates, so the first deploy
// onto an empty database passes only when migrations run before the new version starts. Then a
// second version, a rollback, and the three ways a deploy fails (health after migrations, a
// release task, a migration halfway), each ending with a named version serving.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { get, makeProject, removeProdProxy, npmInstall, prodQuery, removeProdContainers, resetProdDatabase, servingIn, type Project, underLoad } from './harness';

const PROJECT = 'acc-express';
const DATABASE = 'acc_express';
const PORT = 18501;

interface Root {
  readonly version: string;
  readonly release: string;
}

suite('(acceptance) Express + pg: build, test, deploy onto an empty database, redeploy, roll back, fail safely', function () {
  let p: Project;
  const v: Record<string, string> = {};

  /** What answers on the published port of the production host, as any client sees it. */
  const serving = async (): Promise<Root> => {
    const r = await get(p.bed.prodIp, PORT, '/');
    assert.equal(r.status, 200, `GET http://${p.bed.prodIp}:${PORT}/ answered ${r.status}: ${r.body}`);
    return JSON.parse(r.body) as Root;
  };

  const deploy = (version: string, ...extra: string[]): Promise<{ code: number; out: string }> => p.cli(['deploy', `api:${version}`, '--env', 'production', ...extra], 300_000);

  /** The load every operation under test runs inside (underLoad in harness.ts: 0 failed, 0 re-sent). */
  const LOAD = { port: PORT, requests: 1000, concurrency: 20, ratePerSecond: 50 };

  suiteSetup(function () {
    p = makeProject('express', { install: (dir) => npmInstall(path.join(dir, 'api')) });
    removeProdContainers(p.bed, PROJECT);
    resetProdDatabase(p.bed, DATABASE);
  });

  suiteTeardown(function () {
    if (!p) return;
    removeProdContainers(p.bed, PROJECT);
    removeProdProxy(p.bed);
    p.remove();
  });

  test('v1: greenlight build and greenlight test pass (migrations applied to a test database)', async () => {
    v.one = await p.buildAndTest();
    assert.match(v.one, /^v[0-9a-f]{7}-\d{8}-\d{6}$/, 'a clean build of the committed tree');
  });

  test('first deploy onto an empty database: migrate and seed before start, then healthy and serving', async () => {
    assert.equal(prodQuery(p.bed, DATABASE, "select count(*) from pg_tables where schemaname = 'public'"), '0', 'the database starts empty');
    // This project's lock is this suite's alone: one left by a killed earlier run is broken.
    const r = await deploy(v.one!, '--break-lock');
    assert.equal(r.code, 0, r.out);
    assert.equal(servingIn(r.out), v.one, r.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
    const health = await get(p.bed.prodIp, PORT, '/healthz');
    assert.equal(health.status, 200, health.body);
    assert.equal((JSON.parse(health.body) as { greetings: number }).greetings, 1, 'the seed release task ran once');
  });

  test('v2 (a changed file and a new migration): built, tested, deployed through the proxy with 0 failed requests; v2 serves', async () => {
    p.write('api/release.txt', 'two\n');
    p.write('migrations/002_add_lang.sql', "ALTER TABLE greetings ADD COLUMN IF NOT EXISTS lang text NOT NULL DEFAULT 'en';\n");
    p.commit('release two');
    v.two = await p.buildAndTest();
    assert.notEqual(v.two, v.one);
    const { result: r, versions } = await underLoad(p.bed, LOAD, () => deploy(v.two!));
    assert.equal(r.code, 0, r.out);
    assert.ok((versions[v.one!] ?? 0) > 0 && (versions[v.two] ?? 0) > 0, `both versions answered: ${JSON.stringify(versions)}`);
    assert.equal(servingIn(r.out), v.two, r.out);
    assert.deepEqual(await serving(), { version: v.two, release: 'two' });
    assert.equal(prodQuery(p.bed, DATABASE, "select count(*) from information_schema.columns where table_name = 'greetings' and column_name = 'lang'"), '1');
  });

  test('greenlight rollback through the proxy with 0 failed requests: v1 serves again', async () => {
    const { result: r } = await underLoad(p.bed, LOAD, () => p.cli(['rollback', '--env', 'production']));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(v.one!), r.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
  });

  test('health failing after migrations: the deploy fails, v1 keeps serving, the output names it and offers the backup', async () => {
    // A realistic bug: the new column is not back-filled, so only a database with rows (production,
    // not the empty test database) makes the new /healthz fail.
    p.write('migrations/003_add_mood.sql', 'ALTER TABLE greetings ADD COLUMN IF NOT EXISTS mood text;\n');
    p.write(
      'api/server.js',
      p
        .read('api/server.js')
        .replace(
          "const r = await pool.query('select count(*)::int as n from greetings');",
          "const r = await pool.query('select count(*)::int as n, count(*) filter (where mood is null)::int as moodless from greetings');\n    if (r.rows[0].moodless > 0) return res.status(503).json({ status: 'error', version: VERSION, error: `${r.rows[0].moodless} greetings have no mood` });",
        ),
    );
    p.write('api/release.txt', 'three\n');
    p.commit('release three: mood');
    v.three = await p.buildAndTest();
    const r = await deploy(v.three);
    assert.equal(r.code, 1, r.out);
    assert.equal(servingIn(r.out), v.one, r.out);
    assert.match(r.out, /healthy|health/i, r.out);
    assert.match(r.out, /greenlight backup restore --env production \S+/, `the pre-deploy backup is offered:\n${r.out}`);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
    assert.equal(prodQuery(p.bed, DATABASE, "select count(*) from information_schema.columns where table_name = 'greetings' and column_name = 'mood'"), '1', 'the migration ran before start');
  });

  test('a release task failing: the new version never starts, v1 keeps serving, the output names the task and v1', async () => {
    p.write('api/server.js', p.read('api/server.js').replace(/, count\(\*\) filter \(where mood is null\)::int as moodless/, '').replace(/\n {4}if \(r\.rows\[0\]\.moodless > 0\).*/, ''));
    p.write('api/seed.js', p.read('api/seed.js').replace("insert into greetings (name) select 'seeded'", "insert into greeting_tags (name) select 'seeded'"));
    p.write('api/release.txt', 'four\n');
    p.commit('release four: seed tags');
    v.four = await p.buildAndTest();
    const r = await deploy(v.four);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /seed/, r.out);
    assert.match(r.out, /greeting_tags/, 'the task output is shown');
    assert.equal(servingIn(r.out), v.one, r.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
  });

  test('a migration failing halfway: rolled back in its transaction, v1 keeps serving, the output names it and v1', async () => {
    // Production has duplicate names the empty test database does not: the unique index fails
    // there only, after the file's first statement already ran.
    for (let i = 0; i < 2; i++) assert.equal((await get(p.bed.prodIp, PORT, '/greetings?name=ada', undefined, 'POST')).status, 201);
    p.write('api/seed.js', p.read('api/seed.js').replace('greeting_tags', 'greetings'));
    p.write('migrations/004_unique_names.sql', 'ALTER TABLE greetings ADD COLUMN IF NOT EXISTS slug text;\nCREATE UNIQUE INDEX IF NOT EXISTS greetings_name_key ON greetings (name);\n');
    p.write('api/release.txt', 'five\n');
    p.commit('release five: unique names');
    v.five = await p.buildAndTest();
    const r = await deploy(v.five);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /004_unique_names/, r.out);
    assert.equal(servingIn(r.out), v.one, r.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
    assert.equal(prodQuery(p.bed, DATABASE, "select count(*) from information_schema.columns where table_name = 'greetings' and column_name = 'slug'"), '0', "the failed file's first statement was rolled back with it");
  });
});
