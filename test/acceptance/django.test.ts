// Acceptance: a Django 3.2 app served by gunicorn as a non-root user, Django, gunicorn and psycopg2
// from Debian's packages, its schema made by Django's own migrations (database.migrateCommand).
// /healthz reads its model, and Django answers only Host headers in ALLOWED_HOSTS, so the deploy's
// probe must send health.host. gunicorn needs a world-writable /tmp in the image (mode 1777).
import * as assert from 'node:assert/strict';
import { get, makeProject, prodQuery, removeProdContainers, removeProdProxy, resetProdDatabase, servingIn, type Project, underLoad } from './harness';

const PROJECT = 'acc-django';
const DATABASE = 'acc_django';
const PORT = 18502;
const HOST = 'app.example.test';

interface Root {
  readonly version: string;
  readonly release: string;
}

suite('(acceptance) Django + gunicorn from Debian: build, test, deploy onto an empty database, redeploy, roll back', function () {
  let p: Project;
  const v: Record<string, string> = {};

  const serving = async (): Promise<Root> => {
    const r = await get(p.bed.prodIp, PORT, '/', HOST);
    assert.equal(r.status, 200, `GET http://${p.bed.prodIp}:${PORT}/ (Host: ${HOST}) answered ${r.status}: ${r.body}`);
    return JSON.parse(r.body) as Root;
  };

  const deploy = (version: string, ...extra: string[]): Promise<{ code: number; out: string }> => p.cli(['deploy', `web:${version}`, '--env', 'production', ...extra], 300_000);

  /** The load every operation under test runs inside (underLoad in harness.ts: 0 failed, 0 re-sent). */
  const LOAD = { port: PORT, hostHeader: HOST, requests: 1000, concurrency: 20, ratePerSecond: 40 };

  suiteSetup(function () {
    p = makeProject('django');
    removeProdContainers(p.bed, PROJECT);
    resetProdDatabase(p.bed, DATABASE);
  });

  suiteTeardown(function () {
    if (!p) return;
    removeProdContainers(p.bed, PROJECT);
    removeProdProxy(p.bed);
    p.remove();
  });

  test('v1: greenlight build (Debian files staged FROM scratch) and greenlight test (Django migrations first) pass', async () => {
    v.one = await p.buildAndTest();
  });

  test('first deploy onto an empty database: manage.py migrate before start, healthy with the right Host, serving', async () => {
    assert.equal(prodQuery(p.bed, DATABASE, "select count(*) from pg_tables where schemaname = 'public'"), '0', 'the database starts empty');
    // This project's lock is this suite's alone: one left by a killed earlier run is broken.
    const r = await deploy(v.one!, '--break-lock');
    assert.equal(r.code, 0, r.out);
    assert.equal(servingIn(r.out), v.one, r.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
    const health = await get(p.bed.prodIp, PORT, '/healthz', HOST);
    assert.equal(health.status, 200, health.body);
    const wrongHost = await get(p.bed.prodIp, PORT, '/healthz', 'not-allowed.example.test');
    assert.equal(wrongHost.status, 400, 'ALLOWED_HOSTS is enforced, so the probe did send the configured Host');
    assert.equal(prodQuery(p.bed, DATABASE, "select count(*) from django_migrations where app = 'greetings'"), '1');
  });

  test('v2 (a changed file and a new Django migration): built, tested, deployed; v2 serves', async () => {
    p.write('web/app/release.txt', 'two\n');
    p.write(
      'web/app/greetings/migrations/0002_greeting_lang.py',
      [
        'from django.db import migrations, models',
        '',
        '',
        'class Migration(migrations.Migration):',
        "    dependencies = [('greetings', '0001_initial')]",
        "    operations = [migrations.AddField(model_name='greeting', name='lang', field=models.TextField(default='en'))]",
        '',
      ].join('\n'),
    );
    p.write('web/app/greetings/models.py', p.read('web/app/greetings/models.py') + "    lang = models.TextField(default='en')\n");
    p.commit('release two');
    v.two = await p.buildAndTest();
    // Through the proxy: no request fails while v1 hands over to v2.
    const { result: r, versions } = await underLoad(p.bed, LOAD, () => deploy(v.two!));
    assert.equal(r.code, 0, r.out);
    assert.ok((versions[v.one!] ?? 0) > 0 && (versions[v.two] ?? 0) > 0, `both versions answered during the switch: ${JSON.stringify(versions)}`);
    assert.equal(servingIn(r.out), v.two, r.out);
    assert.deepEqual(await serving(), { version: v.two, release: 'two' });
    assert.equal(prodQuery(p.bed, DATABASE, "select count(*) from django_migrations where app = 'greetings'"), '2');
  });

  test('greenlight rollback: v1 serves again', async () => {
    const { result: r } = await underLoad(p.bed, LOAD, () => p.cli(['rollback', '--env', 'production']));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, new RegExp(v.one!), r.out);
    assert.deepEqual(await serving(), { version: v.one, release: 'one' });
  });
});
