// Acceptance: Debian's nginx serving a static site on a published host port, beside an API service
// it reaches by name on their user network. Two services of one project, each deployed and rolled
// back on its own; the site and the API are checked through nginx's published port only.
import * as assert from 'node:assert/strict';
import { get, makeProject, removeProdContainers, servingIn, type Project } from './harness';

const PROJECT = 'acc-static';
const PORT = 18503;

suite('(acceptance) nginx static site + API on a user network: build, test, deploy, redeploy, roll back', function () {
  let p: Project;
  const v: Record<string, string> = {};

  const site = async (): Promise<string> => {
    const r = await get(p.bed.prodIp, PORT, '/');
    assert.equal(r.status, 200, `GET http://${p.bed.prodIp}:${PORT}/ answered ${r.status}: ${r.body}`);
    return /site release \w+/.exec(r.body)?.[0] ?? r.body;
  };
  /** The API's version as nginx's proxy (by the alias "api") returns it. */
  const api = async (): Promise<string> => {
    const r = await get(p.bed.prodIp, PORT, '/api/version');
    assert.equal(r.status, 200, `GET http://${p.bed.prodIp}:${PORT}/api/version answered ${r.status}: ${r.body}`);
    return (JSON.parse(r.body) as { version: string }).version;
  };
  const deploy = async (service: string, version: string, ...extra: string[]): Promise<void> => {
    const r = await p.cli(['deploy', `${service}:${version}`, '--service', service, '--env', 'production', ...extra], 300_000);
    assert.equal(r.code, 0, r.out);
    assert.equal(servingIn(r.out), version, r.out);
  };

  suiteSetup(function () {
    p = makeProject('static');
    removeProdContainers(p.bed, PROJECT);
  });

  suiteTeardown(function () {
    if (!p) return;
    removeProdContainers(p.bed, PROJECT);
    p.remove();
  });

  test('v1: both images built (nginx staged from its Debian package) and tested', async () => {
    v.one = await p.buildAndTest();
  });

  test('first deploy: the API, then nginx on its published port; the site and the proxied API answer', async () => {
    // This project's lock is this suite's alone: one left by a killed earlier run is broken.
    await deploy('api', v.one!, '--break-lock');
    await deploy('web', v.one!);
    assert.equal(await site(), 'site release one');
    assert.equal(await api(), v.one);
  });

  test('v2 (a changed page): both redeployed; nginx serves the new page and finds the new API by name', async () => {
    p.write('web/site/index.html', p.read('web/site/index.html').replace('site release one', 'site release two'));
    p.commit('release two');
    v.two = await p.buildAndTest();
    await deploy('api', v.two);
    await deploy('web', v.two);
    assert.equal(await site(), 'site release two');
    assert.equal(await api(), v.two);
  });

  test('greenlight rollback of each service: the v1 page and the v1 API serve again', async () => {
    for (const service of ['web', 'api']) {
      const r = await p.cli(['rollback', '--service', service, '--env', 'production']);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, new RegExp(v.one!), r.out);
    }
    assert.equal(await site(), 'site release one');
    assert.equal(await api(), v.one);
  });
});
