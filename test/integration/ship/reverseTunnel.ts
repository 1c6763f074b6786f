// An SSH reverse tunnel for the registry test: the production host gets a port on its own
// loopback whose connections come back over SSH to the test bed's registry on this machine's
// loopback. The test bed's registry listens on 127.0.0.1 only, and the production engine treats
// 127.0.0.0/8 as an insecure (plain HTTP) registry without any daemon flag, so this is the one
// way it can pull from that registry without restarting the shared production engine. The host
// key is pinned exactly as the product pins it.
import * as net from 'node:net';
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import { checkHostKey, pinnedKeys } from '../../../src/core/ship/hostKey';
import type { Bed } from '../deploy/bed';

export interface ReverseTunnel {
  /** host:port of the registry as the production host reaches it. */
  readonly remote: string;
  readonly connections: () => number;
  close(): void;
}

export async function reverseTunnel(b: Bed, toHost: string, toPort: number): Promise<ReverseTunnel> {
  const target = { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey };
  const pinned = pinnedKeys(target);
  const client = new Client();
  let connections = 0;
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
    client.connect({
      host: b.sshHost,
      port: b.sshPort,
      username: b.sshUser,
      privateKey: readFileSync(b.sshKey),
      readyTimeout: 15000,
      hostVerifier: (key: Buffer) => checkHostKey(target, key, pinned).ok,
    });
  });
  client.on('tcp connection', (_info, accept) => {
    connections++;
    const channel = accept();
    const local = net.connect(toPort, toHost);
    local.on('error', () => channel.close());
    channel.on('error', () => local.destroy());
    channel.on('close', () => local.destroy());
    local.on('close', () => channel.close());
    channel.pipe(local).pipe(channel);
  });
  // Port 0: the host's sshd picks a free port, so parallel runs never collide.
  const port = await new Promise<number>((resolve, reject) => client.forwardIn('127.0.0.1', 0, (err, p) => (err ? reject(err) : resolve(p))));
  return { remote: `127.0.0.1:${port}`, connections: () => connections, close: () => client.end() };
}
