// Acceptance: the Express + pg service with its PostgreSQL running as a container on a user
// network of the production engine (an image FROM scratch of Debian's PostgreSQL 15), reached by
// the service under the name "db"; Greenlight's migrations and backups go through that container.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { DB_PASSWORD } from '../integration/deploy/bed';
import { get, makeProject, npmInstall, prodDocker, removeProdContainers, servingIn, type Project } from './harness';
import { buildPostgresImage, containerQuery, startPostgresContainer } from './postgresImage';

const PROJECT = 'acc-pgnet';
const DATABASE = 'acc_pgnet';
const NETWORK = 'acc-pgnet';
const PG = 'accept-pg';
const PORT = 18504;

suite('(acceptance) database in a container on a user network, reached by name: deploy onto it, redeploy, roll back', function () {
  let p: Project;
  const v: Record<string, string> = {};

  const serving = async (): Promise<{ version: string; release: string }> => {
    const r = await get(p.bed.prodIp, PORT, '/');
    assert.equal(r.status, 200, `GET http://${p.bed.prodIp}:${PORT}/ answered ${r.status}: ${r.body}`);
    return JSON.parse(r.body) as { version: string; release: string };
  };
  const query = (sql: string): string => containerQuery(p.bed, PG, DATABASE, DB_PASSWORD, sql);

  suiteSetup(async function () {
    p = makeProject('express', { config: 'greenlight.pgnet.yaml', install: (dir) => npmInstall(path.join(dir, 'api')) });
    removeProdContainers(p.bed, PROJECT);
    await startPostgresContainer(p.bed, { image: buildPostgresImage(), name: PG, network: NETWORK, database: DATABASE, password: DB_PASSWORD });
  });

  suiteTeardown(function () {
    if (!p) return;
    removeProdContainers(p.bed, PROJECT);
    prodDocker(p.bed, ['rm', '-f', PG]);
    p.remove();
  });

  test('the database container answers on its network and starts empty', () => {
    assert.equal(query("select count(*) from pg_tables where schemaname = 'public'"), '0');
  });

  test('v1: build, test, first deploy: migrations reach the container, the service reaches "db", v1 serves', async () => {
    v.one = await p.buildAndTest();
    const r = await p.cli(['deploy', `api:${v.one}`, '--env', 'production', '--break-lock'], 300_000);
    assert.equal(r.code, 0, r.out);
    assert.equal(servingIn(r.out), v.one, r.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
    assert.equal(query('select count(*) from greetings'), '1', 'migrated and seeded in the container database');
  });

  test('v2 deployed, then rolled back: v1 serves again', async () => {
    p.write('api/release.txt', 'two\n');
    p.commit('release two');
    v.two = await p.buildAndTest();
    const r = await p.cli(['deploy', `api:${v.two}`, '--env', 'production'], 300_000);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(await serving(), { version: v.two, release: 'two' });
    const back = await p.cli(['rollback', '--env', 'production']);
    assert.equal(back.code, 0, back.out);
    assert.match(back.out, new RegExp(v.one!), back.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
  });
});
