// What a swarm environment runs, read from its manager through the Docker contract: the nodes
// (state, availability, role), each service of the project with its running and desired replicas
// per version (two versions side by side while a rolling update moves), and the release history the
// swarm deploy records on the manager. The Environments view and `greenlight status` show it.
import type { JobContext } from '../common/job';
import type { GreenlightConfig } from '../config/schema';
import type { SwarmNode, SwarmService, SwarmTask } from '../images/docker';
import type { RemoteHost } from '../ship/remoteHost';
import type { ResolvedEnvironment } from './environment';
import { LABEL, namesFor } from './plan';
import { readReleases, type SwarmRelease } from './swarm';

export interface SwarmNodeStatus {
  readonly id: string;
  readonly hostname: string;
  readonly role: 'manager' | 'worker';
  readonly leader: boolean;
  readonly state: string;
  readonly availability: string;
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface SwarmVersionReplicas {
  readonly version: string;
  readonly image: string;
  /** Tasks of this version running now (an old one still stopping counts until it stops). */
  readonly running: number;
  /** Tasks of this version the orchestrator wants running. */
  readonly desired: number;
}

export interface SwarmServiceStatus {
  readonly service: string;
  /** The swarm service's name (`<project>-<service>`). */
  readonly name: string;
  readonly deployed: boolean;
  /** The version of its current spec. */
  readonly version?: string;
  readonly replicas: number;
  readonly running: number;
  /** Newest version first: the one being rolled to, then the one being left. */
  readonly versions: readonly SwarmVersionReplicas[];
  readonly updateState?: string;
  readonly updateMessage?: string;
  /** The last failed task's error on a node that is up, if any. */
  readonly lastError?: string;
}

export interface SwarmStatus {
  readonly nodes: readonly SwarmNodeStatus[];
  readonly services: readonly SwarmServiceStatus[];
  /** Newest first. */
  readonly releases: readonly SwarmRelease[];
}

/** The version an image of a service runs: its spec's label, the previous spec's, or a recorded release's; else the digest's head. */
export function versionOfImage(image: string, svc: Pick<SwarmService, 'image' | 'labels' | 'previousImage' | 'previousLabels'>, releases: readonly SwarmRelease[], service: string): string {
  if (image === svc.image && svc.labels[LABEL.version]) return svc.labels[LABEL.version]!;
  if (image === svc.previousImage && svc.previousLabels?.[LABEL.version]) return svc.previousLabels[LABEL.version]!;
  for (let i = releases.length - 1; i >= 0; i--) {
    const r = releases[i]!.services[service];
    if (r?.image === image) return r.version;
  }
  const at = image.indexOf('@sha256:');
  return at >= 0 ? image.slice(at + 1, at + 1 + 19) : image;
}

/**
 * Running and desired replicas per version from a service's tasks. Tasks on nodes that are down
 * are left out: the manager keeps their last state, but the orchestrator replaces them elsewhere.
 */
export function replicasByVersion(svc: SwarmService, tasks: readonly SwarmTask[], downNodes: ReadonlySet<string>, releases: readonly SwarmRelease[], service: string): SwarmVersionReplicas[] {
  const by = new Map<string, { running: number; desired: number }>();
  for (const t of tasks) {
    if (downNodes.has(t.nodeId)) continue;
    const running = t.state === 'running';
    const desired = t.desiredState === 'running';
    if (!running && !desired) continue;
    const x = by.get(t.image) ?? { running: 0, desired: 0 };
    if (running) x.running++;
    if (desired) x.desired++;
    by.set(t.image, x);
  }
  // The current spec's image always has a row, even before its first task is scheduled.
  if (!by.has(svc.image)) by.set(svc.image, { running: 0, desired: 0 });
  return [...by.entries()]
    .map(([image, c]) => ({ version: versionOfImage(image, svc, releases, service), image, ...c }))
    .sort((a, b) => (a.image === svc.image ? -1 : b.image === svc.image ? 1 : b.desired - a.desired));
}

export function nodeStatusOf(n: SwarmNode): SwarmNodeStatus {
  return { id: n.id, hostname: n.hostname, role: n.role, leader: n.leader, state: n.state, availability: n.availability, address: n.address, labels: n.labels };
}

export async function swarmStatus(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, config: GreenlightConfig, env: ResolvedEnvironment): Promise<SwarmStatus> {
  const nodes = (await host.docker.swarm.nodes()).map(nodeStatusOf).sort((a, b) => (a.role === b.role ? a.hostname.localeCompare(b.hostname) : a.role === 'manager' ? -1 : 1));
  const down = new Set(nodes.filter((n) => n.state !== 'ready').map((n) => n.id));
  const releases = await readReleases(ctx, host, env.env.stateDir);
  const services: SwarmServiceStatus[] = [];
  for (const s of config.services) {
    const name = namesFor(config.project, s.name).current;
    const read = await consistentRead(host, name);
    if (!read) {
      services.push({ service: s.name, name, deployed: false, replicas: 0, running: 0, versions: [] });
      continue;
    }
    const { svc, tasks } = read;
    const versions = replicasByVersion(svc, tasks, down, releases, s.name);
    const lastError = tasks
      .filter((t) => !down.has(t.nodeId) && t.error && (t.state === 'failed' || t.state === 'rejected'))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]?.error;
    services.push({
      service: s.name, name, deployed: true, version: svc.labels[LABEL.version], replicas: svc.replicas,
      running: versions.reduce((n, v) => n + v.running, 0), versions, updateState: svc.updateState, updateMessage: svc.updateMessage, lastError,
    });
  }
  return { nodes, services, releases: [...releases].reverse().slice(0, 20) };
}

/**
 * A service and its tasks as one reading. The two are separate API calls, and a deploy that updates
 * the service between them leaves tasks of an image the spec read before does not name (shown as a
 * bare digest); reading the service again and retrying while its image moved closes that gap.
 */
async function consistentRead(host: RemoteHost, name: string): Promise<{ svc: SwarmService; tasks: readonly SwarmTask[] } | undefined> {
  let svc = await host.docker.swarm.inspectService(name);
  if (!svc) return undefined;
  for (let attempt = 1; ; attempt++) {
    const tasks = await host.docker.swarm.tasks(name);
    const again = await host.docker.swarm.inspectService(name);
    if (!again || (again.image === svc.image && again.previousImage === svc.previousImage) || attempt === 3) return { svc: again ?? svc, tasks };
    svc = again;
  }
}

/** "2/3 on v2, 1 on v1 (updating)": one service's replicas in a line. */
export function replicaLine(s: SwarmServiceStatus): string {
  if (!s.deployed) return 'not deployed';
  const cur = s.versions[0];
  const others = s.versions.slice(1).filter((v) => v.running > 0 || v.desired > 0);
  return `${cur ? `${cur.running}/${s.replicas} on ${cur.version}` : `0/${s.replicas}`}${others.map((v) => `, ${v.running} on ${v.version}`).join('')}${s.updateState && s.updateState !== 'completed' ? ` (${s.updateState})` : ''}`;
}

/** "20261202-… 2026-12-02T10:00Z by ann: web v2, api v1 (migrate; backup b1)", or "… rollback to <id>". */
export function releaseLine(r: SwarmRelease): string {
  const services = Object.entries(r.services).map(([n, v]) => `${n} ${v.version}`).join(', ');
  const extra = [r.tasksRun.length ? r.tasksRun.join(', ') : undefined, r.migrationsApplied?.length ? `${r.migrationsApplied.length} migration(s)` : undefined, r.backupId ? `backup ${r.backupId}` : undefined].filter(Boolean).join('; ');
  return `${r.deployId} ${r.at} by ${r.who}: ${r.restored ? `rollback to ${r.restored}: ` : ''}${services}${extra ? ` (${extra})` : ''}`;
}
