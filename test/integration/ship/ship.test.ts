import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fingerprint, parseKeyLine } from '../../../src/core/ship/hostKey';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import { RemoteHost } from '../../../src/core/ship/remoteHost';
import { sha256File } from '../../../src/core/images/checksum';
import { shipImage } from '../../../src/core/ship/ship';
import { HostKeyError } from '../../../src/core/ship/sshAdapter';
import { buildAppImage } from '../deploy/appImages';
import { bed, connect, recordingContext, type Bed } from '../deploy/bed';
import { reverseTunnel } from './reverseTunnel';

suite('(integration) ship: images to the production host over one SSH connection', function () {
  this.timeout(180000);
  let b: Bed;
  let local: DockerEngine;
  let host: RemoteHost;
  let tmp: string;
  let bigId: string;

  suiteSetup(async () => {
    b = bed();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'gl-ship-it-'));
    local = localDocker();
    bigId = buildAppImage('gl-it-ship:big', 'big', { padBytes: 40e6 });
    buildAppImage('gl-it-ship:art', 'art', { padBytes: 1e6 });
    buildAppImage('gl-it-ship:reg', 'reg');
    host = await connect(b, recordingContext());
    for (const t of ['gl-it-ship:big', 'gl-it-ship:art', 'gl-it-ship:reg', bigId]) await host.docker.removeImage(t).catch(() => undefined);
  });

  suiteTeardown(() => {
    host?.close();
    local?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a changed host key is refused with its SHA256 fingerprint', async () => {
    const other = execFileSync('ssh-keygen', ['-y', '-f', b.sshKey]).toString().trim(); // a real key that is not the host's
    const real = parseKeyLine(b.hostKey);
    await assert.rejects(
      RemoteHost.connect({ host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: other }, b.dockerSock, recordingContext()),
      (e: unknown) => e instanceof HostKeyError && e.verdict.reason === 'changed' && e.message.includes(fingerprint(real.blob)) && /HOST KEY CHANGED/.test(e.message),
    );
  });

  test('an unpinned host key is refused, never trusted on first use', async () => {
    await assert.rejects(
      RemoteHost.connect({ host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey }, b.dockerSock, recordingContext()),
      (e: unknown) => e instanceof HostKeyError && e.verdict.reason === 'unknown' && e.message.includes(b.hostKey),
    );
  });

  test('the known_hosts file pins the key too', async () => {
    const h = await RemoteHost.connect({ host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, knownHostsFile: b.knownHosts }, b.dockerSock, recordingContext());
    h.close();
  });

  test('connection dropped mid-stream: reconnects, retries, and the image arrives intact', async () => {
    const h = await connect(b, recordingContext());
    let dropped = false;
    const ctx = recordingContext(undefined, (p) => {
      if (!dropped && /MB sent/.test(p.message ?? '') && parseInt(p.message!, 10) >= 8) {
        dropped = true;
        h.connection.destroyForTest();
      }
    });
    try {
      const r = await shipImage(ctx, local, h, { image: 'gl-it-ship:big', mode: 'stream' });
      assert.ok(dropped, 'the connection was dropped during the transfer');
      assert.equal(r.attempts, 2);
      assert.equal(r.imageId, bigId);
      assert.ok(ctx.lines.some((l) => /connection to .* lost/.test(l)), ctx.lines.join('\n'));
      const there = await h.docker.inspectImage('gl-it-ship:big');
      assert.equal(there?.id, bigId);
    } finally {
      h.close();
    }
  });

  test('connection dropped with no retries left: a clean failure, nothing tagged on the host', async () => {
    await host.docker.removeImage('gl-it-ship:big').catch(() => undefined);
    await host.docker.removeImage(bigId).catch(() => undefined);
    const h = await connect(b, recordingContext());
    let dropped = false;
    const ctx = recordingContext(undefined, (p) => {
      if (!dropped && /MB sent/.test(p.message ?? '') && parseInt(p.message!, 10) >= 8) {
        dropped = true;
        h.connection.destroyForTest();
      }
    });
    try {
      await assert.rejects(shipImage(ctx, local, h, { image: 'gl-it-ship:big', mode: 'stream', attempts: 1 }), /dropped 1 times; gave up\. Nothing was tagged/);
    } finally {
      h.close();
    }
    assert.equal(await host.docker.inspectImage('gl-it-ship:big'), undefined, 'no tag on the host');
    assert.equal(await host.docker.inspectImage(bigId), undefined, 'no half-loaded image on the host');
  });

  test('artifact: copied, sha256 verified on the host, then loaded', async () => {
    const file = path.join(tmp, 'art.tar');
    execFileSync('docker', ['save', '-o', file, 'gl-it-ship:art']);
    writeFileSync(`${file}.sha256`, `${await sha256File(file)}  art.tar\n`);
    const ctx = recordingContext();
    const r = await shipImage(ctx, local, host, { image: 'gl-it-ship:art', mode: 'artifact', artifact: { file }, dockerSocket: b.dockerSock, remoteDir: '.greenlight/it-incoming' });
    assert.equal(r.sha256, await sha256File(file));
    assert.ok(ctx.lines.some((l) => l.includes(`sha256 verified on ${b.sshHost}`)));
    assert.ok(await host.docker.inspectImage('gl-it-ship:art'));
  });

  test('artifact with a wrong checksum is refused and not loaded', async () => {
    await host.docker.removeImage('gl-it-ship:art').catch(() => undefined);
    const file = path.join(tmp, 'art.tar');
    await assert.rejects(
      shipImage(recordingContext(), local, host, { image: 'gl-it-ship:art', mode: 'artifact', artifact: { file, sha256: '0'.repeat(64) }, dockerSocket: b.dockerSock }),
      /changed while it was read|the copy is corrupt/,
    );
    assert.equal(await host.docker.inspectImage('gl-it-ship:art'), undefined);
  });

  test('registry: push here, pull on the host, same image ID', async () => {
    const [registryHost, registryPort] = b.registry.split(':');
    // The host engine pushes to the test bed's registry on loopback; the production engine pulls
    // it through an SSH reverse tunnel to that registry (see reverseTunnel.ts for why).
    const tunnel = await reverseTunnel(b, registryHost!, Number(registryPort));
    try {
      // A previous run left the image on the host under its registry name: remove every tag of it.
      const id = (await local.inspectImage('gl-it-ship:reg'))!.id;
      for (const t of (await host.docker.inspectImage(id))?.repoTags ?? []) await host.docker.removeImage(t);
      await host.docker.removeImage(id);
      const ctx = recordingContext();
      const r = await shipImage(ctx, local, host, { image: 'gl-it-ship:reg', mode: 'registry', registry: { push: b.registry, pull: tunnel.remote } });
      assert.equal(r.alreadyPresent, false);
      assert.ok(tunnel.connections() > 0, 'the production engine pulled through the tunnel');
      const there = await host.docker.inspectImage('gl-it-ship:reg');
      assert.equal(there?.id, r.imageId);
      assert.equal(r.imageId, (await local.inspectImage('gl-it-ship:reg'))?.id, 'the pulled image is the local image, byte for byte');
    } finally {
      tunnel.close();
    }
  });

  test('all Docker API calls of an operation share one SSH connection', async () => {
    const h = await connect(b, recordingContext());
    try {
      for (let i = 0; i < 20; i++) await h.docker.version();
      assert.ok(h.channelStats.opened <= 2, `opened ${h.channelStats.opened} channels for 20 calls`);
    } finally {
      h.close();
    }
  });
});
