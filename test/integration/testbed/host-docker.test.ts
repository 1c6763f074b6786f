import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { testbed, type Testbed } from '../testbed';
import { buildBusyboxImage, freeLoopbackPort, removeQuietly, waitHttp } from './helpers';

suite('(integration) test bed: host Docker engine', function () {
  let tb: Testbed;
  let docker: Docker;
  const version = `t${randomBytes(4).toString('hex')}`;
  const names: string[] = [];

  suiteSetup(function () {
    tb = testbed();
    docker = new Docker({ socketPath: tb.hostDockerSock });
  });

  suiteTeardown(async function () {
    for (const n of names) await removeQuietly(docker, n);
    try { await docker.getImage(`greenlight-test/busybox-app:${version}`).remove({ force: true }); } catch { /* never built */ }
  });

  test('dockerode reaches the engine on the host socket', async function () {
    const pong = await docker.ping();
    assert.equal(String(pong), 'OK');
    const v = await docker.version();
    assert.match(v.ApiVersion, /^1\.\d+$/);
    const info = await docker.info();
    assert.equal(info.OSType, 'linux');
  });

  test('a FROM-scratch busybox image built with --network none answers /cgi-bin/health with --network host', async function () {
    const id = await buildBusyboxImage(docker, version);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const image = await docker.getImage(`greenlight-test/busybox-app:${version}`).inspect();
    assert.equal(image.Config.Labels?.['org.greenlight.test.version'], version);

    for (const failing of [false, true]) {
      const port = await freeLoopbackPort();
      const name = `gl-testbed-host-${version}-${failing ? 'fail' : 'ok'}`;
      names.push(name);
      const c = await docker.createContainer({
        name,
        Image: image.Id,
        Env: ['BIND=127.0.0.1', `PORT=${port}`, ...(failing ? ['FAIL_HEALTH=1'] : [])],
        HostConfig: { NetworkMode: 'host' },
      });
      await c.start();
      const r = await waitHttp(`http://127.0.0.1:${port}/cgi-bin/health`);
      if (failing) {
        assert.equal(r.status, 500, `FAIL_HEALTH=1 must make the health check fail: ${r.body}`);
      } else {
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(JSON.parse(r.body), { status: 'ok', version });
      }
      await c.remove({ force: true });
    }
  });
});
