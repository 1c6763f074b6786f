// Deploy a release — one tested image per service — to a Docker Swarm, through the same named
// steps as a single host (DEPLOY_STEPS), with what differs said at each step:
//   preflight (the manager, its nodes, the database, the disk) → lock (on the manager) → ship (each
//   image to the manager as today, then pushed from there to the cluster's registry, so every node
//   pulls the same bytes by digest) → backup → release tasks (once, in one-off containers of the new
//   image on the manager, before any service changes) → start (each service created or updated:
//   start-first, failure-action rollback, a HEALTHCHECK from the health config) → health (wait until
//   every service converged, reporting replicas as they move) → post-checks → audit.
// "after-health tasks", "drain" and "keep" are skipped and say why: a swarm replaces tasks one
// batch at a time (the switch happens inside the rolling update), and it keeps each service's
// previous spec for `docker service rollback` itself. "switch" sets the proxy's routes to every
// task of a service behind the manager's proxy, and is skipped when no service is behind it.
// A release is all or nothing: when one service fails its update (the swarm rolls that one back
// by itself), the services this deploy already updated are rolled back too, and services it created
// are removed, so the cluster runs the previous release again.
import * as os from 'node:os';
import { InputError, OperationError, errorMessage } from '../common/errors';
import { CancelledError, sleep, type JobContext } from '../common/job';
import type { Secret } from '../common/secret';
import { backupDatabase, createBackup, type BackupMeta } from '../backup/backups';
import { proxyRouteOf, type EnvironmentConfig, type GreenlightConfig, type ServiceConfig } from '../config/schema';
import type { DockerEngine, SwarmNode, SwarmServiceSpec, SwarmTask } from '../images/docker';
import type { RemoteHost } from '../ship/remoteHost';
import { shipImage, type ShipMode } from '../ship/ship';
import { appendAudit } from './audit';
import { gateTested, preflight, runReleaseTask, say, StepFailure, stepRunner, type Ctx, type DeployOutcome, type StepRecord, type TestedImages } from './deploy';
import type { ResolvedEnvironment } from './environment';
import { acquireLock, defaultWho, releaseLock, type LockHolder } from './lock';
import { ProductionMigrations, decideBackup, type BackupPolicy, type MigrationCheck } from './migrations';
import { Proxy, serviceRoutes, type ProxyRoute } from './proxy';
import { reversibilityOf, type Reversibility } from '../migrate/reversible';
import * as path from 'node:path';
import { LABEL, envOf, namesFor, newDeployId, releaseTasksOf, taskSpec, type DeploySecrets, type SpecInput } from './plan';
import { checkNodesPull, ensureRegistry, managedRegistryAddress, managerAddressOf, pullCheckKey, pullFailureMessage, registryStatus } from './swarmRegistry';

export type SwarmConfig = NonNullable<EnvironmentConfig['swarm']>;

export interface SwarmDeployRequest {
  readonly config: GreenlightConfig;
  readonly environment: ResolvedEnvironment;
  /** One tested image per service of the release (local tag or ID), in any order. */
  readonly images: readonly { readonly service: string; readonly image: string; readonly version?: string }[];
  readonly ledger: TestedImages;
  readonly untestedOverride?: string;
  readonly secrets: DeploySecrets;
  readonly who?: string;
  readonly shipMode?: ShipMode;
  readonly backup?: BackupPolicy;
}

export interface SwarmServiceOutcome {
  readonly service: string;
  readonly version: string;
  /** "registry/repo@sha256:…": what every node pulled. */
  readonly image?: string;
  readonly previousVersion?: string;
  /** created/updated: converged on the new version; rolled-back: back on the previous one; removed: created by this deploy and taken away again; untouched: never changed. */
  readonly result: 'created' | 'updated' | 'rolled-back' | 'removed' | 'untouched' | 'failed';
  readonly note?: string;
}

export interface SwarmDeployResult {
  readonly deployId: string;
  readonly outcome: DeployOutcome;
  readonly services: readonly SwarmServiceOutcome[];
  readonly message: string;
  readonly backup?: BackupMeta;
  readonly backupReason?: string;
  readonly migrations?: MigrationCheck;
  readonly restoreOffer?: { readonly backupId: string; readonly tasksRun: readonly string[] };
  readonly warnings: readonly string[];
  readonly steps: readonly StepRecord[];
  readonly durationMs: number;
}

/** The health URL inside a task, and the HEALTHCHECK argv derived from it ("{url}" replaced). */
export function healthcheckOf(service: ServiceConfig, swarm: SwarmConfig): NonNullable<SwarmServiceSpec['healthcheck']> {
  const url = `http://127.0.0.1:${service.port}${service.health.path}`;
  const command = swarm.services[service.name]?.healthCommand ?? ['wget', '-q', '-O', '/dev/null', '{url}'];
  return {
    test: command.map((a) => a.split('{url}').join(url)),
    intervalMs: Math.max(500, service.health.intervalMs),
    timeoutMs: 5000,
    retries: 3,
    // Failures while the task starts do not count; it turns healthy at its first passing probe.
    startPeriodMs: service.health.timeoutSeconds * 1000,
  };
}

/** The swarm service for one service of the release, as data (unit tests pin it). */
export function swarmServiceSpec(i: SpecInput, swarm: SwarmConfig, image: string): SwarmServiceSpec {
  const s = i.service;
  const per = swarm.services[s.name];
  const labels = {
    [LABEL.project]: i.config.project,
    [LABEL.service]: s.name,
    [LABEL.env]: i.envName,
    [LABEL.version]: i.version,
    [LABEL.deployId]: i.deployId,
    [LABEL.imageId]: i.imageId,
    [LABEL.deployedAt]: i.now.toISOString(),
    [LABEL.deployedBy]: i.who,
  };
  const mb = (n: number | undefined): number | undefined => (n === undefined ? undefined : n * 1024 * 1024);
  // Behind the proxy (the default for published TCP ports): no port of the service is published;
  // its tasks join the proxy's overlay network, where the proxy on the manager reaches them all.
  const proxied = proxyRouteOf(s, i.env) !== undefined;
  const networks = s.networks.map((n) => ({ name: n.name, aliases: [...new Set([s.name, ...n.aliases])] }));
  if (proxied && !networks.some((n) => n.name === i.env.proxy.network)) networks.push({ name: i.env.proxy.network, aliases: [] });
  return {
    name: namesFor(i.config.project, s.name).current,
    image,
    labels: { ...labels, [LABEL.role]: 'swarm-service' },
    containerLabels: { ...labels, [LABEL.role]: 'current' },
    ...envOf(i, s.port),
    healthcheck: healthcheckOf(s, swarm),
    replicas: per?.replicas ?? 1,
    constraints: per?.constraints ?? [],
    maxReplicasPerNode: per?.maxReplicasPerNode,
    resources: { cpus: per?.resources.cpus, memoryBytes: mb(per?.resources.memoryMb), reserveCpus: per?.resources.reserveCpus, reserveMemoryBytes: mb(per?.resources.reserveMemoryMb) },
    networks,
    // Without the proxy, host mode: the ingress routing mesh is not used (each task publishes on the node it runs on).
    ports: proxied ? [] : s.publish.map((p) => ({ target: p.container, published: p.host, protocol: p.protocol, mode: 'host' as const })),
    volumes: s.volumes,
    update: { parallelism: swarm.update.parallelism, delayMs: swarm.update.delaySeconds * 1000, monitorMs: swarm.update.monitorSeconds * 1000, maxFailureRatio: swarm.update.maxFailureRatio, order: 'start-first', failureAction: 'rollback' },
    init: true,
  };
}

/**
 * The proxy routes of a swarm service: each published TCP port of the manager's proxy sends its
 * requests to every task of the service (`tasks.<service name>`, resolved again every second), so
 * the route stays the same through rolling updates and rollbacks.
 */
export function swarmProxyRoutes(project: string, s: ServiceConfig, env: Pick<EnvironmentConfig, 'proxy'>, version: string): ProxyRoute[] {
  return serviceRoutes(project, s, env, `tasks.${namesFor(project, s.name).current}`, version, true);
}

/**
 * A start-first update with a fixed host-mode port needs a node without a task of the service for
 * each new task: with fewer nodes the update would wait for ever. Returns the problem, if any.
 */
export function hostPortProblem(spec: Pick<SwarmServiceSpec, 'name' | 'replicas' | 'ports' | 'update'>, eligibleNodes: number): string | undefined {
  const fixed = spec.ports.filter((p) => p.mode === 'host' && p.published !== undefined);
  if (fixed.length === 0 || spec.replicas === 0) return undefined;
  const need = spec.replicas + spec.update.parallelism;
  if (need <= eligibleNodes) return undefined;
  return `service ${spec.name} publishes host port ${fixed.map((p) => p.published).join(', ')} with ${spec.replicas} replica(s): a start-first update needs ${need} nodes (replicas + parallelism) but ${eligibleNodes} are ready; lower the replicas or add nodes`;
}

/** How one service's tasks stand: on the new image, on others, failed on the new image. */
export function replicaCounts(tasks: readonly SwarmTask[], image: string): { newRunning: number; oldRunning: number; starting: number; failedNew: number } {
  let newRunning = 0;
  let oldRunning = 0;
  let starting = 0;
  let failedNew = 0;
  for (const t of tasks) {
    const isNew = t.image === image;
    if (t.state === 'running' && t.desiredState === 'running') isNew ? newRunning++ : oldRunning++;
    else if (t.state === 'running') oldRunning += isNew ? 0 : 1; // an old task still running while it is being shut down
    else if (t.desiredState === 'running' && isNew) starting++;
    if (isNew && (t.state === 'failed' || t.state === 'rejected')) failedNew++;
  }
  return { newRunning, oldRunning, starting, failedNew };
}

interface Planned {
  readonly service: ServiceConfig;
  readonly local: string;
  readonly imageId: string;
  readonly version: string;
  readonly tag: string;
  readonly sizeBytes: number;
  readonly override?: string;
  ref?: string;
  spec?: SwarmServiceSpec;
  previous?: { id: string; version: string | undefined };
  /** The spec the service ran before this deploy, rebuilt from its labels (only needed after a re-submit, see converge). */
  before?: SwarmServiceSpec;
  /** How often converge re-submitted the spec to un-stick the swarm's updater (its PreviousSpec is then this release's). */
  resubmits?: number;
  created?: boolean;
  outcome?: SwarmServiceOutcome;
}

export async function deploySwarm(jobCtx: JobContext, local: DockerEngine, host: RemoteHost, req: SwarmDeployRequest): Promise<SwarmDeployResult> {
  const started = Date.now();
  const now = new Date();
  const deployId = newDeployId(now);
  const env = req.environment;
  const swarm = env.env.swarm;
  if (!swarm) throw new InputError(`environment "${env.name}" has no swarm section: deploy it with greenlight deploy`);
  const secrets = [req.secrets.dbPassword, ...Object.values(req.secrets.env)].filter((s): s is Secret => s !== undefined);
  const ctx: Ctx = { ...jobCtx, secrets };
  const who = req.who ?? defaultWho();
  const warnings: string[] = [];
  const steps: StepRecord[] = [];

  const { step, skip } = stepRunner(ctx, steps);
  let managerAddress = '';
  let registryChecked = false;
  /**
   * Every ready node pulls from the managed registry, or the step fails naming those that cannot.
   * A check that passed for the same registry container and the same nodes is not repeated (its
   * key is kept on the manager, in the state directory).
   */
  const nodesPull = async (stepName: string, address: string, image: string, containerId: string, nodes: readonly SwarmNode[]): Promise<void> => {
    const marker = `${env.env.stateDir}/registry-pull-check`;
    const key = pullCheckKey(address, containerId, nodes);
    const seen = await host.exec(['cat', '--', marker], { signal: ctx.signal });
    if (seen.code === 0 && seen.stdout.toString('utf8').trim() === key) {
      say(ctx, `${stepName}: every node pulled from ${address} at the last check (same registry, same nodes)`);
    } else {
      const failures = await checkNodesPull(ctx, host.docker, address, image);
      if (failures.length) throw new OperationError(`${stepName}: ${pullFailureMessage(address, failures)}`);
      await host.run(['mkdir', '-p', '-m', '700', '--', env.env.stateDir]);
      await host.run(['sh', '-c', 'umask 077 && cat > "$1"', 'greenlight-registry-check', marker], { stdin: key + '\n' });
    }
    registryChecked = true;
  };

  // The release: services in greenlight.yaml's order, each with its tested image.
  if (req.images.length === 0) throw new InputError('a swarm deploy needs at least one service image');
  const planned: Planned[] = [];
  for (const s of req.config.services) {
    const want = req.images.filter((x) => x.service === s.name);
    if (want.length > 1) throw new InputError(`service ${s.name} is given ${want.length} images; give one`);
    const w = want[0];
    if (!w) continue;
    const info = await local.inspectImage(w.image);
    if (!info) throw new InputError(`no image "${w.image}" on the ${local.where}`);
    const gate = gateTested(req.ledger, info.id, w.image, req.untestedOverride);
    const rec = req.ledger.get(info.id);
    const version = w.version ?? rec?.version ?? (w.image.includes(':') && !w.image.startsWith('sha256:') ? w.image.slice(w.image.lastIndexOf(':') + 1) : undefined);
    if (!version) throw new InputError(`cannot tell the version of "${w.image}": deploy a tag (repo:version) or give the version`);
    const tag = w.image.startsWith('sha256:') ? (rec?.tags[0] ?? `${req.config.project}-${s.name}:${version}`) : w.image;
    if (!gate.tested) warnings.push(`${s.name}: untested image deployed with override: ${gate.override}`);
    planned.push({ service: s, local: w.image, imageId: info.id, version, tag, sizeBytes: info.sizeBytes, override: gate.override });
  }
  for (const x of req.images) if (!req.config.services.some((s) => s.name === x.service)) throw new InputError(`no service "${x.service}" in greenlight.yaml`);
  const what = planned.map((p) => `${p.service.name} ${p.version}`).join(', ');
  say(ctx, `deploy ${deployId}: ${what} → swarm ${env.name} (manager ${host.where}) by ${who}`);

  const specInput = (p: Planned): SpecInput => ({ config: req.config, envName: env.name, env: env.env, service: p.service, image: p.ref ?? p.tag, imageId: p.imageId, version: p.version, deployId, who, secrets: req.secrets, now });
  const audit = async (result: DeployOutcome | 'refused', message: string, p?: Planned, extra: { backupId?: string; releaseTasks?: string[] } = {}): Promise<void> => {
    for (const x of p ? [p] : planned) {
      await appendAudit(host, env.env.stateDir, {
        at: new Date().toISOString(), action: 'deploy', deployId, who, machine: os.hostname(), env: env.name, service: x.service.name, version: x.version, imageId: x.imageId,
        previousVersion: x.previous?.version, result, serving: x.outcome ? servingOf(x) : undefined, untestedOverride: x.override, message, durationMs: Date.now() - started, ...extra,
      }, secrets).catch((e) => say(ctx, `audit: could not append: ${errorMessage(e)}`, 'warn'));
    }
  };

  await step('preflight', async () => {
    await preflight(ctx, host, env, planned.reduce((n, p) => n + p.sizeBytes, 0));
    const me = await host.docker.swarm.info();
    if (!me.manager) throw new OperationError(`preflight: ${host.target.host} is not a swarm manager (swarm state: ${me.state}); environment "${env.name}" needs ssh to reach a manager`);
    const nodes = await host.docker.swarm.nodes();
    const ready = nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
    say(ctx, `preflight: swarm of ${nodes.length} node(s), ${ready.length} ready and active (${nodes.filter((n) => n.role === 'manager').length} manager(s))`);
    for (const p of planned) {
      const problem = hostPortProblem(swarmServiceSpec(specInput(p), swarm, p.tag), ready.length);
      if (problem) throw new InputError(`preflight: ${problem}`);
    }
    managerAddress = managerAddressOf(nodes, me.nodeId);
    // A managed registry that runs already: every node must be able to pull from it (one that is
    // not running yet is checked by the ship step, right after it starts it).
    if (typeof swarm.registry !== 'string') {
      const { address, bindIp } = managedRegistryAddress(swarm.registry, managerAddress);
      const reg = await registryStatus(host.docker, swarm.registry, bindIp);
      if (reg.state === 'ready') await nodesPull('preflight', address, swarm.registry.image, reg.id!, nodes);
    }
  }).catch(async (e: unknown) => {
    await audit('refused', `preflight: ${errorMessage(e)}`);
    throw e;
  });
  const lockHolder: LockHolder = { who, machine: os.hostname(), pid: process.pid, since: now.toISOString(), what: `deploy ${what}`, deployId, env: env.name, service: planned.map((p) => p.service.name).join(','), version: planned.map((p) => p.version).join(',') };
  await step('lock', () => acquireLock(ctx, host, env.env.stateDir, lockHolder));

  let outcome: DeployOutcome = 'failed';
  let message = '';
  let backup: BackupMeta | undefined;
  let backupReason: string | undefined;
  let migrationCheck: MigrationCheck | undefined;
  let restoreOffer: SwarmDeployResult['restoreOffer'];
  const tasksRun: string[] = [];
  const migrationsApplied: string[] = [];
  const migrations = ProductionMigrations.for(host, env, req.config);
  const untouched = (): string => 'No service was changed: the swarm runs the previous release.';
  const offerBackup = (why: string): void => {
    if (!backup || tasksRun.length === 0) return;
    restoreOffer = { backupId: backup.id, tasksRun: [...tasksRun] };
    message += `${why ? ` ${why}` : ''} The pre-deploy backup ${backup.id} can be restored (greenlight backup restore --env ${env.name} ${backup.id}). Nothing was restored automatically.`;
  };

  try {
    await step('ship', async () => {
      // The cluster's registry: Greenlight's own on the manager's engine unless one is named.
      let registry: string;
      if (typeof swarm.registry === 'string') registry = swarm.registry;
      else {
        const r = await ensureRegistry(ctx, host.docker, swarm.registry, managerAddress);
        registry = r.address;
        if (!registryChecked || r.started) await nodesPull('ship', registry, swarm.registry.image, r.containerId, await host.docker.swarm.nodes());
      }
      for (const p of planned) {
        await shipImage(ctx, local, host, { image: p.imageId, tag: p.tag, mode: req.shipMode ?? env.env.ship.mode, registry: env.env.ship.registry, remoteDir: `${env.env.stateDir}/incoming`, dockerSocket: env.dockerSocket });
        p.ref = await toClusterRegistry(ctx, host, registry, req.config.project, p);
      }
    });

    for (const p of planned) {
      const cur = await host.docker.swarm.inspectService(namesFor(req.config.project, p.service.name).current);
      if (cur) {
        p.previous = { id: cur.id, version: cur.labels[LABEL.version] };
        const l = cur.labels;
        p.before = swarmServiceSpec({ ...specInput(p), image: cur.image, version: l[LABEL.version] ?? 'unknown', deployId: l[LABEL.deployId] ?? 'unknown', imageId: l[LABEL.imageId] ?? '', who: l[LABEL.deployedBy] ?? 'unknown', now: new Date(l[LABEL.deployedAt] ?? Date.now()) }, swarm, cur.image);
      }
    }

    if (env.backup) {
      await step('backup', async () => {
        migrationCheck = await migrations.check(ctx);
        const m = migrationCheck;
        if (m.builtin && m.databaseExists && !m.problem) say(ctx, `migrations: ${m.pending.length} pending of ${m.files} (${m.applied} applied) on ${backupDatabase(env.backup!)}${m.pending.length ? `: ${m.pending.join(', ')}` : ''}`);
        const decision = decideBackup(req.backup ?? 'auto', m, backupDatabase(env.backup!));
        backupReason = decision.reason;
        if (decision.take) {
          say(ctx, `backup: taking a pre-deploy backup: ${decision.reason}`);
          backup = await createBackup(ctx, host, env.backup!, { reason: 'pre-deploy', deployVersion: planned.map((p) => p.version).join(','), deployId });
        } else say(ctx, `backup: skipped: ${decision.reason}`);
      });
    } else skip('backup', 'the environment has no database');

    // Overlay networks before anything joins them (the release tasks' containers too: attachable).
    for (const n of [...new Set(planned.flatMap((p) => p.service.networks.map((x) => x.name)))]) {
      if (await host.docker.ensureNetwork(n, { [LABEL.project]: req.config.project }, { driver: 'overlay' })) say(ctx, `network: created overlay network ${n}`);
    }

    // The proxy on the manager, on its overlay network, before any service joins that network.
    const proxied = planned.flatMap((p) => swarmProxyRoutes(req.config.project, p.service, env.env, p.version));
    const proxy = proxied.length ? new Proxy(host.docker, env.env.proxy, host.target.host, 'overlay') : undefined;
    if (proxy) await proxy.ensure(ctx, proxied.map((r) => ({ host: r.port })));

    // Release tasks: once, in the image of the release's first service, before any service changes.
    const first = planned[0]!;
    const tasks = releaseTasksOf(req.config, env.env);
    if ((migrations.builtin && migrationCheck && (migrationCheck.pending.length > 0 || migrationCheck.problem)) || tasks.length > 0) {
      await step('release tasks', async () => {
        if (migrations.builtin && migrationCheck && (migrationCheck.pending.length > 0 || migrationCheck.problem)) {
          tasksRun.push('migrate');
          const up = await migrations.apply(ctx, { imageVersion: first.version, appliedBy: `greenlight deploy ${deployId} (${who})` });
          for (const a of up.applied) {
            migrationsApplied.push(a.fileName);
            say(ctx, `  [migrate] applied ${a.fileName} (${Math.round(a.durationMs)} ms)`);
          }
          if (up.failure) {
            const f = up.failure;
            const where = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : f.fileName;
            message = `release task "migrate" failed: migration ${f.fileName} failed at ${where}: ${f.message}${f.partial ? ' (a no-transaction file: its earlier statements stayed committed)' : ' (rolled back)'}. ${untouched()}`;
            offerBackup('');
            throw new StepFailure(message);
          }
          say(ctx, `release task migrate: ok (${up.applied.length} applied)`);
        }
        for (const t of tasks) {
          tasksRun.push(t.name);
          const r = await runReleaseTask(ctx, host, taskSpec(specInput(first), t), t.name);
          if (!r.ok) {
            message = `release task "${t.name}" failed (exit ${r.exitCode}). ${untouched()}`;
            offerBackup('The database may be partly changed;');
            throw new StepFailure(message);
          }
          say(ctx, `release task ${t.name}: ok`);
        }
      });
    } else skip('release tasks', 'none pending');
    if (ctx.signal.aborted) throw new CancelledError();

    // From here on services change; cancelling is no longer honoured (a half-submitted release is worse).
    await step('start', async () => {
      for (const p of planned) {
        p.spec = swarmServiceSpec(specInput(p), swarm, p.ref!);
        const cur = await host.docker.swarm.inspectService(p.spec.name);
        if (cur) {
          await host.docker.swarm.updateService(cur.id, cur.version, p.spec);
          say(ctx, `start: ${p.spec.name} updating ${p.previous?.version ?? '?'} → ${p.version} (${p.spec.replicas} replica(s), start-first, ${p.spec.update.parallelism} at a time)`);
        } else {
          await host.docker.swarm.createService(p.spec);
          p.created = true;
          say(ctx, `start: ${p.spec.name} created with ${p.version} (${p.spec.replicas} replica(s))`);
        }
      }
    });

    const failures = await step('health', () => converge(ctx, host, planned, swarm.convergeTimeoutSeconds * 1000));
    if (failures.length > 0) {
      const why = failures.map((f) => `${f.p.service.name} ${f.p.version}: ${f.why}`).join('; ');
      steps[steps.length - 1] = { ...steps[steps.length - 1]!, outcome: 'failed', note: why };
      say(ctx, `health: ${why}. Rolling the whole release back.`, 'error');
      const back = await rollBackRelease(ctx, host, planned, swarm.convergeTimeoutSeconds * 1000);
      message = `${why}. ${back}`;
      offerBackup('The release tasks of this deploy changed the database;');
      outcome = planned.some((p) => p.previous) ? 'rolled-back' : 'failed';
      return await finish();
    }
    skip('after-health tasks', 'a swarm runs every release task before the rolling update');
    if (proxy) {
      // The routes name every task of each service, not a version: set once, they carry every later update unchanged.
      await step('switch', async () => {
        for (const r of proxied) {
          const { ms } = await proxy.setRoute(r);
          say(ctx, `switch: the proxy on ${host.target.host} sends port ${r.port} to every task of ${r.service} (${r.upstream}); config loaded in ${ms} ms`);
        }
      });
    } else skip('switch', 'the swarm replaced the tasks one batch at a time (start-first) during health');
    skip('drain', 'the swarm stops each old task after its replacement is healthy; the proxy re-sends a GET an old task dropped to another task');
    await step('post-checks', async () => {
      await sleep(1000, new AbortController().signal);
      for (const p of planned) {
        const c = replicaCounts(await host.docker.swarm.tasks(p.spec!.name), p.ref!);
        if (c.newRunning < p.spec!.replicas) throw new OperationError(`${p.service.name}: only ${c.newRunning} of ${p.spec!.replicas} task(s) of ${p.version} still run after the update`);
        p.outcome = { service: p.service.name, version: p.version, image: p.ref, previousVersion: p.previous?.version, result: p.created ? 'created' : 'updated' };
      }
    });
    skip('keep', 'the swarm keeps each service\'s previous spec for rollback; images stay in the cluster registry');
    // The release: the services deployed now over the last release's others, for a whole-release rollback.
    const base = (await readReleases(ctx, host, env.env.stateDir)).at(-1)?.services ?? {};
    const deployed = Object.fromEntries(planned.map((p) => [p.service.name, { version: p.version, image: p.ref!, imageId: p.imageId }]));
    await recordRelease(host, env.env.stateDir, { deployId, at: new Date().toISOString(), who, services: { ...base, ...deployed }, backupId: backup?.id, tasksRun, migrationsApplied }).catch((e) => {
      warnings.push(`release history: could not record this release: ${errorMessage(e)}`);
      say(ctx, `release history: could not record this release: ${errorMessage(e)}`, 'warn');
    });
    outcome = 'succeeded';
    message = `${planned.map((p) => `${p.service.name} ${p.version} (${p.spec!.replicas} replica(s))`).join(', ')} serving on swarm ${env.name}.`;
    return await finish();
  } catch (e) {
    if (!(e instanceof StepFailure)) {
      if (e instanceof CancelledError) message = `cancelled before any service changed. ${untouched()}`;
      else message = `${errorMessage(e)}${planned.some((p) => p.spec) ? '' : ` ${untouched()}`}`;
    }
    outcome = e instanceof CancelledError ? 'cancelled' : 'failed';
    return await finish();
  } finally {
    await migrations.close();
    await releaseLock(host, env.env.stateDir, deployId).catch((e) => say(ctx, `lock: could not release: ${errorMessage(e)}`, 'warn'));
  }

  async function finish(): Promise<SwarmDeployResult> {
    for (const p of planned) p.outcome ??= { service: p.service.name, version: p.version, image: p.ref, previousVersion: p.previous?.version, result: 'untouched' };
    await step('audit', () => audit(outcome, message, undefined, { backupId: backup?.id, releaseTasks: tasksRun }));
    say(ctx, `deploy ${outcome}: ${message}`, outcome === 'succeeded' ? 'info' : 'error');
    return { deployId, outcome, services: planned.map((p) => p.outcome!), message, backup, backupReason, migrations: migrationCheck, restoreOffer, warnings, steps, durationMs: Date.now() - started };
  }
}

function servingOf(p: Planned): string {
  const o = p.outcome!;
  if (o.result === 'created' || o.result === 'updated') return p.version;
  if (o.result === 'removed') return 'none';
  return p.previous?.version ?? 'none';
}

/**
 * Tags the shipped image for the cluster's registry on the manager, pushes it there, and returns
 * the reference by digest that every node pulls.
 */
async function toClusterRegistry(ctx: Ctx, host: RemoteHost, registry: string, project: string, p: Planned): Promise<string> {
  const repo = `${registry}/${project}-${p.service.name}`;
  await host.docker.tagImage(p.imageId, repo, p.version);
  await host.docker.pushImage(`${repo}:${p.version}`, undefined, ctx.signal);
  const info = await host.docker.inspectImage(`${repo}:${p.version}`);
  const ref = info?.repoDigests?.find((d) => d.startsWith(`${repo}@`));
  if (!ref) throw new OperationError(`ship: pushed ${repo}:${p.version} but the manager's engine reports no digest for it`);
  say(ctx, `ship: ${p.service.name} ${p.version} in the cluster registry as ${ref}`);
  return ref;
}

/** Task states before "running": a task in one of them on a node that went down never gets further. */
const NOT_YET_RUNNING = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

/**
 * The new tasks the swarm's updater waits for in vain: assigned to a node that went down before they
 * ran. Docker 20.10's updater (swarmkit updateTask) waits for that one task ID to reach "running",
 * with no timeout; the orchestrator replaces the task elsewhere, but under a new ID, so the update
 * stays "updating" and the old task of that slot keeps running. Exported for the unit tests.
 */
export function stuckOnDownNodes(tasks: readonly SwarmTask[], image: string, down: ReadonlySet<string>): SwarmTask[] {
  return tasks.filter((t) => t.image === image && down.has(t.nodeId) && NOT_YET_RUNNING.has(t.state));
}

/** A task error that means its node could not pull the image from the cluster registry. */
export function pullErrorHint(error: string | undefined, ref: string): string {
  if (!error || !/No such image/i.test(error)) return '';
  const registry = ref.slice(0, ref.indexOf('/'));
  return ` (a node could not pull from the cluster registry ${registry}: every node's engine must trust it, "insecure-registries" on a private network or TLS; see README, "Scaling out")`;
}

/** The spec re-submitted to a stuck update: the same, with a service label that counts the re-submits (task specs unchanged). */
export function resubmitSpec(spec: SwarmServiceSpec, n: number): SwarmServiceSpec {
  return { ...spec, labels: { ...spec.labels, 'greenlight.resubmit': String(n) } };
}

/** Waits until every service runs its replicas on the new image, or fails. Says each change of counts. */
async function converge(ctx: Ctx, host: RemoteHost, planned: readonly Planned[], timeoutMs: number): Promise<{ p: Planned; why: string }[]> {
  const until = Date.now() + timeoutMs;
  const last = new Map<string, string>();
  const done = new Set<Planned>();
  const failed: { p: Planned; why: string }[] = [];
  const resubmittedFor = new Set<string>();
  for (;;) {
    // A node that went down keeps reporting its last task states; its tasks are replaced elsewhere
    // and do not count (the update converges on the nodes that remain).
    const nodes = await host.docker.swarm.nodes();
    const down = new Set(nodes.filter((n) => n.state !== 'ready').map((n) => n.id));
    // Only a node the manager marked "down" has its tasks replaced elsewhere (not one "unknown" after a manager restart).
    const markedDown = new Set(nodes.filter((n) => n.state === 'down').map((n) => n.id));
    for (const p of planned) {
      if (done.has(p) || failed.some((f) => f.p === p)) continue;
      const spec = p.spec!;
      const [svc, all] = await Promise.all([host.docker.swarm.inspectService(spec.name), host.docker.swarm.tasks(spec.name)]);
      const tasks = all.filter((t) => !down.has(t.nodeId));
      // An update stuck on a task of a node that went down: re-submitting the spec (a changed service
      // label) makes the swarm start a new updater, which keeps the replacement task already running
      // in that slot and goes on with the others. Its rollback target is then this release's spec, so
      // a later whole-release rollback submits the previous spec itself (rollBackRelease).
      const stuck = svc?.updateState === 'updating' ? stuckOnDownNodes(all, p.ref!, markedDown).filter((t) => !resubmittedFor.has(t.id)) : [];
      if (svc && stuck.length > 0) {
        for (const t of stuck) resubmittedFor.add(t.id);
        p.resubmits = (p.resubmits ?? 0) + 1;
        await host.docker.swarm.updateService(svc.id, svc.version, resubmitSpec(spec, p.resubmits));
        say(ctx, `health: ${p.service.name}: the swarm's update waits for ${stuck.length} new task(s) on a node that went down (${stuck.map((t) => `${t.id.slice(0, 12)} ${t.state}`).join(', ')}); re-submitted the update so it goes on with the nodes that remain`, 'warn');
        continue;
      }
      const c = replicaCounts(tasks, p.ref!);
      const state = svc?.updateState ?? (p.created ? 'creating' : 'updating');
      const line = `${p.service.name}: ${c.newRunning}/${spec.replicas} on ${p.version}${c.oldRunning ? `, ${c.oldRunning} on ${p.previous?.version ?? 'the previous version'}` : ''}${c.starting ? `, ${c.starting} starting` : ''} (${state})`;
      if (last.get(spec.name) !== line) {
        say(ctx, `health: ${line}`);
        ctx.progress({ step: 'health', message: line });
        last.set(spec.name, line);
      }
      if (state.startsWith('rollback') || state === 'paused') {
        const lastErr = tasks.filter((t) => t.image === p.ref && t.error).map((t) => t.error)[0];
        failed.push({ p, why: `the swarm stopped its update (${state})${svc?.updateMessage ? `: ${svc.updateMessage}` : ''}${lastErr ? `; a task failed: ${lastErr}${pullErrorHint(lastErr, p.ref!)}` : ''}` });
      } else if (p.created && c.failedNew > spec.replicas) {
        const lastErr = tasks.filter((t) => t.image === p.ref && t.error).map((t) => t.error)[0];
        failed.push({ p, why: `${c.failedNew} task(s) of the new service failed${lastErr ? ` (${lastErr}${pullErrorHint(lastErr, p.ref!)})` : ''}` });
      } else if (c.newRunning >= spec.replicas && c.oldRunning === 0 && (state === 'completed' || state === 'creating')) {
        done.add(p);
      }
    }
    // One failed service fails the release: the others are rolled back rather than waited for.
    if (failed.length > 0 || done.size === planned.length) return failed;
    if (Date.now() > until) {
      return [...failed, ...planned.filter((p) => !done.has(p) && !failed.some((f) => f.p === p)).map((p) => ({ p, why: `did not converge within ${Math.round(timeoutMs / 1000)} s` }))];
    }
    await sleep(1000, new AbortController().signal);
  }
}

/**
 * Puts the previous release back: every service this deploy updated is rolled back (those the swarm
 * already rolled back by itself are left to finish), every service it created is removed.
 */
async function rollBackRelease(ctx: Ctx, host: RemoteHost, planned: readonly Planned[], timeoutMs: number): Promise<string> {
  const said: string[] = [];
  for (const p of planned) {
    if (!p.spec) continue;
    const svc = await host.docker.swarm.inspectService(p.spec.name);
    if (!svc) continue;
    if (p.created) {
      await host.docker.swarm.removeService(svc.id);
      p.outcome = { service: p.service.name, version: p.version, image: p.ref, result: 'removed', note: 'created by this deploy' };
      said.push(`${p.service.name} removed (it did not exist before)`);
      continue;
    }
    if (p.resubmits && p.before) {
      // After a re-submit the swarm's previous spec is this release's own: the previous one goes back as a new spec.
      await host.docker.swarm.updateService(svc.id, svc.version, p.before);
      say(ctx, `rollback: ${p.spec.name} back to ${p.previous?.version ?? 'its previous version'} (its previous spec submitted again: the update was re-submitted)`);
    } else if (!svc.updateState?.startsWith('rollback')) {
      await host.docker.swarm.rollbackService(svc.id, svc.version);
      say(ctx, `rollback: ${p.spec.name} rolling back to ${p.previous?.version ?? 'its previous spec'}`);
    }
  }
  // Wait for the rolled-back services to run their previous image again.
  const until = Date.now() + timeoutMs;
  for (const p of planned) {
    if (!p.spec || p.created) continue;
    for (;;) {
      const down = new Set((await host.docker.swarm.nodes()).filter((n) => n.state !== 'ready').map((n) => n.id));
      const svc = await host.docker.swarm.inspectService(p.spec.name);
      const tasks = (await host.docker.swarm.tasks(p.spec.name)).filter((t) => !down.has(t.nodeId));
      const image = svc?.image ?? '';
      const c = replicaCounts(tasks, image);
      const finished = svc?.updateState === 'rollback_completed' || svc?.updateState === undefined || (p.resubmits !== undefined && svc?.updateState === 'completed');
      const back = svc !== undefined && image !== p.ref && c.newRunning >= svc.replicas && c.oldRunning === 0 && finished;
      if (back) {
        p.outcome = { service: p.service.name, version: p.version, image: p.ref, previousVersion: p.previous?.version, result: 'rolled-back' };
        said.push(`${p.service.name} back on ${p.previous?.version ?? 'its previous version'}`);
        say(ctx, `rollback: ${p.service.name} runs ${c.newRunning}/${svc.replicas} task(s) of ${p.previous?.version ?? 'its previous version'} again`);
        break;
      }
      if (Date.now() > until) {
        p.outcome = { service: p.service.name, version: p.version, image: p.ref, previousVersion: p.previous?.version, result: 'failed', note: `rollback did not converge (${svc?.updateState ?? 'no service'})` };
        said.push(`${p.service.name}: rollback did not converge (${svc?.updateState ?? 'no service'})`);
        break;
      }
      await sleep(1000, new AbortController().signal);
    }
  }
  return `Rolled back the whole release: ${said.join('; ') || 'nothing had changed'}.`;
}

/** One release as the manager keeps it: every service's version and image (by digest) after a deploy or a rollback. */
export interface SwarmRelease {
  readonly deployId: string;
  readonly at: string;
  readonly who: string;
  readonly services: Readonly<Record<string, { readonly version: string; readonly image: string; readonly imageId: string }>>;
  /** The pre-deploy backup taken for it, and the release tasks it ran (migrations among them). */
  readonly backupId?: string;
  readonly tasksRun: readonly string[];
  /** The built-in runner's migrations it applied, by file name (absent in records older than this field). */
  readonly migrationsApplied?: readonly string[];
  /** Set on a rollback: the release it put back, and the one it left. */
  readonly restored?: string;
  readonly rollbackOf?: string;
}

const releasesFile = (stateDir: string): string => `${stateDir}/releases.jsonl`;

function lastIndexWhere<T>(list: readonly T[], pred: (x: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return i;
  return -1;
}

async function recordRelease(host: RemoteHost, stateDir: string, r: SwarmRelease): Promise<void> {
  await host.run(['mkdir', '-p', '-m', '700', '--', stateDir]);
  await host.run(['sh', '-c', 'umask 077 && cat >> "$1"', 'greenlight-release', releasesFile(stateDir)], { stdin: JSON.stringify(r) + '\n' });
}

/** The recorded releases of a swarm environment, oldest first (a torn last line is skipped). */
export async function readReleases(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, stateDir: string): Promise<SwarmRelease[]> {
  const r = await host.exec(['tail', '-n', '200', '--', releasesFile(stateDir)], { signal: ctx.signal });
  if (r.code !== 0) return [];
  const out: SwarmRelease[] = [];
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as SwarmRelease);
    } catch {
      // skipped: a crash mid-append
    }
  }
  return out;
}

/**
 * The release a rollback returns to: the one before the current one; when the current one is
 * itself a rollback, the one before the release it restored (so rolling back twice goes back twice).
 */
export function previousRelease(releases: readonly SwarmRelease[]): { current: SwarmRelease; target: SwarmRelease } | undefined {
  const current = releases.at(-1);
  if (!current) return undefined;
  let at = releases.length - 1;
  if (current.restored) at = lastIndexWhere(releases.slice(0, -1), (r) => r.deployId === current.restored);
  const target = at > 0 ? releases[at - 1] : undefined;
  return target ? { current, target } : undefined;
}

/** Whether the images of the release a rollback returns to fit the schema the database has now. */
export interface SchemaFit {
  /** yes: no migration ran since, the schema is the one they ran on; no: the database moved on; unknown: a release task not run by Greenlight's runner may have changed it. */
  readonly fits: 'yes' | 'no' | 'unknown';
  /** The migrations applied since, each with whether a down migration exists. */
  readonly migrations: readonly (Reversibility & { readonly deployId: string })[];
  /** Release tasks since whose schema changes Greenlight cannot list (app-managed migrate commands, custom tasks). */
  readonly opaqueTasks: readonly { readonly deployId: string; readonly task: string }[];
  readonly summary: string;
}

/**
 * The schema verdict of a rollback from the releases being left (oldest first): the migrations they
 * applied, looked up with `reversible`, and the release tasks whose changes are not listed.
 */
export function schemaFitOf(left: readonly SwarmRelease[], target: string, reversible: (names: readonly string[]) => Reversibility[]): SchemaFit {
  const migrations: (Reversibility & { deployId: string })[] = [];
  const opaqueTasks: { deployId: string; task: string }[] = [];
  for (const r of left) {
    const names = r.migrationsApplied ?? [];
    for (const x of reversible(names)) migrations.push({ ...x, deployId: r.deployId });
    for (const t of r.tasksRun) {
      // "migrate" is the built-in runner: its files are listed, unless the record predates the list.
      if (t === 'migrate' && r.migrationsApplied !== undefined) continue;
      opaqueTasks.push({ deployId: r.deployId, task: t });
    }
  }
  if (migrations.length === 0 && opaqueTasks.length === 0) {
    return { fits: 'yes', migrations, opaqueTasks, summary: `schema: no migration ran since release ${target}; its images fit the current schema.` };
  }
  const parts: string[] = [];
  if (migrations.length > 0) {
    const irreversible = migrations.filter((m) => m.reversible !== 'yes');
    parts.push(`${migrations.length} migration(s) applied since release ${target}, so its images run on a newer schema: ` +
      migrations.map((m) => `${m.name} (${m.reversible === 'yes' ? `reversible: ${m.down}` : m.reversible === 'no' ? 'not reversible: no down migration' : `reversibility unknown: ${m.down}`})`).join(', ') + '.');
    parts.push(irreversible.length === 0 ? 'Each has a down migration.' : `${irreversible.length} cannot be undone by a down migration; only the pre-deploy backup brings that schema back.`);
  }
  if (opaqueTasks.length > 0) parts.push(`Release tasks whose schema changes Greenlight cannot list ran since: ${opaqueTasks.map((t) => `${t.task} (${t.deployId})`).join(', ')}.`);
  return { fits: opaqueTasks.length > 0 && migrations.length === 0 ? 'unknown' : 'no', migrations, opaqueTasks, summary: `schema: ${parts.join(' ')}` };
}

export interface SwarmRollbackResult {
  readonly outcome: 'succeeded' | 'failed';
  readonly from: SwarmRelease;
  readonly to: SwarmRelease;
  readonly services: readonly SwarmServiceOutcome[];
  /** Release tasks that ran in the releases being left, and the backup taken before the first of them. */
  readonly tasksSince: readonly { readonly deployId: string; readonly tasks: readonly string[] }[];
  readonly backupId?: string;
  /** Whether the previous images fit the current schema, and whether each migration since is reversible. */
  readonly schema: SchemaFit;
  readonly message: string;
  readonly durationMs: number;
}

/**
 * "Roll Back" for a swarm: every service of the current release returns to its version in the
 * previous release together (start-first, gated by health, converged), under the deploy lock. The
 * database does not go back: the release tasks run since are named, with the pre-deploy backup taken
 * before them (never restored here). If the previous release does not converge, the current one is
 * put back.
 */
export async function rollbackSwarmRelease(jobCtx: JobContext, host: RemoteHost, req: { readonly config: GreenlightConfig; readonly environment: ResolvedEnvironment; readonly secrets: DeploySecrets; readonly who?: string }): Promise<SwarmRollbackResult> {
  const started = Date.now();
  const env = req.environment;
  const swarm = env.env.swarm;
  if (!swarm) throw new InputError(`environment "${env.name}" has no swarm section`);
  const ctx: Ctx = { ...jobCtx, secrets: [req.secrets.dbPassword, ...Object.values(req.secrets.env)].filter((x): x is Secret => x !== undefined) };
  const who = req.who ?? defaultWho();
  const now = new Date();
  const deployId = newDeployId(now);
  const releases = await readReleases(ctx, host, env.env.stateDir);
  const pair = previousRelease(releases);
  if (!pair) throw new InputError(`no previous release of ${env.name} is recorded (${releases.length} release(s) in ${releasesFile(env.env.stateDir)})`);
  const { current, target } = pair;
  await acquireLock(ctx, host, env.env.stateDir, { who, machine: os.hostname(), pid: process.pid, since: now.toISOString(), what: `rollback release ${current.deployId} to ${target.deployId}`, deployId, env: env.name });
  try {
    // What the database keeps: release tasks of every release after the target.
    const after = releases.slice(lastIndexWhere(releases, (r) => r.deployId === target.deployId) + 1).filter((r) => !r.restored && r.tasksRun.length > 0);
    const tasksSince = after.map((r) => ({ deployId: r.deployId, tasks: r.tasksRun }));
    const backupId = after.find((r) => r.backupId)?.backupId;
    const db = req.config.database;
    const migrationsDir = db && !db.migrateCommand ? path.resolve(env.root, db.migrations) : undefined;
    const schema = schemaFitOf(after, target.deployId, (names) => (migrationsDir ? reversibilityOf(migrationsDir, names) : names.map((name) => ({ name, reversible: 'unknown' as const, down: 'the project has no built-in migrations directory' }))));
    say(ctx, `rollback: ${schema.summary}`, schema.fits === 'yes' ? 'info' : 'warn');
    if (tasksSince.length > 0) {
      say(ctx, `rollback: release tasks ran since release ${target.deployId}: ${tasksSince.map((t) => `${t.deployId} (${t.tasks.join(', ')})`).join('; ')}. ` +
        `The services go back, the database does not: the previous images run on the current schema${backupId ? `; backup ${backupId} was taken before those tasks and can be restored on request` : ''}.`, 'warn');
    }
    const planned: Planned[] = [];
    for (const s of req.config.services) {
      const to = target.services[s.name];
      const from = current.services[s.name];
      if (!to || !from || to.image === from.image) continue;
      const p: Planned = { service: s, local: to.image, imageId: to.imageId, version: to.version, tag: to.image, sizeBytes: 0, ref: to.image, previous: { id: '', version: from.version } };
      p.spec = swarmServiceSpec({ config: req.config, envName: env.name, env: env.env, service: s, image: to.image, imageId: to.imageId, version: to.version, deployId, who, secrets: req.secrets, now }, swarm, to.image);
      const cur = await host.docker.swarm.inspectService(p.spec.name);
      if (!cur) throw new OperationError(`service ${p.spec.name} does not exist on the swarm any more; deploy the release again instead`);
      p.previous = { id: cur.id, version: from.version };
      planned.push(p);
    }
    say(ctx, `rollback ${deployId}: release ${current.deployId} → ${target.deployId}: ${planned.map((p) => `${p.service.name} ${p.previous?.version} → ${p.version}`).join(', ') || 'no service differs'}`);
    for (const p of planned) {
      const cur = (await host.docker.swarm.inspectService(p.spec!.name))!;
      await host.docker.swarm.updateService(cur.id, cur.version, p.spec!);
    }
    const failures = await converge(ctx, host, planned, swarm.convergeTimeoutSeconds * 1000);
    let outcome: 'succeeded' | 'failed' = 'succeeded';
    let message: string;
    if (failures.length > 0) {
      const back = await rollBackRelease(ctx, host, planned, swarm.convergeTimeoutSeconds * 1000);
      outcome = 'failed';
      message = `release ${target.deployId} did not come back: ${failures.map((f) => `${f.p.service.name} ${f.p.version}: ${f.why}`).join('; ')}. ${back.replace('Rolled back the whole release', 'Put the current release back')}`;
    } else {
      for (const p of planned) p.outcome = { service: p.service.name, version: p.version, image: p.ref, previousVersion: p.previous?.version, result: 'updated' };
      await recordRelease(host, env.env.stateDir, { deployId, at: new Date().toISOString(), who, services: target.services, tasksRun: [], restored: target.deployId, rollbackOf: current.deployId });
      message = `release ${target.deployId} is serving on swarm ${env.name} again (${Object.entries(target.services).map(([n, v]) => `${n} ${v.version}`).join(', ')}); left ${current.deployId}.`;
    }
    for (const p of planned) {
      await appendAudit(host, env.env.stateDir, { at: new Date().toISOString(), action: 'rollback', deployId, who, machine: os.hostname(), env: env.name, service: p.service.name, version: p.version, previousVersion: p.previous?.version, result: outcome, serving: outcome === 'succeeded' ? p.version : p.previous?.version, message, durationMs: Date.now() - started }).catch(() => undefined);
    }
    say(ctx, `rollback ${outcome}: ${message}`, outcome === 'succeeded' ? 'info' : 'error');
    return { outcome, from: current, to: target, services: planned.map((p) => p.outcome ?? { service: p.service.name, version: p.version, result: 'failed' }), tasksSince, backupId, schema, message, durationMs: Date.now() - started };
  } finally {
    await releaseLock(host, env.env.stateDir, deployId).catch(() => undefined);
  }
}
