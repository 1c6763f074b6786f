// Deploy a tested image to an environment. The order is the design:
//   gate (tested image) → preflight → lock → ship if needed → backup → new container beside the
//   old (temporary name and port) → health → release tasks → swap → post-deploy checks → keep N →
//   audit → unlock.
// Until the swap, production is untouched: a failure or a cancellation removes the new container
// and the old one keeps serving. From the moment the old container is stopped, any failure
// brings it back and checks it healthy. Every path ends with the log naming the serving version.
import * as os from 'node:os';
import { InputError, OperationError, errorMessage } from '../common/errors';
import { CancelledError, sleep, type JobContext } from '../common/job';
import { redact, type Secret } from '../common/secret';
import { backupDatabase, createBackup, type BackupMeta } from '../backup/backups';
import { describeArango, probeArango } from '../backup/arangoRemote';
import { pgCommands } from '../backup/pgCommands';
import { fileCommands } from '../backup/pgCommands';
import type { GreenlightConfig, ServiceConfig } from '../config/schema';
import type { DockerEngine } from '../ship/docker';
import type { RemoteHost } from '../ship/remoteHost';
import { shipImage, type ShipMode, type ShipResult } from '../ship/ship';
import { appendAudit, type AuditRecord } from './audit';
import { pickService, type ResolvedEnvironment } from './environment';
import { describeProbe, waitHealthy } from './health';
import { ProductionMigrations, decideBackup, type BackupPolicy, type MigrationCheck } from './migrations';
import { acquireLock, defaultWho, releaseLock } from './lock';
import { listRetained } from './rollback';
import { LABEL, currentSpec, namesFor, newDeployId, nextSpec, releaseTasksOf, taskSpec, type DeploySecrets, type SpecInput } from './plan';

/** What the deploy needs to know about tested images (src/core/images/ledger.ts provides it). */
export interface TestedImages {
  isTested(imageId: string): boolean;
  get(imageId: string): { readonly version: string; readonly service: string; readonly tags: readonly string[]; readonly result: 'passed' | 'failed'; readonly testedAt: string } | undefined;
}

export interface DeployRequest {
  readonly config: GreenlightConfig;
  readonly environment: ResolvedEnvironment;
  readonly service?: string;
  /** Local image reference (tag or ID) of the tested image. */
  readonly image: string;
  readonly version?: string;
  readonly ledger: TestedImages;
  /** Deploys an untested image when non-empty; the text is written to the audit log. */
  readonly untestedOverride?: string;
  readonly secrets: DeploySecrets;
  readonly who?: string;
  readonly shipMode?: ShipMode;
  readonly artifact?: { readonly file: string; readonly sha256?: string };
  /** Same as backup: 'never' (kept for callers written before the policy existed). */
  readonly skipBackup?: boolean;
  /**
   * Pre-deploy backup: 'auto' (default) backs up when the database exists and something this
   * deploy runs may change it (pending migrations, app-managed migrate tasks); 'always' forces one.
   */
  readonly backup?: BackupPolicy;
  /** Seconds the old container gets to stop (default 10). */
  readonly stopTimeoutSeconds?: number;
}

export type DeployOutcome = 'succeeded' | 'failed' | 'rolled-back' | 'cancelled';

export interface DeployResult {
  readonly deployId: string;
  readonly outcome: DeployOutcome;
  readonly service: string;
  readonly version: string;
  readonly imageId: string;
  readonly previousVersion?: string;
  /** The version serving when the deploy ended ("none" when nothing serves). */
  readonly serving: string;
  readonly message: string;
  readonly backup?: BackupMeta;
  /** Why the pre-deploy backup was taken or skipped. */
  readonly backupReason?: string;
  /** What the deploy found pending in the production database before it ran anything. */
  readonly migrations?: MigrationCheck;
  /** Offered after a failed release task: the pre-deploy backup, never restored without confirmation. */
  readonly restoreOffer?: { readonly backupId: string; readonly tasksRun: readonly string[] };
  readonly ship?: ShipResult;
  /** Time from stopping the old container to the new one answering healthy. */
  readonly switchMs?: number;
  readonly rollbackMs?: number;
  readonly warnings: readonly string[];
  readonly durationMs: number;
}

const ERROR_LINE = /\b(error|fatal|panic|exception|traceback)\b/i;

function versionOf(ref: string, recorded?: string): string {
  if (recorded) return recorded;
  const at = ref.lastIndexOf(':');
  if (at > ref.lastIndexOf('/') && !ref.startsWith('sha256:')) return ref.slice(at + 1);
  throw new InputError(`cannot tell the version of "${ref}": deploy a tag (repo:version) or pass --version`);
}

/** Refuses an image that has no passing test record unless an explicit override is given. */
export function gateTested(ledger: TestedImages, imageId: string, ref: string, override?: string): { tested: boolean; override?: string } {
  if (ledger.isTested(imageId)) return { tested: true };
  const rec = ledger.get(imageId);
  if (override && override.trim().length > 0) return { tested: false, override: override.trim() };
  const why = rec ? `its latest test ${rec.result} at ${rec.testedAt}` : 'it was never tested';
  throw new OperationError(
    `refusing to deploy ${ref} (${imageId.slice(7, 19)}): ${why}. Deploy only images that passed "greenlight test"; ` +
      `to deploy it anyway, give an explicit override reason (--override-untested "<why>"), which is written to the audit log.`,
  );
}

interface Ctx extends JobContext {
  readonly secrets: readonly Secret[];
}

function say(ctx: Ctx, line: string, level: 'info' | 'warn' | 'error' = 'info'): void {
  ctx.log(redact(line, ctx.secrets), level);
}

async function preflight(ctx: Ctx, host: RemoteHost, env: ResolvedEnvironment, imageBytes: number): Promise<void> {
  ctx.progress({ step: 'preflight', message: `docker, database and disk on ${host.target.host}` });
  const v = await host.docker.version();
  say(ctx, `preflight: ssh ${host.where} ok; docker ${v.version} (API ${v.apiVersion})`);
  if (env.backup?.kind === 'arangodb') {
    const exists = await probeArango(ctx, host, env.backup.arango, 30000).catch((e: Error) => {
      throw new OperationError(`preflight: ${e.message}`);
    });
    say(ctx, `preflight: ${describeArango(host, env.backup.arango)} answers through ssh${exists ? '' : ' (the database does not exist yet)'}`);
  } else if (env.backup) {
    const ping = pgCommands.ping(env.backup.pg);
    const until = Date.now() + 30000;
    for (;;) {
      const r = await host.exec(ping.argv, { stdin: ping.stdin, signal: ctx.signal });
      if (r.code === 0) break;
      if (r.code === 127) throw new OperationError(`preflight: pg_isready is not installed on ${host.target.host} (install the PostgreSQL client tools there)`);
      if (Date.now() > until) throw new OperationError(`preflight: database ${env.backup.pg.database} at ${env.backup.pg.host}:${env.backup.pg.port} not reachable from ${host.target.host} after 30 s: ${(r.stdout.toString() + r.stderr).trim()}`);
      await sleep(1000, ctx.signal);
    }
    say(ctx, `preflight: database ${env.backup.pg.database} at ${env.backup.pg.host}:${env.backup.pg.port} accepts connections`);
  }
  const dir = env.backup?.dir ?? env.env.stateDir;
  await host.run(fileCommands.mkdir(dir), { signal: ctx.signal });
  const df = await host.run(fileCommands.df(dir), { signal: ctx.signal });
  const freeKb = Number(df.trim().split('\n').pop()?.split(/\s+/)[3]);
  const needKb = Math.max(256 * 1024, Math.ceil((imageBytes * 2) / 1024));
  if (Number.isFinite(freeKb) && freeKb < needKb) {
    throw new OperationError(`preflight: only ${(freeKb / 1024).toFixed(0)} MB free in ${dir} on ${host.target.host}; need at least ${(needKb / 1024).toFixed(0)} MB`);
  }
  say(ctx, `preflight: ${(freeKb / 1024 / 1024).toFixed(1)} GB free in ${dir}`);
}

async function runReleaseTask(ctx: Ctx, host: RemoteHost, spec: ReturnType<typeof taskSpec>, name: string): Promise<{ ok: boolean; exitCode: number; logs: string }> {
  const stale = await host.docker.inspectContainer(spec.name);
  if (stale) await host.docker.removeContainer(stale.id);
  const id = await host.docker.createContainer(spec);
  try {
    await host.docker.startContainer(id);
    const exitCode = await host.docker.wait(id, ctx.signal);
    const logs = await host.docker.logs(id, 200);
    for (const l of logs.trimEnd().split('\n').slice(-20)) if (l) say(ctx, `  [${name}] ${l}`);
    return { ok: exitCode === 0, exitCode, logs };
  } finally {
    await host.docker.removeContainer(id).catch(() => undefined);
  }
}

export async function deploy(jobCtx: JobContext, local: DockerEngine, host: RemoteHost, req: DeployRequest): Promise<DeployResult> {
  const started = Date.now();
  const now = new Date();
  const deployId = newDeployId(now);
  const env = req.environment;
  const service: ServiceConfig = pickService(req.config, req.service);
  const secrets = [req.secrets.dbPassword, ...Object.values(req.secrets.env)].filter((s): s is Secret => s !== undefined);
  const ctx: Ctx = { ...jobCtx, secrets };
  const who = req.who ?? defaultWho();
  const names = namesFor(req.config.project, service.name);
  const warnings: string[] = [];

  const info = await local.inspectImage(req.image);
  if (!info) throw new InputError(`no image "${req.image}" on the ${local.where}`);
  const gate = gateTested(req.ledger, info.id, req.image, req.untestedOverride);
  const record = req.ledger.get(info.id);
  const version = req.version ?? versionOf(req.image.startsWith('sha256:') ? (record?.tags[0] ?? req.image) : req.image, record?.version);
  const tag = req.image.startsWith('sha256:') || /^[0-9a-f]{12,64}$/.test(req.image) ? (record?.tags[0] ?? `${req.config.project}-${service.name}:${version}`) : req.image;
  if (!gate.tested) {
    say(ctx, `UNTESTED IMAGE: deploying ${tag} (${info.id.slice(7, 19)}) without a passing test, override: "${gate.override}"`, 'warn');
    warnings.push(`untested image deployed with override: ${gate.override}`);
  }
  say(ctx, `deploy ${deployId}: ${service.name} ${version} (${info.id.slice(7, 19)}) → ${env.name} (${host.where}) by ${who}`);

  await preflight(ctx, host, env, info.sizeBytes);
  await acquireLock(ctx, host, env.env.stateDir, { who, machine: os.hostname(), pid: process.pid, since: now.toISOString(), what: `deploy ${service.name} ${version}`, deployId });

  let outcome: DeployOutcome = 'failed';
  let message = '';
  let serving = 'unknown';
  let previousVersion: string | undefined;
  let backup: BackupMeta | undefined;
  let shipResult: ShipResult | undefined;
  let restoreOffer: DeployResult['restoreOffer'];
  let switchMs: number | undefined;
  let rollbackMs: number | undefined;
  let backupReason: string | undefined;
  let migrationCheck: MigrationCheck | undefined;
  const tasksRun: string[] = [];
  const migrations = ProductionMigrations.for(host, env, req.config);
  try {
    // Ship if the host does not have these exact bytes yet.
    ctx.progress({ step: 'ship' });
    shipResult = await shipImage(ctx, local, host, {
      image: info.id,
      tag,
      mode: req.shipMode ?? env.env.ship.mode,
      artifact: req.artifact,
      registry: env.env.ship.registry,
      remoteDir: `${env.env.stateDir}/incoming`,
      dockerSocket: env.dockerSocket,
    });

    const old = await host.docker.inspectContainer(names.current);
    previousVersion = old?.labels[LABEL.version];
    serving = old?.stateDetail.running ? (previousVersion ?? 'unlabelled container') : 'none';

    if (env.backup) {
      // Backups only when needed (seed 002): the migration engine says what is pending in the
      // production database, before anything of the new version has run.
      ctx.progress({ step: 'migrations', message: `pending migrations on ${backupDatabase(env.backup)}` });
      migrationCheck = await migrations.check(ctx);
      const m = migrationCheck;
      if (m.builtin && m.databaseExists && !m.problem) say(ctx, `migrations: ${m.pending.length} pending of ${m.files} (${m.applied} applied) on ${backupDatabase(env.backup)}${m.pending.length ? `: ${m.pending.join(', ')}` : ''}`);
      const policy: BackupPolicy = req.backup ?? (req.skipBackup ? 'never' : 'auto');
      const decision = decideBackup(policy, m, backupDatabase(env.backup));
      backupReason = decision.reason;
      if (decision.take) {
        say(ctx, `backup: taking a pre-deploy backup: ${decision.reason}`);
        ctx.progress({ step: 'backup' });
        backup = await createBackup(ctx, host, env.backup, { reason: 'pre-deploy', deployVersion: version, deployId });
      } else if (policy === 'never') {
        say(ctx, 'backup: skipped on request (--skip-backup)', 'warn');
        warnings.push('pre-deploy backup skipped on request');
      } else {
        say(ctx, `backup: skipped: ${decision.reason} (--force-backup takes one anyway)`);
      }
    }

    const spec: SpecInput = { config: req.config, envName: env.name, env: env.env, service, image: tag, imageId: info.id, version, deployId, who, secrets: req.secrets, now };
    const healthOf = (port: number, containerId: string): Parameters<typeof waitHealthy>[2] => ({
      address: env.serviceAddress,
      port,
      path: service.health.path,
      timeoutSeconds: service.health.timeoutSeconds,
      intervalMs: service.health.intervalMs,
      containerId,
    });

    // The new version beside the old one, on the temporary port.
    const stale = await host.docker.inspectContainer(names.next);
    if (stale) await host.docker.removeContainer(stale.id);
    const ns = nextSpec(spec);
    const tempPort = service.port + env.env.tempPortOffset;
    ctx.progress({ step: 'start new', message: `${ns.name} on port ${tempPort}` });
    const nextId = await host.docker.createContainer(ns);
    let nextAlive = true;
    const dropNext = async (): Promise<void> => {
      if (!nextAlive) return;
      nextAlive = false;
      await host.docker.removeContainer(nextId).catch(() => undefined);
    };
    try {
      await host.docker.startContainer(nextId);
      const h = await waitHealthy(ctx, host, healthOf(tempPort, nextId), 'health check (new)');
      if (!h.healthy) {
        const logs = await host.docker.logs(nextId, 30);
        for (const l of logs.trimEnd().split('\n').slice(-15)) if (l) say(ctx, `  [${ns.name}] ${l}`, 'error');
        message = `new version ${version} is not healthy on port ${tempPort}: ${h.reason}; last probe ${describeProbe(h.last)}. Production untouched: ${serving} still serving.`;
        return finish('failed');
      }
      say(ctx, `health: ${version} healthy beside the old version on port ${tempPort} after ${h.probes} probe(s), ${h.ms} ms`);

      if (migrations.builtin && migrationCheck && (migrationCheck.pending.length > 0 || migrationCheck.problem)) {
        ctx.progress({ step: 'release task', message: `migrate: Greenlight's runner applies ${migrationCheck.pending.length} migration(s) to ${backupDatabase(env.backup!)}` });
        tasksRun.push('migrate');
        const up = await migrations.apply(ctx, { imageVersion: version, appliedBy: `greenlight deploy ${deployId} (${who})` });
        for (const a of up.applied) say(ctx, `  [migrate] applied ${a.fileName} (${Math.round(a.durationMs)} ms)`);
        if (up.failure) {
          const f = up.failure;
          const where = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : f.fileName;
          say(ctx, `  [migrate] ${where}: ${f.message}`, 'error');
          message =
            `release task "migrate" failed: migration ${f.fileName} failed at ${where}: ${f.message}` +
            `${f.partial ? ' (a no-transaction file: its earlier statements stayed committed)' : ' (rolled back)'}` +
            `${up.applied.length ? `; applied before it and still in place: ${up.applied.map((a) => a.fileName).join(', ')}` : ''}` +
            `${up.notRun.length ? `; not run: ${up.notRun.join(', ')}` : ''}. Production untouched: ${serving} still serving.`;
          if (backup) {
            restoreOffer = { backupId: backup.id, tasksRun: [...tasksRun] };
            message += ` The pre-deploy backup ${backup.id} can be restored (greenlight backup restore --env ${env.name} ${backup.id}). Nothing was restored automatically.`;
          }
          return finish('failed');
        }
        say(ctx, `release task migrate: ok (${up.applied.length} applied)`);
      } else if (migrations.builtin && migrationCheck?.databaseExists) {
        say(ctx, 'release task migrate: nothing pending');
      }

      for (const t of releaseTasksOf(req.config, env.env)) {
        ctx.progress({ step: 'release task', message: `${t.name}: ${t.command.join(' ')}` });
        tasksRun.push(t.name);
        const r = await runReleaseTask(ctx, host, taskSpec(spec, t), t.name);
        if (!r.ok) {
          message = `release task "${t.name}" failed (exit ${r.exitCode}). Production untouched: ${serving} still serving.`;
          if (backup) {
            restoreOffer = { backupId: backup.id, tasksRun: [...tasksRun] };
            message += ` The database may be partly changed; the pre-deploy backup ${backup.id} can be restored (greenlight backup restore --env ${env.name} ${backup.id}). Nothing was restored automatically.`;
          }
          return finish('failed');
        }
        say(ctx, `release task ${t.name}: ok`);
      }
      // Last point at which cancelling is honoured: after it the swap runs to its end.
      if (ctx.signal.aborted) throw new CancelledError();
    } catch (e) {
      if (e instanceof CancelledError || ctx.signal.aborted) {
        message = `cancelled before the swap; production untouched: ${serving} still serving.`;
        return finish('cancelled');
      }
      throw e;
    } finally {
      await dropNext();
    }

    // The swap. Not cancellable: a half-done swap is worse than a finished one.
    const swapCtx: Ctx = { ...ctx, signal: new AbortController().signal };
    const swapStarted = Date.now();
    let previousName: string | undefined;
    if (old) {
      ctx.progress({ step: 'swap', message: `stopping ${old.name} (${previousVersion ?? '?'})` });
      await host.docker.stopContainer(old.id, req.stopTimeoutSeconds ?? 10);
      previousName = names.previous(previousVersion ?? old.id.slice(0, 12));
      if (await host.docker.inspectContainer(previousName)) previousName = `${previousName}-${deployId}`;
      await host.docker.renameContainer(old.id, previousName);
    }
    let newId: string | undefined;
    try {
      newId = await host.docker.createContainer(currentSpec(spec));
      await host.docker.startContainer(newId);
      const h = await waitHealthy(swapCtx, host, healthOf(service.port, newId), 'health check (swap)');
      if (!h.healthy) throw new OperationError(`${version} is not healthy on port ${service.port} after the swap: ${h.reason}; last probe ${describeProbe(h.last)}`);
      switchMs = Date.now() - swapStarted;
      say(ctx, `swap: ${names.current} now runs ${version}; switch took ${switchMs} ms`);

      // Post-deploy checks: still running, still healthy, no error lines in its first logs.
      ctx.progress({ step: 'post-deploy checks' });
      await sleep(1000, swapCtx.signal);
      const after = await host.docker.inspectContainer(newId);
      if (!after?.stateDetail.running) throw new OperationError(`${version} stopped right after the swap (exit ${after?.stateDetail.exitCode})`);
      const h2 = await waitHealthy(swapCtx, host, { ...healthOf(service.port, newId), timeoutSeconds: Math.min(15, service.health.timeoutSeconds) }, 'post-deploy health');
      if (!h2.healthy) throw new OperationError(`${version} failed its post-deploy health check: ${describeProbe(h2.last)}`);
      const errorLines = (await host.docker.logs(newId, 200)).split('\n').filter((l) => ERROR_LINE.test(l));
      for (const l of errorLines.slice(0, 5)) {
        warnings.push(`log: ${l.trim().slice(0, 200)}`);
        say(ctx, `post-deploy: error line in the logs: ${l.trim().slice(0, 200)}`, 'warn');
      }
    } catch (e) {
      const why = errorMessage(e);
      say(ctx, `deploy failed after the old version stopped: ${why}. Rolling back.`, 'error');
      if (newId) {
        const logs = await host.docker.logs(newId, 30).catch(() => '');
        for (const l of logs.trimEnd().split('\n').slice(-15)) if (l) say(ctx, `  [${names.current} ${version}] ${l}`, 'error');
      }
      const rb = Date.now();
      serving = await restoreOld(swapCtx, host, newId, old?.id, previousName, names.current, previousVersion, (c) => healthOf(service.port, c));
      rollbackMs = Date.now() - rb;
      message = `${why}. Rolled back automatically in ${rollbackMs} ms: ${serving === 'none' ? 'no previous version existed; nothing is serving' : `${serving} is serving and healthy`}.`;
      return finish(old ? 'rolled-back' : 'failed');
    }

    await keepVersions(ctx, host, req.config, service.name, env.name, env.env.keepVersions);
    serving = version;
    message = `${service.name} ${version} is serving on ${env.name}${previousVersion ? `; ${previousVersion} kept for rollback` : ''}.`;
    return finish('succeeded');
  } catch (e) {
    if (e instanceof CancelledError) {
      message = `cancelled before the swap; production untouched: ${serving} still serving.`;
      return finish('cancelled');
    }
    message = `${errorMessage(e)}. Production untouched before the swap: ${serving} still serving.`;
    return finish('failed');
  } finally {
    await migrations.close();
    await releaseLock(host, env.env.stateDir, deployId).catch((e) => say(ctx, `lock: could not release: ${errorMessage(e)}`, 'warn'));
  }

  async function finish(o: DeployOutcome): Promise<DeployResult> {
    outcome = o;
    const rec: AuditRecord = {
      at: new Date().toISOString(),
      action: 'deploy',
      deployId,
      who,
      machine: os.hostname(),
      env: env.name,
      service: service.name,
      version,
      imageId: info!.id,
      previousVersion,
      result: outcome,
      serving,
      backupId: backup?.id,
      releaseTasks: tasksRun,
      untestedOverride: gate.override,
      message,
      durationMs: Date.now() - started,
    };
    await appendAudit(host, env.env.stateDir, rec, secrets).catch((e) => say(ctx, `audit: could not append: ${errorMessage(e)}`, 'warn'));
    say(ctx, `deploy ${outcome}: ${message} Serving: ${serving}.`, outcome === 'succeeded' ? 'info' : 'error');
    return {
      deployId,
      outcome,
      service: service.name,
      version,
      imageId: info!.id,
      previousVersion,
      serving,
      message,
      backup,
      backupReason,
      migrations: migrationCheck,
      restoreOffer,
      ship: shipResult,
      switchMs,
      rollbackMs,
      warnings,
      durationMs: Date.now() - started,
    };
  }
}

/** Puts the old container back under the serving name and checks it healthy. Returns the serving version. */
async function restoreOld(
  ctx: Ctx,
  host: RemoteHost,
  newId: string | undefined,
  oldId: string | undefined,
  previousName: string | undefined,
  currentName: string,
  previousVersion: string | undefined,
  health: (containerId: string) => Parameters<typeof waitHealthy>[2],
): Promise<string> {
  if (newId) await host.docker.removeContainer(newId).catch(() => undefined);
  const squatter = await host.docker.inspectContainer(currentName);
  if (squatter && squatter.id !== oldId) await host.docker.removeContainer(squatter.id);
  if (!oldId) return 'none';
  if (previousName) await host.docker.renameContainer(oldId, currentName);
  await host.docker.startContainer(oldId);
  const h = await waitHealthy(ctx, host, health(oldId), 'rollback health');
  if (!h.healthy) {
    say(ctx, `rollback: ${previousVersion} was restarted but is NOT healthy: ${h.reason}; ${describeProbe(h.last)}`, 'error');
    return `${previousVersion ?? 'previous'} (unhealthy)`;
  }
  say(ctx, `rollback: ${previousVersion} is back and healthy`);
  return previousVersion ?? 'previous';
}

/** Removes retained previous containers beyond `keep`, oldest first. Images stay for the engine's own GC. */
export async function keepVersions(ctx: Ctx, host: RemoteHost, config: GreenlightConfig, service: string, env: string, keep: number): Promise<string[]> {
  const previous = await listRetained(host, config, env, service);
  const removed: string[] = [];
  for (const c of previous.slice(keep)) {
    await host.docker.removeContainer(c.id);
    removed.push(c.name);
    say(ctx, `keep ${keep}: removed ${c.name}`);
  }
  return removed;
}
