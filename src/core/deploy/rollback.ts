// Manual rollback to the previous or a chosen retained version, under the deploy lock. The
// serving container becomes `<name>-previous-<version>` (so it can be rolled forward again) and
// the chosen one takes the serving name; a failed health check puts things back as they were.
// When release tasks ran since the target version, they are listed and the pre-deploy backup of
// the deploy that replaced the target is offered; nothing is restored without confirmation.
import * as os from 'node:os';
import { InputError, OperationError, errorMessage } from '../common/errors';
import type { JobContext } from '../common/job';
import { proxyRouteOf, type GreenlightConfig, type ServiceConfig } from '../config/schema';
import type { ContainerSummary } from '../images/docker';
import type { RemoteHost } from '../ship/remoteHost';
import { appendAudit, tailAudit, type AuditRecord } from './audit';
import { pickService, type ResolvedEnvironment } from './environment';
import { endpointOf, healthAt } from './endpoint';
import { describeProbe } from '../common/httpProbe';
import { waitHealthy } from './health';
import { acquireLock, defaultWho, releaseLock } from './lock';
import { LABEL, namesFor, newDeployId } from './plan';
import { DNS_REFRESH_MS, PROXY_LABEL, describeDrain, Proxy, serviceRoutes, versionUpstreams } from './proxy';
import { tlsPlanOf } from './proxyTls';
import type { ResolvedEnvironment as Env } from './environment';

export interface RollbackRequest {
  readonly config: GreenlightConfig;
  readonly environment: ResolvedEnvironment;
  readonly service?: string;
  /** The retained version to return to; default: the newest retained one. */
  readonly toVersion?: string;
  readonly who?: string;
  /** Break the deploy lock first, whoever holds it (audited). */
  readonly breakLock?: boolean;
}

export interface RollbackResult {
  readonly outcome: 'succeeded' | 'failed';
  readonly from?: string;
  readonly to: string;
  readonly serving: string;
  readonly message: string;
  readonly rollbackMs: number;
  /** Release tasks that ran in deploys after the target version, and the backup taken before the first of them. */
  readonly migrationsSince?: MigrationsSince;
}

/** Release tasks that ran in deploys after a version, and the backup taken before the first of them. */
export interface MigrationsSince {
  readonly deploys: readonly { readonly version: string; readonly tasks: readonly string[] }[];
  readonly backupId?: string;
}

/** From the audit log (newest first): the succeeded deploys of `service` after `version` that ran release tasks. */
export function migrationsSince(audit: readonly AuditRecord[], service: string, version: string): MigrationsSince | undefined {
  const deploys = audit.filter((a) => a.action === 'deploy' && a.result === 'succeeded' && a.service === service);
  const idx = deploys.findIndex((a) => a.version === version);
  const after = (idx === -1 ? deploys : deploys.slice(0, idx)).filter((a) => (a.releaseTasks ?? []).length > 0);
  if (after.length === 0) return undefined;
  return { deploys: after.map((a) => ({ version: a.version ?? '?', tasks: a.releaseTasks ?? [] })), backupId: after[after.length - 1]?.backupId };
}

export async function listRetained(host: RemoteHost, config: GreenlightConfig, envName: string, serviceName: string): Promise<ContainerSummary[]> {
  const names = namesFor(config.project, serviceName);
  const list = await host.docker.listContainers({ [LABEL.project]: config.project, [LABEL.service]: serviceName, [LABEL.env]: envName });
  return list.filter((c) => c.name.startsWith(names.previousPrefix)).sort((a, b) => b.createdAt - a.createdAt);
}

export async function rollback(ctx: JobContext, host: RemoteHost, req: RollbackRequest): Promise<RollbackResult> {
  const started = Date.now();
  const env = req.environment;
  const service = pickService(req.config, req.service);
  const names = namesFor(req.config.project, service.name);
  const who = req.who ?? defaultWho();
  const deployId = newDeployId();
  const retained = await listRetained(host, req.config, env.name, service.name);
  if (retained.length === 0) throw new InputError(`no retained version of ${service.name} on ${env.name} to roll back to`);
  const target = req.toVersion ? retained.find((c) => c.labels[LABEL.version] === req.toVersion) : retained[0];
  if (!target) throw new InputError(`version ${req.toVersion} is not retained on ${env.name} (retained: ${retained.map((c) => c.labels[LABEL.version]).join(', ')})`);
  const to = target.labels[LABEL.version] ?? target.name;

  await acquireLock(
    ctx, host, env.env.stateDir,
    { who, machine: os.hostname(), pid: process.pid, since: new Date().toISOString(), what: `rollback ${service.name} to ${to}`, deployId, env: env.name, service: service.name, version: to },
    { breakLock: req.breakLock },
  );
  let result: RollbackResult | undefined;
  try {
    const since = migrationsSince(await tailAudit(ctx, host, env.env.stateDir, 200), service.name, to);
    if (since) {
      ctx.log(`rollback: release tasks ran since ${to}: ${since.deploys.map((d) => `${d.version} (${d.tasks.join(', ')})`).join('; ')}. ` +
        `The code goes back, the database does not${since.backupId ? `; backup ${since.backupId} was taken before them and can be restored on request` : ''}.`, 'warn');
    }
    const cur = await host.docker.inspectContainer(names.current);
    const from = cur?.labels[LABEL.version];
    ctx.progress({ step: 'rollback', message: `${from ?? 'nothing'} → ${to}` });
    const route = proxyRouteOf(service, env.env);
    if (route) {
      result = await proxyRollback(ctx, host, { config: req.config, env, service, route, target, cur, to, from, deployId, since, started });
      return result;
    }
    let parked: string | undefined;
    if (cur) {
      await host.docker.stopContainer(cur.id, 10);
      parked = names.previous(from ?? cur.id.slice(0, 12));
      if (await host.docker.inspectContainer(parked)) parked = `${parked}-${deployId}`;
      await host.docker.renameContainer(cur.id, parked);
    }
    await host.docker.renameContainer(target.id, names.current);
    await host.docker.startContainer(target.id);
    const h = await waitHealthy(ctx, host, healthAt(service, await endpointOf(host.docker, env, service, target.id, 'serving'), target.id), 'rollback health');
    if (h.healthy) {
      result = { outcome: 'succeeded', from, to, serving: to, message: `${service.name} ${to} is serving on ${env.name} (was ${from ?? 'nothing'})`, rollbackMs: Date.now() - started, migrationsSince: since };
    } else {
      // Put things back: the version that was serving before the rollback was healthy.
      await host.docker.stopContainer(target.id, 5);
      await host.docker.renameContainer(target.id, target.name);
      let serving = 'none';
      if (cur && parked) {
        await host.docker.renameContainer(cur.id, names.current);
        await host.docker.startContainer(cur.id);
        const back = await waitHealthy(ctx, host, healthAt(service, await endpointOf(host.docker, env, service, cur.id, 'serving'), cur.id), 'restore health');
        serving = back.healthy ? (from ?? 'previous') : `${from} (unhealthy)`;
      }
      result = { outcome: 'failed', from, to, serving, message: `${to} did not become healthy (${h.reason}; ${describeProbe(h.last)}); ${serving} serving again`, rollbackMs: Date.now() - started, migrationsSince: since };
    }
  } catch (e) {
    throw new OperationError(`rollback of ${service.name} on ${env.name} failed: ${errorMessage(e)}`);
  } finally {
    await releaseLock(host, env.env.stateDir, deployId).catch(() => undefined);
    if (result) await audit(result);
  }
  return result;

  async function audit(r: RollbackResult): Promise<void> {
    await appendAudit(host, env.env.stateDir, {
      at: new Date().toISOString(), action: 'rollback', deployId, who, machine: os.hostname(), env: env.name, service: service.name,
      version: r.to, previousVersion: r.from, result: r.outcome === 'succeeded' ? 'succeeded' : 'failed', serving: r.serving, message: r.message, durationMs: r.rollbackMs,
    }).catch(() => undefined);
    ctx.log(`rollback ${r.outcome}: ${r.message}`);
  }
}

/**
 * Rollback behind the proxy, the deploy's move backwards: the retained version starts beside the
 * serving one and is health-checked at its own address; then it takes the serving name (the
 * serving version is parked, still running), which is what the route names, so Caddy sends the
 * requests to it from its next DNS refresh on without a config load; the requests in flight on
 * the parked version finish, and it stops. A target that fails its health check is stopped
 * again; nothing was renamed.
 */
async function proxyRollback(
  ctx: JobContext,
  host: RemoteHost,
  o: { config: GreenlightConfig; env: Env; service: ServiceConfig; route: { hosts: string[]; paths: string[] }; target: ContainerSummary; cur: Awaited<ReturnType<RemoteHost['docker']['inspectContainer']>>; to: string; from?: string; deployId: string; since?: MigrationsSince; started: number },
): Promise<RollbackResult> {
  const { env, service, target, cur } = o;
  const names = namesFor(o.config.project, service.name);
  const upstream = target.labels[PROXY_LABEL.upstream];
  if (!upstream) throw new InputError(`version ${o.to} was deployed without the proxy (it publishes its port itself), so it cannot run behind it: deploy ${o.to} again instead`);
  const proxy = new Proxy(host.docker, env.env.proxy, host.target.host);
  const ports = service.publish.filter((p) => p.protocol === 'tcp');
  await host.docker.startContainer(target.id);
  const h = await waitHealthy(ctx, host, healthAt(service, await endpointOf(host.docker, env, service, target.id, 'candidate'), target.id), 'rollback health');
  if (!h.healthy) {
    await host.docker.stopContainer(target.id, 5);
    return { outcome: 'failed', from: o.from, to: o.to, serving: o.from ?? 'none', message: `${o.to} did not become healthy (${h.reason}; ${describeProbe(h.last)}); the proxy never moved: ${o.from ?? 'nothing'} still serving`, rollbackMs: Date.now() - o.started, migrationsSince: o.since };
  }
  // A proxy re-created to publish a port gets the certificate files again before it loads its routes.
  // A rollback is never refused for them: unreadable files only matter if the proxy is re-created.
  const tls = await tlsPlanOf(service, env).catch((e: unknown) => {
    ctx.log(`rollback: the certificate files cannot be read (${errorMessage(e)}); a re-created proxy would serve HTTPS without them`, 'warn');
    return undefined;
  });
  await proxy.ensure(ctx, ports, tls);
  let parked: string | undefined;
  if (cur) {
    parked = names.previous(o.from ?? cur.id.slice(0, 12));
    if (await host.docker.inspectContainer(parked)) parked = `${parked}-${o.deployId}`;
    await host.docker.renameContainer(cur.id, parked);
  }
  await host.docker.renameContainer(target.id, names.current);
  const renamedAt = Date.now();
  // Loads nothing when the route is there as it was (the usual case): the rename above was the switch.
  for (const r of serviceRoutes(o.config.project, service, env.env, names.current, o.to)) await proxy.setRoute(r, tls?.plan);
  ctx.log(`rollback: ${names.current} is ${o.to} now (${upstream}); the proxy resolves the name again within ${DNS_REFRESH_MS} ms`);
  if (cur) {
    if (cur.stateDetail.running && cur.labels[PROXY_LABEL.upstream]) {
      const d = await proxy.drain(versionUpstreams(cur, env.env.proxy.network, ports.map((p) => p.container)), env.env.proxy.drainSeconds, Math.max(0, renamedAt + DNS_REFRESH_MS - Date.now()));
      const said = describeDrain(d, o.from ?? cur.name, env.env.proxy.drainSeconds);
      ctx.log(said.line, said.level);
    }
    await host.docker.stopContainer(cur.id, 10);
  }
  return { outcome: 'succeeded', from: o.from, to: o.to, serving: o.to, message: `${service.name} ${o.to} is serving on ${env.name} through the proxy (was ${o.from ?? 'nothing'})`, rollbackMs: Date.now() - o.started, migrationsSince: o.since };
}
