// Deploy a tested image to an environment, as named steps (DEPLOY_STEPS). The order is the design:
//   gate (tested image) → preflight → lock → ship if needed → backup → release tasks (migrations,
//   seeds, custom tasks in one-off containers of the new image) → start the new version beside
//   the old (its own name, no service names or published ports) → health → tasks that asked to
//   wait for health → switch → post-deploy checks → keep N → audit → unlock.
// Until the switch, the old version keeps serving: a failure or a cancellation removes the new
// container, and when release tasks already changed the database the pre-deploy backup is
// offered (never restored without confirmation). From the moment the old container is stopped,
// any failure brings it back and checks it healthy. Every path ends with the log naming the
// serving version.
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError, OperationError, errorMessage } from '../common/errors';
import { CancelledError, sleep, type JobContext } from '../common/job';
import { redact, type Secret } from '../common/secret';
import { backupDatabase, createBackup, type BackupMeta } from '../backup/backups';
import { describeArango, probeArango } from '../backup/arangoRemote';
import { pgCommands } from '../backup/pgCommands';
import { fileCommands } from '../backup/pgCommands';
import { networkModeOf, proxyRouteOf, type GreenlightConfig, type ServiceConfig, type TaskPhase } from '../config/schema';
import type { DockerEngine } from '../images/docker';
import type { RemoteHost } from '../ship/remoteHost';
import { shipImage, type ShipMode, type ShipResult } from '../ship/ship';
import { appendAudit, type AuditRecord } from './audit';
import { pickService, type ResolvedEnvironment } from './environment';
import { endpointOf, healthAt } from './endpoint';
import { describeProbe } from '../common/httpProbe';
import { waitHealthy, type HealthOptions } from './health';
import { ProductionMigrations, decideBackup, type BackupPolicy, type MigrationCheck } from './migrations';
import { acquireLock, defaultWho, readInterrupted, recordLockState, releaseLock, type LockHolder, type SwitchState } from './lock';
import { armSwitchGuard, recoverUnderLock, type SwitchGuard } from './recover';
import { listRetained } from './rollback';
import { LABEL, stateCommands, currentSpec, namesFor, newDeployId, nextSpec, proxiedSpec, releaseTasksOf, taskSpec, type DeploySecrets, type SpecInput } from './plan';
import { DNS_REFRESH_MS, NO_TLS, PROXY_LABEL, Proxy, defaultMaintenancePage, describeDrain, proxyDataVolume, routeIdOf, serviceRoutes, upstreamAliasOf, versionUpstreams } from './proxy';
import { tlsPlanOf } from './proxyTls';

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
  /** Overrides the environment's proxy.drainSeconds for this deploy. */
  readonly drainSeconds?: number;
  /** Overrides proxy.maintenance.duringTasks for this deploy (`--maintenance`). */
  readonly maintenance?: boolean;
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
  /** Swap: time from stopping the old container to the new one answering healthy. Proxy: time to
   * point the route at the new version and see it answer through the proxy. */
  readonly switchMs?: number;
  /** How the switch was made: the host's proxy, or the old stop-and-swap on the published port. */
  readonly switchMode?: 'proxy' | 'swap';
  readonly rollbackMs?: number;
  readonly warnings: readonly string[];
  /** Each named step that ran, in order, with how it ended. */
  readonly steps: readonly StepRecord[];
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

export interface Ctx extends JobContext {
  readonly secrets: readonly Secret[];
}

export function say(ctx: Ctx, line: string, level: 'info' | 'warn' | 'error' = 'info'): void {
  ctx.log(redact(line, ctx.secrets), level);
}

export async function preflight(ctx: Ctx, host: RemoteHost, env: ResolvedEnvironment, imageBytes: number): Promise<void> {
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

/** One container's recent output, each line labelled with the service and the stream it came from. */
async function showLogs(ctx: Ctx, host: RemoteHost, id: string, label: string, lines: number): Promise<void> {
  const out = await host.docker.logLines(id, lines).catch(() => []);
  for (const l of out) if (l.text.trim()) say(ctx, `  [${label} ${l.stream}] ${l.text}`);
}

export async function runReleaseTask(ctx: Ctx, host: RemoteHost, spec: ReturnType<typeof taskSpec>, name: string): Promise<{ ok: boolean; exitCode: number }> {
  const stale = await host.docker.inspectContainer(spec.name);
  if (stale) await host.docker.removeContainer(stale.id);
  const id = await host.docker.createContainer(spec);
  try {
    await host.docker.startContainer(id);
    const exitCode = await host.docker.wait(id, ctx.signal);
    await showLogs(ctx, host, id, name, 20);
    return { ok: exitCode === 0, exitCode };
  } finally {
    await host.docker.removeContainer(id).catch(() => undefined);
  }
}

/** The deploy's named steps, in the order they run. Every target (the old swap on one host, the
 * host's proxy; a swarm later) runs the same sequence; the result lists each step with how it
 * ended. `drain` is the proxy's: in-flight requests on the old version finish before it stops. */
export const DEPLOY_STEPS = ['preflight', 'lock', 'ship', 'backup', 'release tasks', 'start', 'health', 'after-health tasks', 'switch', 'drain', 'post-checks', 'keep', 'audit'] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

export interface StepRecord {
  readonly step: DeployStep;
  readonly outcome: 'ok' | 'failed' | 'skipped';
  readonly ms: number;
  readonly note?: string;
}

/** Why a step stopped the deploy, with the message the user reads. */
export class StepFailure extends Error {}

/**
 * The one runner of named steps every target shares: progress, timing, and a record of how each
 * step ended in `steps`. `before` runs as a step starts (the single host notes it in the lock).
 */
export function stepRunner(ctx: Ctx, steps: StepRecord[], before?: (name: DeployStep) => Promise<void>) {
  async function step<T>(name: DeployStep, run: () => Promise<T>, message?: string): Promise<T> {
    const t0 = Date.now();
    ctx.progress({ step: name, message });
    await before?.(name);
    try {
      const v = await run();
      steps.push({ step: name, outcome: 'ok', ms: Date.now() - t0 });
      return v;
    } catch (e) {
      steps.push({ step: name, outcome: 'failed', ms: Date.now() - t0, note: errorMessage(e) });
      throw e;
    }
  }
  const skip = (name: DeployStep, note: string): void => void steps.push({ step: name, outcome: 'skipped', ms: 0, note });
  return { step, skip };
}

export async function deploy(jobCtx: JobContext, local: DockerEngine, host: RemoteHost, req: DeployRequest): Promise<DeployResult> {
  const started = Date.now();
  const now = new Date();
  const deployId = newDeployId(now);
  const env = req.environment;
  if (env.env.swarm) throw new InputError(`environment "${env.name}" is a swarm: its services are deployed as swarm services (deploySwarm in src/core/deploy/swarm.ts), not as a container on the manager`);
  const service: ServiceConfig = pickService(req.config, req.service);
  const secrets = [req.secrets.dbPassword, ...Object.values(req.secrets.env)].filter((s): s is Secret => s !== undefined);
  const ctx: Ctx = { ...jobCtx, secrets };
  const who = req.who ?? defaultWho();
  const names = namesFor(req.config.project, service.name);
  const warnings: string[] = [];
  const steps: StepRecord[] = [];

  const { step, skip } = stepRunner(ctx, steps, (name) => noteOnHost({ step: name }));

  // The lock's holder record follows the deploy: its step and the switch state, for `recover`.
  let holder: LockHolder | undefined;
  const noteOnHost = async (change: { step?: string; switchState?: SwitchState }): Promise<void> => {
    if (!holder) return;
    holder = { ...holder, ...change, switchState: { ...holder.switchState, ...change.switchState } };
    await recordLockState(host, env.env.stateDir, holder).catch((e) => say(ctx, `lock: could not record the step on the host: ${errorMessage(e)}`, 'warn'));
  };

  const info = await local.inspectImage(req.image);
  if (!info) throw new InputError(`no image "${req.image}" on the ${local.where}`);
  let gate: ReturnType<typeof gateTested>;
  try {
    gate = gateTested(req.ledger, info.id, req.image, req.untestedOverride);
  } catch (e) {
    await appendAudit(host, env.env.stateDir, { at: now.toISOString(), action: 'deploy', deployId, who, machine: os.hostname(), env: env.name, service: service.name, imageId: info.id, version: req.version, result: 'refused', message: errorMessage(e) }).catch(() => undefined);
    throw e;
  }
  const record = req.ledger.get(info.id);
  const version = req.version ?? versionOf(req.image.startsWith('sha256:') ? (record?.tags[0] ?? req.image) : req.image, record?.version);
  const tag = req.image.startsWith('sha256:') || /^[0-9a-f]{12,64}$/.test(req.image) ? (record?.tags[0] ?? `${req.config.project}-${service.name}:${version}`) : req.image;
  if (!gate.tested) {
    say(ctx, `UNTESTED IMAGE: deploying ${tag} (${info.id.slice(7, 19)}) without a passing test, override: "${gate.override}"`, 'warn');
    warnings.push(`untested image deployed with override: ${gate.override}`);
  }
  say(ctx, `deploy ${deployId}: ${service.name} ${version} (${info.id.slice(7, 19)}) → ${env.name} (${host.where}) by ${who}`);

  await step('preflight', () => preflight(ctx, host, env, info.sizeBytes), `docker, database and disk on ${host.target.host}`).catch(async (e: unknown) => {
    // Refused before the lock: nothing changed, but the attempt and its reason are on record.
    await appendAudit(host, env.env.stateDir, { at: now.toISOString(), action: 'deploy', deployId, who, machine: os.hostname(), env: env.name, service: service.name, version, imageId: info.id, result: 'refused', message: `preflight: ${errorMessage(e)}` }).catch(() => undefined);
    throw e;
  });
  const maintenance = await maintenancePlan(req, service, env);
  const tls = await tlsPlanOf(service, env);
  const lockHolder: LockHolder = { who, machine: os.hostname(), pid: process.pid, since: now.toISOString(), what: `deploy ${service.name} ${version}`, deployId, env: env.name, service: service.name, version };
  await step('lock', () => acquireLock(ctx, host, env.env.stateDir, lockHolder));
  holder = { ...lockHolder, step: 'lock' };

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
  const migratePhase = req.config.database?.migratePhase ?? 'before-start';
  const spec: SpecInput = { config: req.config, envName: env.name, env: env.env, service, image: tag, imageId: info.id, version, deployId, who, secrets: req.secrets, now };

  /** The message tail every failure before the switch ends with, and the backup offered once the database may have changed. */
  const untouched = (): string => `Production untouched: ${serving} still serving.`;
  const offerBackup = (why: string): void => {
    if (!backup || tasksRun.length === 0) return;
    restoreOffer = { backupId: backup.id, tasksRun: [...tasksRun] };
    message += ` ${why} The pre-deploy backup ${backup.id} can be restored (greenlight backup restore --env ${env.name} ${backup.id}). Nothing was restored automatically.`;
  };

  /** Greenlight's own runner as a release task: applies the pending migrations or fails the step. */
  const runBuiltinMigrations = async (): Promise<void> => {
    if (!migrations.builtin || !migrationCheck) return;
    if (migrationCheck.pending.length === 0 && !migrationCheck.problem) {
      if (migrationCheck.databaseExists) say(ctx, 'release task migrate: nothing pending');
      return;
    }
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
        `${up.notRun.length ? `; not run: ${up.notRun.join(', ')}` : ''}. ${untouched()}`;
      offerBackup('');
      throw new StepFailure(message);
    }
    say(ctx, `release task migrate: ok (${up.applied.length} applied)`);
  };

  /** The release tasks of one phase, in order; the first failure fails the step. */
  const runTasks = async (phase: TaskPhase): Promise<void> => {
    if (migratePhase === phase) await runBuiltinMigrations();
    for (const t of releaseTasksOf(req.config, env.env).filter((x) => x.phase === phase)) {
      ctx.progress({ step: 'release task', message: `${t.name}: ${t.command.join(' ')}` });
      tasksRun.push(t.name);
      const r = await runReleaseTask(ctx, host, taskSpec(spec, t), t.name);
      if (!r.ok) {
        message = `release task "${t.name}" failed (exit ${r.exitCode}). ${untouched()}`;
        offerBackup('The database may be partly changed;');
        throw new StepFailure(message);
      }
      say(ctx, `release task ${t.name}: ok`);
    }
  };
  /**
   * Maintenance while the release tasks run: the proxy answers the service's routes with the
   * maintenance page from the first task until the switch (whose config load replaces it with the
   * new version's route), so the old version never serves on a half-changed database. Every other
   * way out of the deploy ends it in finish(); a failure to end it is said loudly.
   */
  let maintenanceIds: string[] | undefined;
  const beginMaintenance = async (): Promise<void> => {
    if (!maintenance || maintenanceIds) return;
    const pc = await host.docker.inspectContainer(env.env.proxy.container);
    if (!pc?.stateDetail.running) {
      say(ctx, `maintenance: the proxy ${env.env.proxy.container} does not run on ${host.target.host} yet: nothing to put in maintenance`);
      maintenanceIds = [];
      return;
    }
    const ids = service.publish.filter((p) => p.protocol === 'tcp').map((p) => routeIdOf(req.config.project, service.name, p.host));
    // Recorded before the load: an interrupted deploy's recover must end it even if the answer was lost.
    await noteOnHost({ switchState: { maintenance: ids } });
    // Until Caddy answered, any of them may be in maintenance: finish() clears them all if this throws.
    maintenanceIds = ids;
    maintenanceIds = await new Proxy(host.docker, env.env.proxy, host.target.host).setMaintenance(ids, maintenance.page, maintenance.retryAfterSeconds);
    if (maintenanceIds.length) say(ctx, `maintenance: the proxy answers ${service.name} (${maintenanceIds.join(', ')}) with the maintenance page (503, Retry-After: ${maintenance.retryAfterSeconds}) until the switch`);
    else say(ctx, `maintenance: ${service.name} has no route on the proxy yet: nothing to put in maintenance`);
  };
  const endMaintenance = async (): Promise<void> => {
    if (!maintenanceIds?.length) return;
    const ids = maintenanceIds;
    maintenanceIds = undefined;
    try {
      await new Proxy(host.docker, env.env.proxy, host.target.host).clearMaintenance(ids);
      say(ctx, `maintenance: ended for ${service.name}`);
      await noteOnHost({ switchState: { maintenance: [] } });
    } catch (e) {
      const line = `MAINTENANCE PAGE STILL ON: could not end the maintenance of ${service.name} (${ids.join(', ')}) on the proxy ${env.env.proxy.container} of ${host.target.host}: ${errorMessage(e)}. Its users get the 503 page until it is cleared: run "greenlight recover --env ${env.name}${req.service ? ` --service ${service.name}` : ''}".`;
      say(ctx, line, 'error');
      warnings.push(line);
      message += ` ${line}`;
    }
  };

  const hasTasks = (phase: TaskPhase): boolean =>
    (migratePhase === phase && migrations.builtin) || releaseTasksOf(req.config, env.env).some((t) => t.phase === phase);

  try {
    // A deploy that died part-way (its lock broken since) may have left production on a failing
    // version: recover first, so the version kept for rollback below is a healthy one.
    const interrupted = await readInterrupted(ctx, host, env.env.stateDir);
    if (interrupted) await recoverUnderLock(ctx, host, { config: req.config, environment: env, service, who, deployId, interrupted });

    // Ship if the host does not have these exact bytes yet.
    shipResult = await step('ship', () =>
      shipImage(ctx, local, host, {
        image: info.id,
        tag,
        mode: req.shipMode ?? env.env.ship.mode,
        artifact: req.artifact,
        registry: env.env.ship.registry,
        remoteDir: `${env.env.stateDir}/incoming`,
        dockerSocket: env.dockerSocket,
      }),
    );

    const old = await host.docker.inspectContainer(names.current);
    const route = proxyRouteOf(service, env.env);
    const alias = upstreamAliasOf(names.current, version, deployId);
    let candidateKept = false;
    previousVersion = old?.labels[LABEL.version];
    serving = old?.stateDetail.running ? (previousVersion ?? 'unlabelled container') : 'none';

    if (env.backup) {
      // Backups only when needed (seed 002): the migration engine says what is pending in the
      // production database, before anything of the new version has run.
      await step('backup', async () => {
        ctx.progress({ step: 'migrations', message: `pending migrations on ${backupDatabase(env.backup!)}` });
        migrationCheck = await migrations.check(ctx);
        const m = migrationCheck;
        if (m.builtin && m.databaseExists && !m.problem) say(ctx, `migrations: ${m.pending.length} pending of ${m.files} (${m.applied} applied) on ${backupDatabase(env.backup!)}${m.pending.length ? `: ${m.pending.join(', ')}` : ''}`);
        const policy: BackupPolicy = req.backup ?? (req.skipBackup ? 'never' : 'auto');
        const decision = decideBackup(policy, m, backupDatabase(env.backup!));
        backupReason = decision.reason;
        if (decision.take) {
          say(ctx, `backup: taking a pre-deploy backup: ${decision.reason}`);
          ctx.progress({ step: 'backup' });
          backup = await createBackup(ctx, host, env.backup!, { reason: 'pre-deploy', deployVersion: version, deployId });
        } else if (policy === 'never') {
          say(ctx, 'backup: skipped on request (--skip-backup)', 'warn');
          warnings.push('pre-deploy backup skipped on request');
        } else {
          say(ctx, `backup: skipped: ${decision.reason} (--force-backup takes one anyway)`);
        }
      });
    } else skip('backup', 'the environment has no database');

    // Release tasks before the new version starts (the default): it then starts on the schema it
    // was tested with, and an app whose health reads its own tables can pass its health check.
    // Their one-off containers join the service's networks, so those exist before the first task.
    for (const n of networkModeOf(service) === 'bridge' ? service.networks : []) {
      if (await host.docker.ensureNetwork(n.name, { [LABEL.project]: req.config.project })) say(ctx, `network: created ${n.name} on ${host.target.host}`);
    }
    if (route && (await host.docker.ensureNetwork(env.env.proxy.network, { [LABEL.role]: 'proxy' }))) say(ctx, `network: created ${env.env.proxy.network} (the proxy's) on ${host.target.host}`);
    if (hasTasks('before-start'))
      await step('release tasks', async () => {
        await beginMaintenance();
        await runTasks('before-start');
      });
    else skip('release tasks', 'none before the start');

    // The new version beside the old one: its own name, no service names or published ports
    // (behind the proxy: its versioned name and its own alias on the proxy network).
    const ns = route ? proxiedSpec(spec, alias) : nextSpec(spec);
    const stale = await host.docker.inspectContainer(ns.name);
    if (stale && stale.id !== old?.id) await host.docker.removeContainer(stale.id);
    const nextId = await step('start', async () => {
      const id = await host.docker.createContainer(ns);
      if (route) await noteOnHost({ switchState: { candidateId: id, previousId: old?.id, previousVersion } });
      await host.docker.startContainer(id);
      return id;
    }, ns.name);
    try {
      const at = await endpointOf(host.docker, env, service, nextId, 'candidate').catch(() => undefined);
      const h = await step('health', async () => {
        if (!at) return { healthy: false, probes: 0, last: { status: 0, body: '', error: 'the container has no address' }, ms: 0, reason: 'the container is not running' };
        return await waitHealthy(ctx, host, healthAt(service, at, nextId), 'health check (new)');
      });
      if (!h.healthy) {
        await showLogs(ctx, host, nextId, `${service.name} ${version}`, 15);
        message = `new version ${version} is not healthy at ${at ? `${at.address}:${at.port}` : ns.name}: ${h.reason}; last probe ${describeProbe(h.last)}. ${untouched()}`;
        offerBackup('The release tasks above already ran against the database;');
        steps[steps.length - 1] = { ...steps[steps.length - 1]!, outcome: 'failed', note: h.reason };
        return await finish('failed');
      }
      say(ctx, `health: ${version} healthy beside the old version at ${at!.address}:${at!.port} after ${h.probes} probe(s), ${h.ms} ms`);

      // Tasks that asked to wait until the new version answered (phase: after-health).
      if (hasTasks('after-health'))
        await step('after-health tasks', async () => {
          await beginMaintenance();
          await runTasks('after-health');
        });
      else skip('after-health tasks', 'none');
      // Last point at which cancelling is honoured: after it the switch runs to its end.
      if (ctx.signal.aborted) throw new CancelledError();
      candidateKept = !!route;
    } catch (e) {
      if (e instanceof StepFailure) return await finish('failed');
      if (e instanceof CancelledError || ctx.signal.aborted) {
        message = `cancelled before the switch; production untouched: ${serving} still serving.`;
        return await finish('cancelled');
      }
      throw e;
    } finally {
      if (!candidateKept) await host.docker.removeContainer(nextId).catch(() => undefined);
    }

    // The switch. Not cancellable: a half-done switch is worse than a finished one.
    const swapCtx: Ctx = { ...ctx, signal: new AbortController().signal };
    if (route) return await proxySwitch(swapCtx, nextId, ns.name, old, route);
    const swapStarted = Date.now();
    let previousName: string | undefined;
    let newId: string | undefined;
    const servingHealth = async (id: string): Promise<HealthOptions> => healthAt(service, await endpointOf(host.docker, env, service, id, 'serving'), id);
    let guard: SwitchGuard | undefined;
    try {
      await step('switch', async () => {
        if (old) {
          ctx.progress({ step: 'switch', message: `stopping ${old.name} (${previousVersion ?? '?'})` });
          await noteOnHost({ switchState: { previousId: old.id, previousVersion } });
          // If this process dies from here until the switch ends, the host puts the old version back.
          guard = armSwitchGuard(ctx, host, {
            dockerSocket: env.dockerSocket, currentName: names.current, oldId: old.id, auditFile: stateCommands(env.env.stateDir).auditFile,
            auditRecord: { at: new Date().toISOString(), action: 'deploy', deployId, who, machine: os.hostname(), env: env.name, service: service.name, version, previousVersion, result: 'rolled-back', serving: previousVersion, message: `the deploy's client went away during the switch; the switch guard on ${host.target.host} restored ${previousVersion ?? old.name}` },
          });
          await host.docker.stopContainer(old.id, req.stopTimeoutSeconds ?? 10);
          previousName = names.previous(previousVersion ?? old.id.slice(0, 12));
          if (await host.docker.inspectContainer(previousName)) previousName = `${previousName}-${deployId}`;
          await host.docker.renameContainer(old.id, previousName);
        }
        newId = await host.docker.createContainer(currentSpec(spec));
        await noteOnHost({ switchState: { newId } });
        await host.docker.startContainer(newId);
        const h = await waitHealthy(swapCtx, host, await servingHealth(newId), 'health check (switch)');
        if (!h.healthy) throw new OperationError(`${version} is not healthy after the switch: ${h.reason}; last probe ${describeProbe(h.last)}`);
        switchMs = Date.now() - swapStarted;
        say(ctx, `switch: ${names.current} now runs ${version}; switch took ${switchMs} ms`);
      });
      await guard?.disarm();
      skip('drain', 'the old swap stopped the old version in the switch');

      // Post-deploy checks: still running, still healthy, no error lines in its first logs.
      await step('post-checks', async () => {
        await sleep(1000, swapCtx.signal);
        const after = await host.docker.inspectContainer(newId!);
        if (!after?.stateDetail.running) throw new OperationError(`${version} stopped right after the switch (exit ${after?.stateDetail.exitCode})`);
        const h2 = await waitHealthy(swapCtx, host, { ...(await servingHealth(newId!)), timeoutSeconds: Math.min(15, service.health.timeoutSeconds) }, 'post-deploy health');
        if (!h2.healthy) throw new OperationError(`${version} failed its post-deploy health check: ${describeProbe(h2.last)}`);
        const errorLines = (await host.docker.logLines(newId!, 200)).filter((l) => ERROR_LINE.test(l.text));
        for (const l of errorLines.slice(0, 5)) {
          warnings.push(`log (${l.stream}): ${l.text.trim().slice(0, 200)}`);
          say(ctx, `post-deploy: error line in the ${l.stream} of ${service.name}: ${l.text.trim().slice(0, 200)}`, 'warn');
        }
      });
    } catch (e) {
      await guard?.disarm();
      const why = errorMessage(e);
      say(ctx, `deploy failed after the old version stopped: ${why}. Rolling back.`, 'error');
      if (newId) await showLogs(ctx, host, newId, `${service.name} ${version}`, 15);
      const rb = Date.now();
      serving = await restoreOld(swapCtx, host, newId, old?.id, previousName, names.current, previousVersion, servingHealth);
      rollbackMs = Date.now() - rb;
      message = `${why}. Rolled back automatically in ${rollbackMs} ms: ${serving === 'none' ? 'no previous version existed; nothing is serving' : `${serving} is serving`}.`;
      offerBackup('The release tasks of this deploy changed the database;');
      return await finish(old ? 'rolled-back' : 'failed');
    }

    await step('keep', () => keepVersions(ctx, host, req.config, service.name, env.name, env.env.keepVersions, version));
    serving = version;
    message = `${service.name} ${version} is serving on ${env.name}${previousVersion ? `; ${previousVersion} kept for rollback` : ''}.`;
    return await finish('succeeded');
  } catch (e) {
    if (e instanceof StepFailure) return await finish('failed');
    if (e instanceof CancelledError) {
      message = `cancelled before the switch; production untouched: ${serving} still serving.`;
      return await finish('cancelled');
    }
    message = `${errorMessage(e)}. ${untouched()}`;
    return await finish('failed');
  } finally {
    await migrations.close();
    await releaseLock(host, env.env.stateDir, deployId).catch((e) => say(ctx, `lock: could not release: ${errorMessage(e)}`, 'warn'));
  }

  /**
   * The switch through the host's proxy. The route names the serving container's name, not a
   * version (serviceRoutes): the switch parks the old container under its previous name while it
   * still runs and gives the new one the serving name, and Caddy sends requests to the new version
   * from its next DNS refresh on, without a config load (a load is a reload, which resets clients'
   * idle keep-alive connections). The route is loaded only when it is new or changed (the first
   * proxied deploy, other hosts, paths or certificates, the end of a maintenance page). The new
   * version is checked through the proxy as users reach it, the old one drains (one DNS refresh,
   * then its requests in flight) and stops. Before the rename the old version never stopped
   * serving; after, any failure gives the name back to the old version (started again if it had
   * stopped).
   */
  async function proxySwitch(sctx: Ctx, nextId: string, nextName: string, old: Awaited<ReturnType<RemoteHost['docker']['inspectContainer']>>, route: { hosts: string[]; paths: string[] }): Promise<DeployResult> {
    const proxy = new Proxy(host.docker, env.env.proxy, host.target.host);
    const ports = service.publish.filter((p) => p.protocol === 'tcp');
    const oldUpstream = old?.labels[PROXY_LABEL.upstream];
    const drainSeconds = req.drainSeconds ?? env.env.proxy.drainSeconds;
    // Probes through the proxy, as users reach the service, unless its routes cannot carry the health path.
    const healthPath = service.health.path;
    // A port the proxy serves over HTTPS is probed at the version's own address (the probe speaks HTTP).
    const viaProxy = !tls && (route.paths.length === 0 || route.paths.some((p) => healthPath === p || healthPath.startsWith(p.endsWith('/') ? p : `${p}/`)));
    const throughProxy = async (id: string): Promise<HealthOptions> => {
      if (!viaProxy) return healthAt(service, await endpointOf(host.docker, env, service, id, 'candidate'), id);
      const h = healthAt(service, await endpointOf(host.docker, env, service, id, 'serving'), id);
      return { ...h, hostHeader: h.hostHeader ?? route.hosts.find((x) => !x.startsWith('*')) };
    };
    let switched = false;
    let oldStopped = false;
    let previousName: string | undefined;
    let renamedAt = 0;
    const swapStarted = Date.now();
    try {
      await step('switch', async () => {
        if (old && !oldUpstream && old.stateDetail.running) {
          // The old version publishes the port itself (deployed by the old swap): it must let go of
          // the port before the proxy can take it. This happens once per service.
          say(ctx, `switch: ${previousVersion ?? old.name} was deployed without the proxy and holds the port itself; stopping it so the proxy can take the port (a gap this one time)`, 'warn');
          await host.docker.stopContainer(old.id, req.stopTimeoutSeconds ?? 10);
          oldStopped = true;
        }
        await proxy.ensure(sctx, ports, tls);
        if (tls) {
          await proxy.installCertificates(tls);
          if (tls.plan.hosts.length) say(ctx, `switch: copied the certificate and key of ${tls.plan.hosts.join(', ')} into ${env.env.proxy.container} (keys mode 0600)`);
          if (tls.plan.acme) say(ctx, `switch: ${env.env.proxy.container} obtains the certificates of ${tls.plan.acme.hosts.join(', ')} from ${tls.plan.acme.ca} (ACME) and keeps them in the volume ${proxyDataVolume(env.env.proxy.container)}`);
        }
        // Recorded before the renames: a deploy killed from here on must count as possibly switched.
        await noteOnHost({ switchState: { routed: true } });
        if (old) {
          previousName = names.previous(previousVersion ?? old.id.slice(0, 12));
          if (await host.docker.inspectContainer(previousName)) previousName = `${previousName}-${deployId}`;
          await host.docker.renameContainer(old.id, previousName);
        }
        await host.docker.renameContainer(nextId, names.current);
        renamedAt = Date.now();
        switched = true;
        say(ctx, `switch: ${names.current} is ${version} now${old ? ` (${previousVersion ?? old.name} parked as ${previousName}, still running)` : ''}; the proxy resolves the name again within ${DNS_REFRESH_MS} ms`);
        for (const r of serviceRoutes(req.config.project, service, env.env, names.current, version)) {
          const { ms, loaded } = await proxy.setRoute(r, tls?.plan ?? NO_TLS);
          if (loaded) say(ctx, `switch: the proxy's route for port ${r.port}${r.hosts.length ? ` (${r.hosts.join(', ')})` : ''}${r.paths.length ? ` ${r.paths.join(', ')}` : ''} to ${r.upstream} was new or changed; config loaded in ${ms} ms`);
        }
        // From here on every DNS answer Caddy holds is newer than the rename: the probes reach the new version.
        await sleep(Math.max(0, renamedAt + DNS_REFRESH_MS - Date.now()), sctx.signal);
        const h = await waitHealthy(sctx, host, await throughProxy(nextId), 'health check (through the proxy)');
        if (!h.healthy) throw new OperationError(`${version} is not healthy through the proxy: ${h.reason}; last probe ${describeProbe(h.last)}`);
        switchMs = Date.now() - swapStarted;
        say(ctx, `switch: ${version} answers through the proxy; switch took ${switchMs} ms`);
      });
      if (old && !oldStopped) {
        await step('drain', async () => {
          if (oldUpstream) {
            const d = await proxy.drain(upstreamsOf(old), drainSeconds, Math.max(0, renamedAt + DNS_REFRESH_MS - Date.now()));
            const said = describeDrain(d, previousVersion ?? old.name, drainSeconds);
            say(ctx, said.line, said.level);
          }
          await host.docker.stopContainer(old.id, req.stopTimeoutSeconds ?? 10);
          oldStopped = true;
        });
      } else skip('drain', old ? 'the old version had to stop before the proxy took its port' : 'no old version');
      await step('post-checks', async () => {
        await sleep(1000, sctx.signal);
        const after = await host.docker.inspectContainer(nextId);
        if (!after?.stateDetail.running) throw new OperationError(`${version} stopped right after the switch (exit ${after?.stateDetail.exitCode})`);
        const h2 = await waitHealthy(sctx, host, { ...(await throughProxy(nextId)), timeoutSeconds: Math.min(15, service.health.timeoutSeconds) }, 'post-deploy health');
        if (!h2.healthy) throw new OperationError(`${version} failed its post-deploy health check: ${describeProbe(h2.last)}`);
        for (const l of (await host.docker.logLines(nextId, 200)).filter((x) => ERROR_LINE.test(x.text)).slice(0, 5)) {
          warnings.push(`log (${l.stream}): ${l.text.trim().slice(0, 200)}`);
          say(ctx, `post-deploy: error line in the ${l.stream} of ${service.name}: ${l.text.trim().slice(0, 200)}`, 'warn');
        }
      });
    } catch (e) {
      const why = errorMessage(e);
      await showLogs(ctx, host, nextId, `${service.name} ${version}`, 15);
      const rb = Date.now();
      serving = await proxyRestore(sctx, proxy, { switched, oldStopped, previousName, oldId: old?.id, oldUpstream, nextId, nextName, drainSeconds });
      rollbackMs = Date.now() - rb;
      if (!switched && !oldStopped) {
        message = `${why}. ${untouched()}`;
        return await finish('failed');
      }
      message = `${why}. Rolled back automatically in ${rollbackMs} ms: ${serving === 'none' ? 'nothing is serving' : `${serving} is serving`}.`;
      say(ctx, `deploy failed after the switch: ${why}. The proxy sends requests to ${serving} again.`, 'error');
      offerBackup('The release tasks of this deploy changed the database;');
      return await finish(old ? 'rolled-back' : 'failed');
    }
    await step('keep', () => keepVersions(ctx, host, req.config, service.name, env.name, env.env.keepVersions, version));
    serving = version;
    message = `${service.name} ${version} is serving on ${env.name} through the proxy${previousVersion ? `; ${previousVersion} kept for rollback` : ''}.`;
    return await finish('succeeded');
  }

  /** The addresses Caddy counts a version's requests under. */
  function upstreamsOf(c: Parameters<typeof versionUpstreams>[0]): string[] {
    return versionUpstreams(c, env.env.proxy.network, service.publish.filter((p) => p.protocol === 'tcp').map((p) => p.container));
  }

  /**
   * After a failed proxy switch: the old version running under the serving name again, the new
   * one removed once the requests it took finished. Returns what serves.
   */
  async function proxyRestore(
    sctx: Ctx,
    proxy: Proxy,
    s: { switched: boolean; oldStopped: boolean; previousName?: string; oldId?: string; oldUpstream?: string; nextId: string; nextName: string; drainSeconds: number },
  ): Promise<string> {
    if (!s.oldId) {
      await host.docker.removeContainer(s.nextId).catch(() => undefined);
      return 'none';
    }
    if (s.oldUpstream) {
      // The name goes back first, the new version goes after its requests: none meets a missing upstream.
      if (s.oldStopped) await host.docker.startContainer(s.oldId);
      const h = await waitHealthy(sctx, host, healthAt(service, await endpointOf(host.docker, env, service, s.oldId, 'candidate'), s.oldId), 'rollback health');
      const next = await host.docker.inspectContainer(s.nextId);
      if (s.switched) await host.docker.renameContainer(s.nextId, s.nextName);
      if (s.previousName) await host.docker.renameContainer(s.oldId, names.current);
      if (s.switched && next) {
        const d = await proxy.drain(upstreamsOf(next), s.drainSeconds, DNS_REFRESH_MS);
        if (!d.drained) say(ctx, `rollback: ${d.inFlight} request(s) still in flight on ${version} after ${s.drainSeconds} s; removing it anyway`, 'warn');
      }
      await host.docker.removeContainer(s.nextId).catch(() => undefined);
      if (!h.healthy) return `${previousVersion ?? 'previous'} (unhealthy)`;
      return previousVersion ?? 'previous';
    }
    await host.docker.removeContainer(s.nextId).catch(() => undefined);
    if (s.previousName) await host.docker.renameContainer(s.oldId, names.current).catch(() => undefined);
    if (!s.oldStopped) return previousVersion ?? 'previous';
    // The old version publishes the port itself (the old swap deployed it): it gets it back unless the proxy took it.
    try {
      await host.docker.startContainer(s.oldId);
      const h = await waitHealthy(sctx, host, healthAt(service, await endpointOf(host.docker, env, service, s.oldId, 'serving'), s.oldId), 'rollback health');
      return h.healthy ? (previousVersion ?? 'previous') : `${previousVersion ?? 'previous'} (unhealthy)`;
    } catch (e) {
      say(ctx, `rollback: ${previousVersion ?? 'the old version'} was deployed without the proxy and cannot get its port back while the proxy holds it (${errorMessage(e)}); redeploy it (it will run behind the proxy)`, 'error');
      return 'none';
    }
  }

  async function finish(o: DeployOutcome): Promise<DeployResult> {
    outcome = o;
    await endMaintenance();
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
    await step('audit', () => appendAudit(host, env.env.stateDir, rec, secrets)).catch((e) => say(ctx, `audit: could not append: ${errorMessage(e)}`, 'warn'));
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
      switchMode: proxyRouteOf(service, env.env) ? 'proxy' : 'swap',
      rollbackMs,
      warnings,
      steps,
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
  health: (containerId: string) => Promise<HealthOptions>,
): Promise<string> {
  if (newId) await host.docker.removeContainer(newId).catch(() => undefined);
  const squatter = await host.docker.inspectContainer(currentName);
  if (squatter && squatter.id !== oldId) await host.docker.removeContainer(squatter.id);
  if (!oldId) return 'none';
  if (previousName) await host.docker.renameContainer(oldId, currentName);
  await host.docker.startContainer(oldId);
  const h = await waitHealthy(ctx, host, await health(oldId), 'rollback health');
  if (!h.healthy) {
    say(ctx, `rollback: ${previousVersion} was restarted but is NOT healthy: ${h.reason}; ${describeProbe(h.last)}`, 'error');
    return `${previousVersion ?? 'previous'} (unhealthy)`;
  }
  say(ctx, `rollback: ${previousVersion} is back and healthy`);
  return previousVersion ?? 'previous';
}

/**
 * Which retained containers `keepVersions: keep` removes: it keeps the newest container of each of
 * the `keep` newest versions other than the serving one. Versions, not containers: redeploying
 * the same version must not evict the older versions a rollback would need. `retained` is newest first.
 */
export function evictions<T extends { readonly labels: Readonly<Record<string, string>>; readonly id: string }>(retained: readonly T[], servingVersion: string | undefined, keep: number): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const c of retained) {
    const v = c.labels[LABEL.version] ?? c.id;
    if (v === servingVersion || seen.has(v) || seen.size >= keep) out.push(c);
    else seen.add(v);
  }
  return out;
}

/** Removes retained previous containers beyond `keep` versions (see evictions). Images stay for the engine's own GC. */
export async function keepVersions(ctx: Ctx, host: RemoteHost, config: GreenlightConfig, service: string, env: string, keep: number, servingVersion?: string): Promise<string[]> {
  const previous = await listRetained(host, config, env, service);
  const removed: string[] = [];
  for (const c of evictions(previous, servingVersion, keep)) {
    await host.docker.removeContainer(c.id);
    removed.push(c.name);
    say(ctx, `keep ${keep} versions: removed ${c.name}`);
  }
  return removed;
}

/** The maintenance page of this deploy, when it asked for one (read before anything changes). */
async function maintenancePlan(req: DeployRequest, service: ServiceConfig, env: ResolvedEnvironment): Promise<{ page: string; retryAfterSeconds: number } | undefined> {
  const cfg = env.env.proxy.maintenance;
  const wanted = req.maintenance ?? cfg.duringTasks;
  if (!wanted) return undefined;
  if (!proxyRouteOf(service, env.env)) {
    if (req.maintenance) throw new InputError(`--maintenance needs the proxy: ${service.name} on ${env.name} deploys with the old stop-and-swap (it has no published TCP port, proxy: false, or proxy.enabled: false)`);
    return undefined;
  }
  if (!cfg.page) return { page: defaultMaintenancePage(service.name), retryAfterSeconds: cfg.retryAfterSeconds };
  const file = path.resolve(env.root, cfg.page);
  let page: Buffer;
  try {
    page = await readFile(file);
  } catch (e) {
    throw new InputError(`environments.${env.name}.proxy.maintenance.page: cannot read ${file}: ${errorMessage(e)}`);
  }
  if (page.length > 1024 * 1024) throw new InputError(`environments.${env.name}.proxy.maintenance.page: ${file} is ${page.length} bytes; a maintenance page may have at most 1 MiB`);
  return { page: page.toString('utf8'), retryAfterSeconds: cfg.retryAfterSeconds };
}
