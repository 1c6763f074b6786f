// `recover`: brings an environment back to a known healthy version after a deploy or rollback
// died part-way (killed, its SSH connection lost for good), without manual docker commands.
// Under the deploy lock (a dead holder's lock is broken and audited; a live one only with
// breakLock), it reads what the interrupted deploy recorded on the host (its step and the
// containers it was switching), removes its leftovers (`-next`, release-task containers), and
// health-checks the serving container. A serving container that is missing, stopped or unhealthy
// is replaced by the previous version (the one the interrupted deploy parked, else the newest
// retained), health-checked; the failed one is removed so it never becomes a rollback target. If
// the previous version is not healthy either, things are put back as they were. Every recovery is
// audited. The next deploy runs the same recovery when it finds an interrupted deploy.
import * as os from 'node:os';
import { PassThrough } from 'node:stream';
import { errorMessage } from '../common/errors';
import type { JobContext } from '../common/job';
import { proxyRouteOf, type GreenlightConfig, type ServiceConfig } from '../config/schema';
import type { RemoteHost } from '../ship/remoteHost';
import { appendAudit, type AuditRecord } from './audit';
import { pickService, type ResolvedEnvironment } from './environment';
import { endpointOf, healthAt } from './endpoint';
import { describeProbe } from '../common/httpProbe';
import { waitHealthy } from './health';
import { acquireLock, clearInterrupted, defaultWho, readInterrupted, releaseLock, type LockHolder } from './lock';
import { LABEL, namesFor, newDeployId } from './plan';
import { DNS_REFRESH_MS, PROXY_LABEL, Proxy, serviceRoutes, versionUpstreams } from './proxy';
import { listRetained } from './rollback';

export interface RecoverRequest {
  readonly config: GreenlightConfig;
  readonly environment: ResolvedEnvironment;
  readonly service?: string;
  readonly who?: string;
  /** Break the lock even when its holder may still run (the user knows it is dead). */
  readonly breakLock?: boolean;
}

export interface RecoverResult {
  /** kept: the serving version was healthy; restored: the previous version serves again; failed: nothing healthy serves. */
  readonly outcome: 'kept' | 'restored' | 'failed';
  readonly serving: string;
  /** What recovery did, in order, as the user reads it. */
  readonly actions: readonly string[];
  readonly message: string;
  /** The deploy whose lock was broken, if recovery found one. */
  readonly interrupted?: LockHolder;
  readonly durationMs: number;
}

/** Takes the lock (breaking a dead holder's), recovers, audits, releases. */
export async function recover(ctx: JobContext, host: RemoteHost, req: RecoverRequest): Promise<RecoverResult> {
  const env = req.environment;
  const service = pickService(req.config, req.service);
  const who = req.who ?? defaultWho();
  const deployId = newDeployId();
  const broke = await acquireLock(
    ctx, host, env.env.stateDir,
    { who, machine: os.hostname(), pid: process.pid, since: new Date().toISOString(), what: `recover ${service.name}`, deployId, env: env.name, service: service.name },
    { breakLock: req.breakLock },
  );
  try {
    return await recoverUnderLock(ctx, host, { config: req.config, environment: env, service, who, deployId, interrupted: broke === 'free' ? undefined : broke });
  } finally {
    await releaseLock(host, env.env.stateDir, deployId).catch((e) => ctx.log(`lock: could not release: ${errorMessage(e)}`, 'warn'));
  }
}

export interface RecoverUnderLock {
  readonly config: GreenlightConfig;
  readonly environment: ResolvedEnvironment;
  readonly service: ServiceConfig;
  readonly who: string;
  /** The id of the operation holding the lock now (the recovery, or the deploy that runs it). */
  readonly deployId: string;
  /** The holder just broken, when the caller broke one. */
  readonly interrupted?: LockHolder;
}

/** The recovery itself; the caller holds the lock. Audited; clears the interrupted record. */
export async function recoverUnderLock(ctx: JobContext, host: RemoteHost, p: RecoverUnderLock): Promise<RecoverResult> {
  const started = Date.now();
  const env = p.environment;
  const service = p.service;
  const names = namesFor(p.config.project, service.name);
  const stateDir = env.env.stateDir;
  const interrupted = p.interrupted ?? (await readInterrupted(ctx, host, stateDir));
  const sw = interrupted?.switchState;
  const actions: string[] = [];
  const act = (line: string, level: 'info' | 'warn' | 'error' = 'info'): void => {
    actions.push(line);
    ctx.log(`recover: ${line}`, level);
  };
  ctx.progress({ step: 'recover', message: `${service.name} on ${env.name}` });
  if (interrupted) act(`${interrupted.what} (${interrupted.deployId}, by ${interrupted.who} on ${interrupted.machine}) was interrupted${interrupted.step ? ` at step ${interrupted.step}` : ''}`, 'warn');

  // Leftovers of the interrupted deploy: the candidate and one-off release-task containers.
  const mine = await host.docker.listContainers({ [LABEL.project]: p.config.project, [LABEL.service]: service.name, [LABEL.env]: env.name });
  for (const c of mine.filter((x) => x.name === names.next || x.name.startsWith(names.task('')))) {
    await host.docker.removeContainer(c.id);
    act(`removed the leftover ${c.name}`);
  }

  // An interrupted deploy through the proxy (see recoverProxy).
  if (sw?.candidateId || sw?.maintenance?.length) await recoverProxy(ctx, host, p, sw, act);

  const healthOf = async (id: string): Promise<{ healthy: boolean; why: string }> => {
    const at = await endpointOf(host.docker, env, service, id, 'serving').catch(() => undefined);
    if (!at) return { healthy: false, why: 'it has no address' };
    const h = await waitHealthy(ctx, host, healthAt(service, at, id), 'recover health');
    return { healthy: h.healthy, why: h.healthy ? 'healthy' : `${h.reason}; ${describeProbe(h.last)}` };
  };
  const versionOf = (c: { labels: Readonly<Record<string, string>>; id: string }): string => c.labels[LABEL.version] ?? c.id.slice(0, 12);

  let outcome: RecoverResult['outcome'] = 'failed';
  let serving = 'none';
  let cur = await host.docker.inspectContainer(names.current);
  // Killed between stopping the old version and parking it: the stopped container under the serving name is the old version.
  if (cur && !cur.stateDetail.running && sw?.previousId === cur.id) {
    await host.docker.startContainer(cur.id);
    act(`started ${versionOf(cur)} again (the interrupted deploy had stopped it)`);
    cur = await host.docker.inspectContainer(names.current);
  }
  const curCheck = cur?.stateDetail.running ? await healthOf(cur.id) : { healthy: false, why: cur ? `it is ${cur.state}` : 'there is none' };
  if (cur && curCheck.healthy) {
    outcome = 'kept';
    serving = versionOf(cur);
    act(`${serving} is serving and healthy; kept`);
  } else {
    act(`the serving container ${cur ? `(${versionOf(cur)}) ` : ''}is not healthy: ${curCheck.why}`, 'warn');
    const retained = await listRetained(host, p.config, env.name, service.name);
    const target = (sw?.previousId ? retained.find((c) => c.id === sw.previousId) : undefined) ?? retained.find((c) => !cur || versionOf(c) !== versionOf(cur));
    if (!target) {
      if (cur && !cur.stateDetail.running) {
        await host.docker.startContainer(cur.id);
        const again = await healthOf(cur.id);
        serving = again.healthy ? versionOf(cur) : 'none';
        outcome = again.healthy ? 'restored' : 'failed';
        act(again.healthy ? `no previous version is retained; restarted ${serving}, healthy` : `no previous version is retained, and ${versionOf(cur)} is not healthy after a restart: ${again.why}`, again.healthy ? 'info' : 'error');
      } else {
        act('no previous version is retained to restore', 'error');
        serving = cur?.stateDetail.running ? `${versionOf(cur)} (unhealthy)` : 'none';
      }
    } else {
      const to = versionOf(target);
      let failedName: string | undefined;
      if (cur) {
        await host.docker.stopContainer(cur.id, 10);
        failedName = `${names.current}-failed-${versionOf(cur).replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
        if (await host.docker.inspectContainer(failedName)) failedName = `${failedName}-${p.deployId}`;
        await host.docker.renameContainer(cur.id, failedName);
      }
      await host.docker.renameContainer(target.id, names.current);
      await host.docker.startContainer(target.id);
      const h = await healthOf(target.id);
      if (h.healthy) {
        outcome = 'restored';
        serving = to;
        act(`restored ${to}: healthy`);
        if (cur) {
          // The failed version is removed, never parked as a rollback target; its image stays on the host.
          await host.docker.removeContainer(cur.id);
          act(`removed the failed ${versionOf(cur)} container`);
        }
      } else {
        act(`${to} is not healthy either (${h.why}); putting things back as they were`, 'error');
        await host.docker.stopContainer(target.id, 5);
        await host.docker.renameContainer(target.id, target.name);
        if (cur && failedName) {
          await host.docker.renameContainer(cur.id, names.current);
          await host.docker.startContainer(cur.id);
        }
        serving = cur ? `${versionOf(cur)} (unhealthy)` : 'none';
      }
    }
  }
  await clearInterrupted(host, stateDir).catch((e) => ctx.log(`recover: could not clear the interrupted record: ${errorMessage(e)}`, 'warn'));
  const message = `${service.name} on ${env.name}: ${outcome === 'kept' ? `${serving} was healthy and kept` : outcome === 'restored' ? `${serving} restored and healthy` : `nothing healthy is serving (${serving})`}${actions.length ? `. ${actions.join('; ')}` : ''}`;
  const durationMs = Date.now() - started;
  await appendAudit(host, stateDir, {
    at: new Date().toISOString(), action: 'recover', deployId: p.deployId, who: p.who, machine: os.hostname(), env: env.name, service: service.name,
    version: serving, result: outcome === 'failed' ? 'failed' : 'succeeded', serving, message, durationMs,
    interruptedDeployId: interrupted?.deployId, interruptedStep: interrupted?.step,
  }).catch((e) => ctx.log(`audit: could not append: ${errorMessage(e)}`, 'warn'));
  ctx.log(`recover ${outcome}: ${message}`, outcome === 'failed' ? 'error' : 'info');
  return { outcome, serving, actions, message, interrupted, durationMs };
}

/**
 * What an interrupted deploy through the proxy left, put right before the usual recovery runs:
 * its maintenance page is ended; a candidate the route never moved to is removed (the old version
 * never stopped serving); when the route may have moved, the safe way is back: the old version,
 * known good and never given up by the deploy, is started if the drain had stopped it, checked
 * healthy at its own address, the route is pointed at it again and the candidate (whose
 * post-deploy checks never finished) is removed. Only when the old version cannot serve does the
 * candidate stay, routed, under the serving name. A candidate already renamed to the serving name
 * had finished the switch: the usual recovery checks it like any serving version.
 */
async function recoverProxy(ctx: JobContext, host: RemoteHost, p: RecoverUnderLock, sw: NonNullable<LockHolder['switchState']>, act: (line: string, level?: 'info' | 'warn' | 'error') => void): Promise<void> {
  const env = p.environment;
  const service = p.service;
  const names = namesFor(p.config.project, service.name);
  const proxy = new Proxy(host.docker, env.env.proxy, host.target.host);
  const proxyRunning = (await host.docker.inspectContainer(env.env.proxy.container))?.stateDetail.running === true;
  if (sw.maintenance?.length && proxyRunning) {
    try {
      await proxy.clearMaintenance(sw.maintenance);
      act(`ended the maintenance page of ${sw.maintenance.join(', ')}`);
    } catch (e) {
      act(`MAINTENANCE PAGE STILL ON: could not end the maintenance of ${sw.maintenance.join(', ')} on ${env.env.proxy.container}: ${errorMessage(e)}`, 'error');
    }
  }
  const cand = sw.candidateId ? await host.docker.inspectContainer(sw.candidateId) : undefined;
  if (!cand) return;
  const candVersion = cand.labels[LABEL.version] ?? cand.id.slice(0, 12);
  if (!sw.routed) {
    await host.docker.removeContainer(cand.id);
    act(`removed the candidate ${candVersion} (${cand.name}); the route never moved to it`);
    return;
  }
  const route = proxyRouteOf(service, env.env);
  const old = sw.previousId ? await host.docker.inspectContainer(sw.previousId) : undefined;
  const oldUpstream = old?.labels[PROXY_LABEL.upstream];
  // The old version drained and stopped: the deploy got past its switch; the checks below decide.
  if (cand.name === names.current && !old?.stateDetail.running) return;
  if (route && old && oldUpstream && proxyRunning) {
    const oldVersion = old.labels[LABEL.version] ?? old.id.slice(0, 12);
    if (!old.stateDetail.running) {
      await host.docker.startContainer(old.id);
      act(`started ${oldVersion} again (the interrupted deploy had drained and stopped it)`);
    }
    const at = await endpointOf(host.docker, env, service, old.id, 'candidate').catch(() => undefined);
    const h = at ? await waitHealthy(ctx, host, healthAt(service, at, old.id), 'recover health (previous version)') : undefined;
    if (h?.healthy) {
      // The route names the serving container's name: giving the name back is the switch back.
      if (cand.name === names.current) await host.docker.renameContainer(cand.id, names.versioned(candVersion));
      if (old.name !== names.current) await host.docker.renameContainer(old.id, names.current);
      for (const r of serviceRoutes(p.config.project, service, env.env, names.current, oldVersion)) await proxy.setRoute(r);
      act(`gave the serving name ${names.current}, which the proxy route names, back to ${oldVersion}: the interrupted deploy of ${candVersion} never finished its checks`);
      // The requests Caddy sent to the candidate under the name finish before it goes.
      const ports = service.publish.filter((x) => x.protocol === 'tcp').map((x) => x.container);
      await proxy.drain(versionUpstreams(cand, env.env.proxy.network, ports), env.env.proxy.drainSeconds, DNS_REFRESH_MS);
      await host.docker.removeContainer(cand.id);
      act(`removed the candidate ${candVersion} (${cand.name})`);
      return;
    }
    act(`${oldVersion} is not healthy (${h ? `${h.reason}; ${describeProbe(h.last)}` : 'it has no address'}); the route stays on ${candVersion}`, 'error');
  }
  if (cand.name === names.current) return;
  // Nothing to go back to: the candidate keeps the route and takes the serving name, for the usual checks below.
  if (!(await host.docker.inspectContainer(names.current))) {
    await host.docker.renameContainer(cand.id, names.current);
    act(`${candVersion} keeps the route and takes the serving name ${names.current}`);
  } else if (old && old.name === names.current) {
    const parked = names.previous(old.labels[LABEL.version] ?? old.id.slice(0, 12));
    await host.docker.stopContainer(old.id, 10);
    await host.docker.renameContainer(old.id, (await host.docker.inspectContainer(parked)) ? `${parked}-${p.deployId}` : parked);
    await host.docker.renameContainer(cand.id, names.current);
    act(`${candVersion} keeps the route and takes the serving name ${names.current}; the old version is parked`);
  }
}

/** The host-side guard of one switch: disarmed by the deploy once the switch ended either way. */
export interface SwitchGuard {
  disarm(): Promise<void>;
}

/**
 * Arms a guard on the host for the switch, the one window in which a dead client would leave
 * nothing serving (the old version stopped, the new one not yet healthy). The guard is a shell on
 * the host reading its stdin over this deploy's SSH connection: the deploy writes "disarm" when the
 * switch has ended (switched in, or rolled back by the deploy itself). If the client dies instead,
 * the connection closes, the read ends without it, and the guard removes the new container, puts
 * the old one back under the serving name, starts it and appends an audit line. The values reach
 * the script as arguments, never inside its text.
 */
export function armSwitchGuard(ctx: Pick<JobContext, 'log'>, host: RemoteHost, p: { dockerSocket: string; currentName: string; oldId: string; auditFile: string; auditRecord: AuditRecord }): SwitchGuard {
  const script = [
    'sock=$1 current=$2 old=$3 audit=$4 record=$5',
    "trap '' HUP PIPE",
    'IFS= read -r cmd',
    '[ "$cmd" = disarm ] && exit 0',
    'exec </dev/null >/dev/null 2>&1',
    'd() { docker -H "unix://$sock" "$@"; }',
    "cur=$(d inspect -f '{{.Id}}' \"$current\")",
    'if [ -n "$cur" ] && [ "$cur" != "$old" ]; then d rm -f "$cur"; fi',
    "[ \"$(d inspect -f '{{.Name}}' \"$old\")\" = \"/$current\" ] || d rename \"$old\" \"$current\"",
    'd start "$old" && (umask 077 && printf "%s\\n" "$record" >> "$audit")',
  ].join('\n');
  const stdin = new PassThrough();
  const running = host
    .exec(['sh', '-c', script, 'greenlight-switch-guard', p.dockerSocket, p.currentName, p.oldId, p.auditFile, JSON.stringify(p.auditRecord)], { stdin })
    .catch((e) => ctx.log(`switch guard: ${errorMessage(e)}`, 'warn'));
  let disarmed = false;
  return {
    async disarm(): Promise<void> {
      if (!disarmed) stdin.end('disarm\n');
      disarmed = true;
      await running;
    },
  };
}
