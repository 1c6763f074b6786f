// A loopback port on this machine whose connections ride the operation's SSH connection to the
// database as the production host sees it (ssh2 direct-tcpip, the same forward health checks
// use). The migration engine then talks to the production database with its ordinary `pg`
// session: no new network path is opened, the database port need not be reachable from here,
// and the listener accepts connections from 127.0.0.1 only, for as long as the deploy runs.
import * as net from 'node:net';
import { OperationError } from '../common/errors';
import type { RemoteHost } from '../ship/remoteHost';

export interface DbTunnel {
  /** The local end: always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** Connections opened through the tunnel so far (for tests and logs). */
  readonly opened: () => number;
  close(): Promise<void>;
}

export async function openDbTunnel(remote: RemoteHost, dbHost: string, dbPort: number): Promise<DbTunnel> {
  let opened = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((local) => {
    sockets.add(local);
    local.on('close', () => sockets.delete(local));
    local.pause();
    // The connection is looked up on each accept: a ship retry may have replaced it.
    remote.connection.forwardTcp(dbHost, dbPort).then(
      (channel) => {
        opened++;
        channel.on('error', () => local.destroy());
        local.on('error', () => channel.destroy());
        channel.on('close', () => local.destroy());
        local.on('close', () => channel.destroy());
        local.pipe(channel).pipe(local);
        local.resume();
      },
      () => local.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new OperationError(`database tunnel: cannot listen on 127.0.0.1: ${e.message}`)));
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    opened: () => opened,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
