// What is running on an environment: each service's serving version, health and uptime, the
// retained versions, the lock holder and the last deploys from the audit log.
import type { JobContext } from '../common/job';
import { proxyRouteOf, type GreenlightConfig } from '../config/schema';
import { errorMessage } from '../common/errors';
import type { RemoteHost } from '../ship/remoteHost';
import { tailAudit, type AuditRecord } from './audit';
import type { ResolvedEnvironment } from './environment';
import { isHealthyStatus } from '../common/httpProbe';
import { endpointOf } from './endpoint';
import { probe } from './health';
import { readLock, type LockHolder } from './lock';
import { LABEL, namesFor } from './plan';
import { listRetained } from './rollback';
import { PROXY_LABEL, Proxy, routeIdOf, routesOf, type CaddyConfig, type ProxyHealth } from './proxy';
import { replicaLine, swarmStatus, type SwarmStatus } from './swarmStatus';

export interface ServiceStatus {
  readonly service: string;
  readonly version?: string;
  readonly state: string;
  readonly startedAt?: string;
  /** Seconds since the serving container started (absent when it is not running). */
  readonly uptimeSeconds?: number;
  readonly healthy: boolean;
  readonly health: string;
  readonly retained: readonly string[];
  /**
   * Behind the host's proxy: where its route sends requests ("v2", with "not the serving
   * container" when it points elsewhere, or why it could not be read); absent with the old swap.
   */
  readonly proxy?: string;
}

export interface EnvironmentStatus {
  readonly env: string;
  readonly host: string;
  readonly services: readonly ServiceStatus[];
  readonly lock?: LockHolder | 'unknown holder';
  readonly recent: readonly AuditRecord[];
  /** A swarm environment: its nodes, each service's replicas per version, the release history. */
  readonly swarm?: SwarmStatus;
  /** The host's proxy (its container's state, each route with its upstream's counts); absent when the host has no proxy container. */
  readonly proxy?: ProxyHealth;
}

export async function environmentStatus(ctx: JobContext, host: RemoteHost, config: GreenlightConfig, env: ResolvedEnvironment): Promise<EnvironmentStatus> {
  if (env.env.swarm) return await swarmEnvironmentStatus(ctx, host, config, env);
  const services: ServiceStatus[] = [];
  let proxyConfig: Promise<CaddyConfig | null> | undefined;
  for (const s of config.services) {
    const c = await host.docker.inspectContainer(namesFor(config.project, s.name).current);
    const at = c?.stateDetail.running ? await endpointOf(host.docker, env, s, c.id, 'serving').catch(() => undefined) : undefined;
    const p = at ? await probe(host, at.address, at.port, s.health.path, { hostHeader: s.health.host }) : undefined;
    const retained = (await listRetained(host, config, env.name, s.name)).map((r) => r.labels[LABEL.version] ?? r.name);
    services.push({
      service: s.name,
      version: c?.labels[LABEL.version],
      state: c ? c.stateDetail.status : 'not deployed',
      startedAt: c?.stateDetail.running ? c.stateDetail.startedAt : undefined,
      uptimeSeconds: c?.stateDetail.running ? uptimeOf(c.stateDetail.startedAt) : undefined,
      healthy: !!p && isHealthyStatus(p.status, s.health.statuses),
      health: p ? (p.status ? `HTTP ${p.status}` : (p.error ?? 'no answer')) : '-',
      retained,
      proxy: await proxyOf(s),
    });
  }
  const lock = await readLock(ctx, host, env.env.stateDir);

  /** Which version the service's route points at, read from the proxy's own config. */
  async function proxyOf(s: GreenlightConfig['services'][number]): Promise<string | undefined> {
    if (!proxyRouteOf(s, env.env)) return undefined;
    const port = s.publish.find((p) => p.protocol === 'tcp')!;
    try {
      proxyConfig ??= new Proxy(host.docker, env.env.proxy, host.where).config();
      const r = routesOf(await proxyConfig).find((x) => x.id === routeIdOf(config.project, s.name, port.host));
      if (!r) return `no route on ${env.env.proxy.container}`;
      const current = namesFor(config.project, s.name).current;
      const serving = await host.docker.inspectContainer(current);
      // The route names the serving container's name (or, written by an older Greenlight, its alias).
      const ok = !!serving?.stateDetail.running && [`${current}:${port.container}`, `${serving.labels[PROXY_LABEL.upstream]}:${port.container}`].includes(r.upstream);
      return `${r.version ?? (ok ? serving.labels[LABEL.version] : undefined) ?? r.upstream} on port ${port.host}${ok ? '' : ` (${r.upstream}: not the serving container)`}`;
    } catch (e) {
      return `proxy ${env.env.proxy.container} unreadable: ${errorMessage(e)}`;
    }
  }
  const proxy = await new Proxy(host.docker, env.env.proxy, host.where).health(proxyConfig);
  return { env: env.name, host: host.where, services, lock: lock === 'free' ? undefined : (lock ?? 'unknown holder'), recent: await tailAudit(ctx, host, env.env.stateDir, 10), ...(proxy ? { proxy } : {}) };
}

/**
 * A swarm has no serving container per service on the manager: each service's row says its
 * replicas instead (healthy when every desired replica runs the current version, which the swarm
 * only counts once its HEALTHCHECK passes), and the swarm part carries the nodes and releases.
 */
async function swarmEnvironmentStatus(ctx: JobContext, host: RemoteHost, config: GreenlightConfig, env: ResolvedEnvironment): Promise<EnvironmentStatus> {
  const swarm = await swarmStatus(ctx, host, config, env);
  const services: ServiceStatus[] = swarm.services.map((s) => {
    const cur = s.versions[0];
    const settled = s.deployed && !!cur && cur.running >= s.replicas && s.running === cur.running;
    return {
      service: s.service,
      version: s.version,
      state: s.deployed ? `${s.running}/${s.replicas} running` : 'not deployed',
      healthy: s.deployed && !!cur && cur.running >= s.replicas,
      health: s.deployed ? `${replicaLine(s)}${settled ? '' : s.lastError ? `; last task error: ${s.lastError}` : ''}` : '-',
      retained: s.deployed ? swarm.releases.map((r) => r.services[s.service]?.version).filter((v, i, a): v is string => !!v && v !== s.version && a.indexOf(v) === i).slice(0, 5) : [],
    };
  });
  const lock = await readLock(ctx, host, env.env.stateDir);
  const proxy = await new Proxy(host.docker, env.env.proxy, host.where).health();
  return { env: env.name, host: host.where, services, lock: lock === 'free' ? undefined : (lock ?? 'unknown holder'), recent: await tailAudit(ctx, host, env.env.stateDir, 10), swarm, ...(proxy ? { proxy } : {}) };
}

function uptimeOf(startedAt: string): number | undefined {
  const t = Date.parse(startedAt);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.round((Date.now() - t) / 1000));
}
