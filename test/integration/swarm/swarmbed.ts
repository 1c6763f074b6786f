// The swarm test bed's addresses for integration tests, read from the env file that
// test/testbed/swarm-up.sh writes, plus small helpers shared by the swarm suites: engines of the
// three nodes (root reaches their sockets directly; Greenlight itself goes through the manager's
// SSH), Greenlight's managed cluster registry (its test-bed image, and started the way a deploy
// starts it), an image put on that registry, and waiting on services.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import type { ManagedRegistryConfig } from '../../../src/core/config/schema';
import { ensureRegistry } from '../../../src/core/deploy/swarmRegistry';
import { connectDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import { parseExports } from '../testbed';

export const SWARM_ENV_FILE = process.env.GREENLIGHT_SWARM_ENV ?? '/tmp/greenlight-testbed/swarm.env';

export interface Swarmbed {
  readonly managerIp: string;
  readonly workerIps: readonly string[];
  readonly managerSock: string;
  readonly workerSocks: readonly string[];
  readonly sshHost: string;
  readonly sshPort: number;
  readonly sshUser: string;
  readonly sshKeyFile: string;
  readonly knownHostsFile: string;
  /** The manager's pinned host key, "ssh-ed25519 AAAA…". */
  readonly hostKey: string;
  /** The cluster registry's address, which every node trusts (plain HTTP, insecure-registries on each node): Greenlight's managed registry publishes there. */
  readonly registry: string;
  /** The overlay networks' address pool. */
  readonly addrPool: string;
  /** PostgreSQL on the manager, as seen from this machine and from the nodes. */
  readonly databaseUrl: string;
  readonly backupsDir: string;
  /** The swarm test bed's state directory (/tmp/greenlight-swarm): each node's dockerd pidfile is <root>/<m|w1|w2>/dockerd.pid. */
  readonly root: string;
}

let cached: Swarmbed | undefined;

export function swarmbed(): Swarmbed {
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(SWARM_ENV_FILE, 'utf8');
  } catch {
    throw new Error(`swarm test bed not up: run bash test/testbed/swarm-up.sh (${SWARM_ENV_FILE} is missing)`);
  }
  const env = parseExports(text);
  const need = (name: string): string => {
    const v = env.get(name);
    if (!v) throw new Error(`${SWARM_ENV_FILE}: ${name} is missing; re-run bash test/testbed/swarm-up.sh`);
    return v;
  };
  cached = Object.freeze({
    managerIp: need('SWARM_MANAGER_IP'),
    workerIps: need('SWARM_WORKER_IPS').split(/\s+/),
    managerSock: need('SWARM_MANAGER_SOCK'),
    workerSocks: [need('SWARM_WORKER1_SOCK'), need('SWARM_WORKER2_SOCK')],
    sshHost: need('SWARM_SSH_HOST'),
    sshPort: Number(need('SWARM_SSH_PORT')),
    sshUser: need('SWARM_SSH_USER'),
    sshKeyFile: need('SWARM_SSH_KEY'),
    knownHostsFile: need('SWARM_SSH_KNOWN_HOSTS'),
    hostKey: need('SWARM_SSH_HOST_KEY'),
    registry: need('SWARM_REGISTRY'),
    addrPool: need('SWARM_ADDR_POOL'),
    databaseUrl: need('SWARM_DATABASE_URL'),
    backupsDir: need('SWARM_BACKUPS_DIR'),
    root: need('SWARM_ROOT'),
  });
  return cached;
}

/** dockerode on the manager's socket (root on this machine). */
export function managerDocker(sb: Swarmbed = swarmbed()): Docker {
  return new Docker({ socketPath: sb.managerSock });
}

async function drain(docker: Docker, stream: NodeJS.ReadableStream): Promise<Array<{ error?: string; aux?: { Digest?: string } }>> {
  return await new Promise((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) => (err ? reject(err) : resolve(res))));
}

/** Builds the managed registry's test-bed image (Debian's docker-registry FROM scratch, test/testbed/registryImage.sh) on the manager's engine, cached when unchanged; returns its tag. */
export function registryImageOnManager(sb: Swarmbed = swarmbed()): string {
  const out = execFileSync('bash', [path.resolve(__dirname, '../../testbed/registryImage.sh'), '-H', `unix://${sb.managerSock}`], { encoding: 'utf8' });
  return out.trim().split(/\s+/)[0]!;
}

/** `swarm.registry` for the test bed: Greenlight's managed registry on the trusted address's port, with the test-bed image. */
export function managedRegistryConfig(sb: Swarmbed = swarmbed()): ManagedRegistryConfig {
  const port = Number(sb.registry.slice(sb.registry.lastIndexOf(':') + 1));
  return { managed: true, port, image: registryImageOnManager(sb), volume: 'greenlight-registry', container: 'greenlight-registry' };
}

/** Starts (or reuses) the managed registry the way a deploy's ship step does, for suites that push before any deploy. */
export async function managedRegistryUp(sb: Swarmbed = swarmbed()): Promise<string> {
  const engine = connectDocker(`unix://${sb.managerSock}`);
  try {
    const r = await ensureRegistry({ log: () => undefined, signal: new AbortController().signal }, engine, managedRegistryConfig(sb), sb.managerIp);
    return r.address;
  } finally {
    engine.close();
  }
}

/**
 * Puts a local image on the cluster's registry the way the swarm target does: onto the manager's
 * engine (here `docker save | docker load`), then pushed from there to Greenlight's managed registry
 * (started first if it does not run). Returns "registry/repo@sha256:…", the reference every node pulls.
 */
export async function imageOnCluster(local: Docker, ref: string, repo: string, tag: string, sb: Swarmbed = swarmbed()): Promise<string> {
  await managedRegistryUp(sb);
  const mgr = managerDocker(sb);
  const tar = await local.getImage(ref).get();
  await drain(mgr, await mgr.loadImage(tar as unknown as NodeJS.ReadableStream));
  const target = `${sb.registry}/${repo}`;
  await mgr.getImage(ref).tag({ repo: target, tag });
  const out = await drain(mgr, (await mgr.getImage(`${target}:${tag}`).push({ authconfig: {} } as object)) as unknown as NodeJS.ReadableStream);
  const failed = out.find((o) => o.error);
  if (failed) throw new Error(`push ${target}:${tag} failed: ${failed.error}`);
  const digest = out.map((o) => o.aux?.Digest).find((d): d is string => !!d);
  if (!digest) throw new Error(`push ${target}:${tag}: the registry reported no digest`);
  return `${target}@${digest}`;
}

/** Polls `check` every 250 ms until it returns a value (not undefined), for at most `ms`. */
export async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Builds the proxy image (Debian's caddy FROM scratch, test/testbed/proxyImage.sh) on the manager's engine, cached when unchanged; returns its tag. */
export function proxyImageOnManager(sb: Swarmbed = swarmbed()): string {
  const out = execFileSync('bash', [path.resolve(__dirname, '../../testbed/proxyImage.sh'), '-H', `unix://${sb.managerSock}`], { encoding: 'utf8' });
  return out.trim().split(/\s+/)[0]!;
}
