import * as assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { utils } from 'ssh2';
import { testbed, type Testbed } from '../testbed';
import { buildBusyboxImage, keyBlob, removeQuietly, sshExec, sshOptions, waitHttp } from './helpers';

suite('(integration) test bed: production host over SSH', function () {
  let tb: Testbed;
  let remote: Docker;
  const seen: Buffer[] = [];
  const version = `p${randomBytes(4).toString('hex')}`;
  const name = `gl-testbed-prod-${version}`;

  // docker-modem opens one SSH connection per API call and runs `docker system dial-stdio` remotely.
  const overSsh = (pinned: string, keys: Buffer[]): Docker =>
    new Docker({ protocol: 'ssh', host: tb.sshHost, port: tb.sshPort, username: tb.sshUser, sshOptions: sshOptions(tb, pinned, keys) });

  suiteSetup(function () {
    tb = testbed();
    remote = overSsh(tb.hostKey, seen);
  });

  suiteTeardown(async function () {
    if (!remote) return;
    await removeQuietly(remote, name);
    try { await remote.getImage(`greenlight-test/busybox-app:${version}`).remove({ force: true }); } catch { /* never built */ }
  });

  test('known_hosts pins the same ed25519 key the env file names', function () {
    const lines = readFileSync(tb.knownHostsFile, 'utf8').trim().split('\n');
    assert.deepEqual(lines, [`${tb.prodIp} ${tb.hostKey}`]);
    assert.equal(keyBlob(tb.hostKey).length, 51, 'an ed25519 key blob is 51 bytes');
  });

  test('dockerode over SSH with the pinned host key reaches the prod engine, not the host one', async function () {
    const info = await remote.info();
    assert.equal(info.DockerRootDir, `${tb.root}/prod/data`);
    const local = await new Docker({ socketPath: tb.hostDockerSock }).info();
    assert.notEqual(local.DockerRootDir, info.DockerRootDir);
    assert.notEqual(local.ID, info.ID, 'the prod engine has its own identity');
    assert.ok(seen.length > 0, 'the host key verifier was consulted');
    assert.ok(seen.every((k) => k.equals(keyBlob(tb.hostKey))));
  });

  test('a wrong pinned host key is refused before any API call', async function () {
    const other = utils.generateKeyPairSync('ed25519').public;   // "ssh-ed25519 AAAA… comment"
    assert.notEqual(other.split(' ')[1], tb.hostKey.split(' ')[1]);
    const offered: Buffer[] = [];
    await assert.rejects(overSsh(other, offered).ping(), (e: Error) => {
      assert.match(e.message, /verif/i, `expected a host verification error, got: ${e.message}`);
      return true;
    });
    assert.equal(offered.length, 1, 'the server presented its key once');
    assert.ok(offered[0]!.equals(keyBlob(tb.hostKey)), 'the server presented the real key, which did not match the pin');
  });

  test('an image built over SSH runs with --network host and answers on the production address', async function () {
    await buildBusyboxImage(remote, version);
    // The prod netns is ours alone; a random high port is free there unless a test left a container.
    const port = randomInt(20000, 29000);
    const c = await remote.createContainer({
      name,
      Image: `greenlight-test/busybox-app:${version}`,
      Env: [`BIND=${tb.prodIp}`, `PORT=${port}`],
      HostConfig: { NetworkMode: 'host' },
    });
    await c.start();
    const r = await waitHttp(`http://${tb.prodIp}:${port}/cgi-bin/health`);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok', version });
    await c.remove({ force: true });
  });

  test('the deploy user finds docker on PATH and can pg_dump into the backups directory', async function () {
    const file = `testbed-${randomBytes(4).toString('hex')}.dump`;
    const r = await sshExec(sshOptions(tb, tb.hostKey),
      `set -e; command -v docker >/dev/null; cd "$GREENLIGHT_BACKUPS_DIR"; pg_dump -Fc -f ${file}; head -c 5 ${file}; rm -f ${file}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'PGDMP', 'a custom-format dump starts with PGDMP');
  });
});
