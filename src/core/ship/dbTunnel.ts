// A loopback port on this machine whose connections ride the operation's SSH connection to the
// database as the production host sees it (ssh2 direct-tcpip, the same forward health checks
// use). The migration engine then talks to the production database with its ordinary `pg`
// session: no new network path is opened, the database port need not be reachable from here,
// and the listener accepts connections from 127.0.0.1 only, for as long as the deploy runs.
import * as net from 'node:net';
import { OperationError } from '../common/errors';
import type { DockerEngine } from '../images/docker';
import type { RemoteHost } from './remoteHost';

export interface DbTunnel {
  /** The local end: always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** Connections opened through the tunnel so far (for tests and logs). */
  readonly opened: () => number;
  /**
   * Why the host could not open the last forward (e.g. "Connection refused"), if it could not.
   * The client on the local end only sees its connection closed, which says nothing.
   */
  readonly forwardError: () => string | undefined;
  close(): Promise<void>;
}

/** `remote`: a RemoteHost, or anything else that holds an SSH connection (the panel's status reads). */
export async function openDbTunnel(remote: Pick<RemoteHost, 'connection'>, dbHost: string, dbPort: number): Promise<DbTunnel> {
  let opened = 0;
  let forwardError: string | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((local) => {
    sockets.add(local);
    local.on('close', () => sockets.delete(local));
    local.pause();
    // The connection is looked up on each accept: a ship retry may have replaced it.
    remote.connection.forwardTcp(dbHost, dbPort).then(
      (channel) => {
        opened++;
        forwardError = undefined;
        channel.on('error', () => local.destroy());
        local.on('error', () => channel.destroy());
        channel.on('close', () => local.destroy());
        local.on('close', () => channel.destroy());
        local.pipe(channel).pipe(local);
        local.resume();
      },
      (e: unknown) => {
        forwardError = e instanceof Error ? e.message : String(e);
        local.destroy();
      },
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
    forwardError: () => forwardError,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Where Greenlight's own connections reach the database from the host. With the database in a
 * container on a bridge network, `database.host` is the name the services resolve on that
 * network, which the host cannot; the container's own address on its network is reachable from
 * the host, at the port the database listens on inside it.
 */
export async function databaseAddress(
  docker: Pick<DockerEngine, 'inspectContainer'>,
  pg: { readonly host: string; readonly port: number; readonly container?: { readonly name: string; readonly port: number } },
): Promise<{ host: string; port: number }> {
  if (!pg.container) return { host: pg.host, port: pg.port };
  const c = await docker.inspectContainer(pg.container.name);
  if (!c) throw new OperationError(`the database container ${pg.container.name} does not exist on the host`);
  if (!c.stateDetail.running) throw new OperationError(`the database container ${pg.container.name} is not running (${c.stateDetail.status})`);
  const address = Object.values(c.stateDetail.addresses)[0];
  return address ? { host: address, port: pg.container.port } : { host: pg.host, port: pg.port };
}
