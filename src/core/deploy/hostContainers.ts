// Every container running on an environment's host, not only Greenlight's: what the Environments
// view lists and acts on (logs, restart, stop, a forwarded port for the browser). All of it goes
// through the host's one Docker contract over the environment's SSH connection; a container is
// named by the ID the listing gave, so an action never reaches a container the user did not see.
import { InputError, OperationError } from '../common/errors';
import type { JobContext } from '../common/job';
import type { GreenlightConfig } from '../config/schema';
import type { ContainerPort, OutputStreams } from '../images/docker';
import { openDbTunnel, type DbTunnel } from '../ship/dbTunnel';
import type { RemoteHost } from '../ship/remoteHost';
import { LABEL, namesFor } from './plan';

export interface HostContainer {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: string;
  /** The engine's own words ("Up 5 minutes"). */
  readonly status: string;
  /** ISO time it (last) started; absent when the engine did not say. */
  readonly startedAt?: string;
  readonly ports: readonly ContainerPort[];
  /** Its address on each network it is attached to. */
  readonly addresses: Readonly<Record<string, string>>;
  /** Set when Greenlight started it (its labels). */
  readonly greenlight?: {
    readonly project: string;
    readonly service?: string;
    readonly version?: string;
    readonly role?: string;
    /** True for this project's serving container of a service: stopping it takes production down. */
    readonly serving: boolean;
  };
}

/** The running containers of the host, sorted by name, each inspected for its start time and addresses. */
export async function listHostContainers(host: RemoteHost, config: GreenlightConfig): Promise<HostContainer[]> {
  const list = (await host.docker.listContainers({})).filter((c) => c.state === 'running');
  const servingNames = new Set(config.services.map((s) => namesFor(config.project, s.name).current));
  const out = await Promise.all(
    list.map(async (c): Promise<HostContainer> => {
      const detail = await host.docker.inspectContainer(c.id).catch(() => undefined);
      const project = c.labels[LABEL.project];
      return {
        id: c.id,
        name: c.name,
        image: c.image,
        state: detail?.stateDetail.status ?? c.state,
        status: c.status,
        startedAt: detail?.stateDetail.startedAt,
        ports: c.ports ?? [],
        addresses: detail?.stateDetail.addresses ?? {},
        greenlight: project
          ? {
              project,
              service: c.labels[LABEL.service],
              version: c.labels[LABEL.version],
              role: c.labels[LABEL.role],
              serving: project === config.project && servingNames.has(c.name),
            }
          : undefined,
      };
    }),
  );
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The container with this ID (or name) on the host; a clear error when it is gone. */
async function existing(host: RemoteHost, id: string): Promise<{ id: string; name: string; running: boolean; startedAt: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(id)) throw new InputError(`"${id}" is not a container ID or name`);
  const c = await host.docker.inspectContainer(id);
  if (!c) throw new OperationError(`there is no container ${id.slice(0, 12)} on ${host.where} any more`);
  return { id: c.id, name: c.name, running: c.stateDetail.running, startedAt: c.stateDetail.startedAt };
}

/** Stops and starts the container again (like `docker restart`); resolves with its new start time. */
export async function restartHostContainer(host: RemoteHost, id: string, stopTimeoutSeconds = 10): Promise<{ name: string; startedAt: string }> {
  const c = await existing(host, id);
  if (c.running) await host.docker.stopContainer(c.id, stopTimeoutSeconds);
  await host.docker.startContainer(c.id);
  const after = await existing(host, c.id);
  return { name: after.name, startedAt: after.startedAt };
}

export async function stopHostContainer(host: RemoteHost, id: string, stopTimeoutSeconds = 10): Promise<{ name: string; running: boolean }> {
  const c = await existing(host, id);
  if (c.running) await host.docker.stopContainer(c.id, stopTimeoutSeconds);
  const after = await existing(host, c.id);
  return { name: after.name, running: after.running };
}

/** Streams the container's log lines into `out`; with follow, until it stops or ctx is cancelled. */
export async function hostContainerLogs(ctx: JobContext, host: RemoteHost, id: string, opts: { follow: boolean; tail?: number }, out: OutputStreams): Promise<void> {
  const c = await existing(host, id);
  await host.docker.streamLogs(c.id, { follow: opts.follow, tail: opts.tail, signal: ctx.signal }, out);
}

/**
 * Where the host reaches the container's web port: the published host port (on the host's
 * loopback when it is published on every address), else the container's own address at an
 * exposed port. `port` picks one of the container's ports; otherwise the first TCP one.
 */
export function browserTarget(c: Pick<HostContainer, 'name' | 'ports' | 'addresses'>, port?: number): { host: string; port: number; via: string } {
  const tcp = c.ports.filter((p) => p.protocol === 'tcp' && (port === undefined || p.container === port || p.host === port));
  const published = tcp.find((p) => p.host !== undefined && (p.hostIp === undefined || !p.hostIp.includes(':')));
  if (published?.host !== undefined) {
    const ip = !published.hostIp || published.hostIp === '0.0.0.0' ? '127.0.0.1' : published.hostIp;
    return { host: ip, port: published.host, via: `published port ${ip}:${published.host}` };
  }
  const address = Object.values(c.addresses)[0];
  const exposed = tcp[0]?.container ?? port;
  if (address && exposed !== undefined) return { host: address, port: exposed, via: `container address ${address}:${exposed}` };
  throw new OperationError(
    `${c.name} has no port to open in a browser${port !== undefined ? ` (port ${port})` : ''}: it publishes none${address ? ' and exposes none' : ' and has no network address (host networking: open the host port directly)'}`,
  );
}

/**
 * A loopback port here whose connections ride the environment's SSH connection to the container's
 * web port (the same direct-tcpip forward the database tunnel uses).
 */
export async function forwardToHostContainer(host: RemoteHost, id: string, port?: number): Promise<{ tunnel: DbTunnel; name: string; via: string }> {
  const c = await existing(host, id);
  if (!c.running) throw new OperationError(`${c.name} is not running`);
  const summary = (await host.docker.listContainers({})).find((x) => x.id === c.id);
  const detail = await host.docker.inspectContainer(c.id);
  const target = browserTarget({ name: c.name, ports: summary?.ports ?? [], addresses: detail?.stateDetail.addresses ?? {} }, port);
  const tunnel = await openDbTunnel(host, target.host, target.port);
  return { tunnel, name: c.name, via: target.via };
}
