// The cluster's registry of a swarm environment. By default Greenlight runs it itself: one
// container on the manager's engine (restart always, its data on a named volume it never deletes,
// published on the manager's address), fed by the ship step from the manager and pulled by every node
// by digest. A string `swarm.registry` names a registry someone else runs instead. The nodes must
// trust the address (insecure-registries on a private network, or TLS): a global job that pulls the
// registry's own image on every node finds a node that does not, before any service changes.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { OperationError, errorMessage } from '../common/errors';
import { sleep, type JobContext } from '../common/job';
import type { ManagedRegistryConfig } from '../config/schema';
import type { ContainerSpec, DockerEngine, SwarmNode, SwarmTask } from '../images/docker';
import { LABEL } from './plan';

/** The port the registry listens on inside its container (registry:2's default). */
export const REGISTRY_CONTAINER_PORT = 5000;

export const REGISTRY_LABEL = {
  /** "address:port" it is published on. */
  publish: 'greenlight.registry.publish',
  image: 'greenlight.registry.image',
  volume: 'greenlight.registry.volume',
} as const;

/** The repository the pull check pushes the registry's own image to. */
export const PULL_CHECK_REPO = 'greenlight/pull-check';

type Docker = Pick<DockerEngine, 'where' | 'inspectContainer' | 'createContainer' | 'startContainer' | 'removeContainer' | 'inspectImage' | 'pullImage' | 'exec'>;

const IPV4 = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;

/**
 * The registry container: published on the manager's address only (an IP; with a host name given as
 * the address, on the manager's swarm address), never on every interface, since it has no login.
 */
export function registrySpec(cfg: ManagedRegistryConfig, bindIp: string): ContainerSpec {
  return {
    name: cfg.container,
    image: cfg.image,
    env: {},
    secretEnv: {},
    labels: { [LABEL.role]: 'registry', [REGISTRY_LABEL.publish]: `${bindIp}:${cfg.port}`, [REGISTRY_LABEL.image]: cfg.image, [REGISTRY_LABEL.volume]: cfg.volume },
    networkMode: 'bridge',
    publish: [{ hostIp: bindIp, host: cfg.port, container: REGISTRY_CONTAINER_PORT, protocol: 'tcp' }],
    restart: 'always',
    volumes: [`${cfg.volume}:/var/lib/registry`],
    init: false,
  };
}

/** Where the nodes reach the managed registry, and the address it is published on. */
export function managedRegistryAddress(cfg: ManagedRegistryConfig, managerAddress: string): { address: string; bindIp: string } {
  const host = cfg.address ?? managerAddress;
  if (!host) throw new OperationError('registry: the manager reports no swarm address; set environments.<env>.swarm.registry.address');
  return { address: `${host}:${cfg.port}`, bindIp: IPV4.test(host) ? host : managerAddress };
}

/** The manager's own address in the swarm (what the other nodes reach it by). */
export function managerAddressOf(nodes: readonly SwarmNode[], nodeId: string): string {
  return nodes.find((n) => n.id === nodeId)?.address ?? '';
}

export interface RegistryState {
  /** "address:port" as the nodes pull from it. */
  readonly address: string;
  /** Its container's ID (a new one after a re-create). */
  readonly containerId: string;
  /** Started now (created, or started again after it stopped): the nodes' trust has not been checked against it. */
  readonly started: boolean;
  readonly created: boolean;
}

/** The managed registry as it stands, without changing it: running with this config, or why not. */
export async function registryStatus(docker: Pick<Docker, 'inspectContainer'>, cfg: ManagedRegistryConfig, bindIp: string): Promise<{ state: 'ready' | 'missing' | 'stopped' | 'different' | 'foreign'; id?: string }> {
  const c = await docker.inspectContainer(cfg.container);
  if (!c) return { state: 'missing' };
  if (c.labels[LABEL.role] !== 'registry') return { state: 'foreign', id: c.id };
  const want = registrySpec(cfg, bindIp).labels;
  if (c.labels[REGISTRY_LABEL.publish] !== want[REGISTRY_LABEL.publish] || c.labels[REGISTRY_LABEL.image] !== want[REGISTRY_LABEL.image] || c.labels[REGISTRY_LABEL.volume] !== want[REGISTRY_LABEL.volume]) return { state: 'different', id: c.id };
  return { state: c.stateDetail.running ? 'ready' : 'stopped', id: c.id };
}

/**
 * Ensures the registry runs on the manager's engine: reused when it runs with this config and
 * answers; started again when stopped; re-created (the volume kept) when its port, address, image
 * or volume changed; created when missing. A container of that name Greenlight did not start, or a
 * port something else holds, is a clear error.
 */
export async function ensureRegistry(ctx: Pick<JobContext, 'log' | 'signal'>, docker: Docker, cfg: ManagedRegistryConfig, managerAddress: string): Promise<RegistryState> {
  const { address, bindIp } = managedRegistryAddress(cfg, managerAddress);
  const where = docker.where;
  const { state: status, id: existing } = await registryStatus(docker, cfg, bindIp);
  if (status === 'foreign') {
    throw new OperationError(`registry: a container named ${cfg.container} that Greenlight did not start exists on the manager (${where}); rename or remove it, or set environments.<env>.swarm.registry.container to another name`);
  }
  if (status === 'ready') {
    await waitAnswers(docker, cfg);
    return { address, containerId: existing!, started: false, created: false };
  }
  const c = await docker.inspectContainer(cfg.container);
  if (status === 'stopped' && c) {
    ctx.log(`registry: starting ${cfg.container} again on ${where} (${address})`);
    await startOrExplain(docker, c.id, cfg, bindIp, false);
    await waitAnswers(docker, cfg);
    return { address, containerId: c.id, started: true, created: false };
  }
  if (status === 'different' && c) {
    // Its images live on the named volume, which the new container mounts again.
    ctx.log(`registry: re-creating ${cfg.container} on ${where} for ${address} (${cfg.image}, volume ${cfg.volume} kept)`, 'warn');
    await docker.removeContainer(c.id);
  }
  if (!(await docker.inspectImage(cfg.image))) {
    ctx.log(`registry: pulling ${cfg.image} on ${where}`);
    await docker.pullImage(cfg.image, undefined, ctx.signal).catch((e: unknown) => {
      throw new OperationError(`registry: the image ${cfg.image} is not on the manager (${where}) and could not be pulled (${errorMessage(e)}); set environments.<env>.swarm.registry.image to one the manager has`);
    });
  }
  const id = await docker.createContainer(registrySpec(cfg, bindIp));
  await startOrExplain(docker, id, cfg, bindIp, true);
  await waitAnswers(docker, cfg);
  ctx.log(`registry: ${cfg.container} (${cfg.image}) runs on ${where}, published on ${bindIp}:${cfg.port}, images on volume ${cfg.volume}`);
  return { address, containerId: id, started: true, created: true };
}

async function startOrExplain(docker: Docker, id: string, cfg: ManagedRegistryConfig, bindIp: string, remove: boolean): Promise<void> {
  try {
    await docker.startContainer(id);
  } catch (e) {
    const msg = errorMessage(e);
    // A created container that cannot start is taken away again; the volume stays.
    if (remove) await docker.removeContainer(id).catch(() => undefined);
    if (/port is already allocated|address already in use|bind/i.test(msg)) {
      throw new OperationError(`registry: port ${bindIp}:${cfg.port} on the manager (${docker.where}) is taken by something else, so ${cfg.container} cannot publish it (${msg}); stop what holds it, or set environments.<env>.swarm.registry.port to a free port (every node must trust the new address)`);
    }
    throw new OperationError(`registry: ${cfg.container} could not start on ${docker.where}: ${msg}`);
  }
}

/** The registry API answers inside the container (busybox wget, as in registry:2's Alpine base). */
async function waitAnswers(docker: Docker, cfg: ManagedRegistryConfig): Promise<void> {
  const until = Date.now() + 20_000;
  let last = '';
  for (;;) {
    const err: Buffer[] = [];
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const errSink = new Writable({ write: (c: Buffer, _e, cb) => (err.push(Buffer.from(c)), cb()) });
    try {
      const code = await docker.exec(cfg.container, ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${REGISTRY_CONTAINER_PORT}/v2/`], { stdout: sink, stderr: errSink });
      if (code === 0) return;
      last = Buffer.concat(err).toString().trim() || `exit ${code}`;
    } catch (e) {
      last = errorMessage(e);
    }
    if (Date.now() > until) throw new OperationError(`registry: ${cfg.container} on ${docker.where} does not answer on /v2/ within 20 s (${last}); docker logs ${cfg.container} says why`);
    await sleep(250);
  }
}

type SwarmDocker = Pick<DockerEngine, 'tagImage' | 'pushImage' | 'inspectImage' | 'swarm'>;

/** What the pull check found on each node that could not pull. */
export interface PullFailure {
  readonly node: string;
  readonly error: string;
}

/**
 * Whether every ready node can pull from the registry: the registry's own image (on the manager)
 * is pushed to it, and a global job of that image by digest (`--version`, which registry:2 and the
 * test bed's image both answer) runs once on every node. A node that does not trust the address
 * rejects its task ("No such image"). The job is removed again. Resolves to the nodes that failed.
 */
export async function checkNodesPull(ctx: Pick<JobContext, 'log' | 'signal'>, docker: SwarmDocker, address: string, image: string, timeoutMs = 60_000): Promise<PullFailure[]> {
  const repo = `${address}/${PULL_CHECK_REPO}`;
  await docker.tagImage(image, repo, 'latest');
  await docker.pushImage(`${repo}:latest`, undefined, ctx.signal);
  const ref = (await docker.inspectImage(`${repo}:latest`))?.repoDigests?.find((d) => d.startsWith(`${repo}@`));
  if (!ref) throw new OperationError(`registry: pushed ${repo}:latest but the manager's engine reports no digest for it`);
  const name = `greenlight-pull-check-${randomBytes(4).toString('hex')}`;
  const nodes = await docker.swarm.nodes();
  await docker.swarm.createService({
    name,
    image: ref,
    job: true,
    cmd: ['--version'],
    labels: { [LABEL.role]: 'pull-check' },
    containerLabels: { [LABEL.role]: 'pull-check' },
    env: {},
    secretEnv: {},
    replicas: 0,
    constraints: [],
    resources: {},
    networks: [],
    ports: [],
    volumes: [],
    update: { parallelism: 1, delayMs: 0, monitorMs: 0, maxFailureRatio: 0, order: 'stop-first', failureAction: 'pause' },
    init: false,
  });
  try {
    const ready = nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
    const until = Date.now() + timeoutMs;
    let tasks: SwarmTask[] = [];
    for (;;) {
      tasks = await docker.swarm.tasks(name);
      const finished = ready.filter((n) => tasks.some((t) => t.nodeId === n.id && ['complete', 'failed', 'rejected'].includes(t.state)));
      if (finished.length === ready.length) break;
      if (Date.now() > until) {
        const pending = ready.filter((n) => !finished.includes(n));
        return pending.map((n) => ({ node: n.address || n.id, error: `its pull check did not finish within ${Math.round(timeoutMs / 1000)} s (${tasks.find((t) => t.nodeId === n.id)?.state ?? 'no task'})` }));
      }
      await sleep(300);
    }
    const failures: PullFailure[] = [];
    for (const n of ready) {
      const mine = tasks.filter((t) => t.nodeId === n.id);
      if (mine.some((t) => t.state === 'complete')) continue;
      failures.push({ node: n.address || n.id, error: mine.map((t) => t.error).find(Boolean) ?? mine[0]?.state ?? 'no task' });
    }
    if (failures.length === 0) ctx.log(`registry: every node (${ready.length}) pulled from ${address}`);
    return failures;
  } finally {
    const svc = await docker.swarm.inspectService(name).catch(() => undefined);
    if (svc) await docker.swarm.removeService(svc.id).catch(() => undefined);
  }
}

/**
 * What a passed pull check held for: the registry's address and container, and the ready nodes.
 * The check runs again when any of them changed (a node joined, the registry was re-created).
 */
export function pullCheckKey(address: string, containerId: string, nodes: readonly SwarmNode[]): string {
  const ready = nodes.filter((n) => n.state === 'ready' && n.availability === 'active').map((n) => n.id).sort();
  return JSON.stringify({ address, containerId, nodes: ready });
}

/** The error for nodes that cannot pull: what failed and what to change. */
export function pullFailureMessage(address: string, failures: readonly PullFailure[]): string {
  return `node(s) cannot pull from the cluster registry ${address}: ${failures.map((f) => `${f.node}: ${f.error}`).join('; ')}. ` +
    `Every node's engine must trust ${address}: on a private network add it to "insecure-registries" in /etc/docker/daemon.json on each node and restart dockerd, or serve the registry over TLS (README, "Scaling out").`;
}
