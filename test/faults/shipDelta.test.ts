// The layer delta under a dropped tunnel: the SSH connection of the ship runs through a TCP relay
// on this machine's loopback that cuts it (both sockets destroyed, as a NAT or a flaky link does)
// once it has carried CUT_AT bytes towards the host — always in the middle of the changed layer,
// which is several times larger. The ship's own connection is cut, never the test's, so the
// outcome is read on an intact connection. And under a dropped channel: with the engine reached
// through `docker system dial-stdio`, the host-side process of the ship's channel is killed (by
// its PID, found under the ship's own sshd session) while the layer streams, the connection intact.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { DockerEngine } from '../../src/core/images/docker';
import { localDocker } from '../../src/core/images/adapters/dockerodeAdapter';
import { RemoteHost } from '../../src/core/ship/remoteHost';
import { shipImage } from '../../src/core/ship/ship';
import { bed, connect, recordingContext, type Bed } from '../integration/deploy/bed';
import { buildNodeVersion } from '../integration/ship/deltaImages';

const APP_BYTES = 24e6;
const CUT_AT = 6e6;

interface Relay {
  readonly port: number;
  /** Connections relayed so far, and how many of them were cut. */
  readonly stats: { connections: number; cut: number };
  close(): Promise<void>;
}

/** Relays 127.0.0.1:<port> to host:port; cuts the connections `cut(n)` picks (n counts from 1) after CUT_AT bytes up. */
async function cuttingRelay(host: string, port: number, cut: (n: number) => boolean): Promise<Relay> {
  const stats = { connections: 0, cut: 0 };
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const n = ++stats.connections;
    const upstream = net.connect(port, host);
    open.add(client).add(upstream);
    let up = 0;
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      up += d.length;
      if (cut(n) && up >= CUT_AT) {
        stats.cut++;
        drop();
        return;
      }
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.pipe(client);
    client.on('close', () => (open.delete(client), upstream.destroy()));
    upstream.on('close', () => (open.delete(upstream), client.destroy()));
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stats,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

suite('(faults) ship: the SSH tunnel dropped in the middle of a layer delta', function () {
  this.timeout(300000);
  const repo = `delta-fault-${randomBytes(3).toString('hex')}`;
  let b: Bed;
  let local: DockerEngine;
  let host: RemoteHost;
  let v1: string;
  let v2: string;
  let layers2: readonly string[];

  /** A connection to the host through the relay, pinned to the host's key like any other. */
  const viaRelay = (relay: Relay): Promise<RemoteHost> =>
    RemoteHost.connect({ host: '127.0.0.1', port: relay.port, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey }, b.dockerSock, recordingContext());

  const forgetV2 = async (): Promise<void> => {
    await host.docker.removeImage(`${repo}:v2`).catch(() => undefined);
    await host.docker.removeImage(v2).catch(() => undefined);
    assert.equal(await host.docker.inspectImage(v2), undefined);
    assert.equal((await host.docker.inspectImage(`${repo}:v1`))?.id, v1, 'the previous version is on the host: only the changed layer goes');
  };

  suiteSetup(async () => {
    b = bed();
    local = localDocker();
    v1 = buildNodeVersion(`${repo}:v1`, 'one', { appBytes: APP_BYTES });
    v2 = buildNodeVersion(`${repo}:v2`, 'two', { appBytes: APP_BYTES });
    layers2 = (await local.inspectImage(v2))!.layers;
    host = await connect(b, recordingContext());
    await shipImage(recordingContext(), local, host, { image: `${repo}:v1`, mode: 'stream' });
  });

  suiteTeardown(async () => {
    for (const ref of [`${repo}:v2`, `${repo}:v1`]) {
      await host?.docker.removeImage(ref).catch(() => undefined);
      await local?.removeImage(ref).catch(() => undefined);
    }
    for (const id of [v2, v1]) if (id) await host?.docker.removeImage(id).catch(() => undefined);
    host?.close();
    local?.close();
  });

  test('dropped once: the ship reconnects, sends the delta again, and the host has exactly the local image', async () => {
    await forgetV2();
    const relay = await cuttingRelay(b.sshHost, b.sshPort, (n) => n === 1);
    const h = await viaRelay(relay);
    const ctx = recordingContext();
    try {
      const r = await shipImage(ctx, local, h, { image: `${repo}:v2`, mode: 'stream' });
      assert.equal(relay.stats.cut, 1, 'the tunnel was cut during the transfer');
      assert.equal(r.attempts, 2);
      assert.deepEqual(r.layers, { sent: 1, total: 2 }, 'the retry sends only the changed layer again');
      assert.ok(r.bytes >= APP_BYTES && r.bytes < APP_BYTES * 1.1, `the retry sent the changed layer: ${r.bytes} bytes`);
      assert.ok(ctx.lines.some((l) => /connection to .* lost .*reconnecting for attempt 2 of 3/.test(l)), ctx.lines.join('\n'));
    } finally {
      h.close();
      await relay.close();
    }
    const there = await host.docker.inspectImage(`${repo}:v2`);
    assert.equal(there?.id, v2, 'the tag names the local image ID');
    assert.deepEqual(there?.layers, layers2, 'with the same layer digests');
  });

  test('the channel killed on the host mid-transfer (connection intact): retried, and the host has exactly the local image', async () => {
    await forgetV2();
    const h = await RemoteHost.connect({ host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey }, b.dockerSock, recordingContext(), { transport: 'dial-stdio' });
    const table = async (): Promise<{ pid: number; ppid: number; args: string }[]> =>
      (await host.run(['ps', '-o', 'pid=,ppid=,args=', '-u', b.sshUser]))
        .split('\n')
        .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
    // The sshd process of the ship's own connection: the nearest "sshd:" ancestor of a command run on it.
    const probe = Number((await h.run(['sh', '-c', 'echo $$'])).trim());
    const before = await table();
    const parentOf = new Map(before.map((p) => [p.pid, p]));
    const mine = (await h.run(['sh', '-c', 'echo $PPID'])).trim();
    let session = Number(mine);
    while (parentOf.get(session) && !parentOf.get(session)!.args.startsWith('sshd:')) session = parentOf.get(session)!.ppid;
    assert.ok(parentOf.get(session)?.args.startsWith('sshd:'), `found the ship's sshd session (${session}) above ${mine} (probe ${probe})`);
    let killed: number[] = [];
    let killing: Promise<void> | undefined;
    const ctx = recordingContext(undefined, (p) => {
      if (!killing && /MB sent/.test(p.message ?? '') && parseInt(p.message!, 10) >= 4) {
        killing = (async () => {
          const now = await table();
          const ancestors = (pid: number): number[] => {
            const out: number[] = [];
            for (let at = now.find((x) => x.pid === pid); at; at = now.find((x) => x.pid === at!.ppid)) out.push(at.ppid);
            return out;
          };
          killed = now.filter((x) => /docker system dial-stdio/.test(x.args) && !x.args.startsWith('bash') && ancestors(x.pid).includes(session)).map((x) => x.pid);
          for (const pid of killed) await host.run(['kill', '-KILL', String(pid)]);
        })();
      }
    });
    try {
      const r = await shipImage(ctx, local, h, { image: `${repo}:v2`, mode: 'stream' });
      await killing;
      assert.ok(killed.length > 0, `a dial-stdio process of the ship's session was killed:\n${ctx.lines.join('\n')}`);
      assert.equal(r.attempts, 2, ctx.lines.join('\n'));
      assert.deepEqual(r.layers, { sent: 1, total: 2 });
      assert.ok(ctx.lines.some((l) => /connection to .* lost .*reconnecting for attempt 2 of 3/.test(l)), ctx.lines.join('\n'));
    } finally {
      h.close();
    }
    const there = await host.docker.inspectImage(`${repo}:v2`);
    assert.equal(there?.id, v2);
    assert.deepEqual(there?.layers, layers2);
  });

  test('dropped on every attempt: a clear failure after the bounded retries, no tag, no image, no partial image', async () => {
    await forgetV2();
    const relay = await cuttingRelay(b.sshHost, b.sshPort, () => true);
    const h = await viaRelay(relay);
    const ctx = recordingContext();
    try {
      await assert.rejects(shipImage(ctx, local, h, { image: `${repo}:v2`, mode: 'stream', attempts: 2 }), /the connection to 127\.0\.0\.1 dropped 2 times; gave up\. Nothing was tagged on the host/);
      assert.equal(relay.stats.cut, 2, 'both attempts were cut during the transfer');
    } finally {
      h.close();
      await relay.close();
    }
    assert.equal(await host.docker.inspectImage(`${repo}:v2`), undefined, 'no tag');
    assert.equal(await host.docker.inspectImage(v2), undefined, 'no image of that ID');
    const partial = (await host.docker.listImages()).filter((i) => i.repoTags.length === 0 && i.layers.length <= layers2.length && i.layers.every((d, k) => d === layers2[k]));
    assert.deepEqual(partial.map((i) => i.id), [], 'no untagged image made of its layers');
  });
});
