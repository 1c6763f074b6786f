// The rows the Environments view shows for a swarm environment, as plain data (no vscode import, so
// unit tests build the tree): the nodes with state, availability and role; each service with its
// running/desired replicas, one child per version while a rolling update moves; the release history
// the swarm deploy records on the manager.
import type { EnvironmentStatusDto } from '../../service/protocol';

type SwarmDto = NonNullable<EnvironmentStatusDto['swarm']>;
type SwarmNodeStatus = SwarmDto['nodes'][number];
type SwarmServiceStatus = SwarmDto['services'][number];
type SwarmReleaseDto = SwarmDto['releases'][number];

/** "2/3 on v2, 1 on v1 (updating)": the service's replicas in a line. */
export function replicaSummary(s: SwarmServiceStatus): string {
  if (!s.deployed) return 'not deployed';
  const cur = s.versions[0];
  const others = s.versions.slice(1).filter((v) => v.running > 0 || v.desired > 0);
  return `${cur ? `${cur.running}/${s.replicas} on ${cur.version}` : `0/${s.replicas}`}${others.map((v) => `, ${v.running} on ${v.version}`).join('')}${s.updateState && s.updateState !== 'completed' ? ` (${s.updateState})` : ''}`;
}

function releaseTooltip(r: SwarmReleaseDto): string {
  const lines = [`release ${r.deployId}`, `at ${r.at} by ${r.who}`, ...Object.entries(r.services).map(([n, v]) => `${n} ${v.version} (${v.image})`)];
  if (r.restored) lines.push(`rollback to ${r.restored}, leaving ${r.rollbackOf ?? '?'}`);
  if (r.tasksRun.length) lines.push(`release tasks: ${r.tasksRun.join(', ')}`);
  if (r.migrationsApplied?.length) lines.push(`migrations applied: ${r.migrationsApplied.join(', ')}`);
  if (r.backupId) lines.push(`pre-deploy backup ${r.backupId}`);
  return lines.join('\n');
}

export interface SwarmRow {
  readonly id: string;
  readonly label: string;
  readonly description?: string;
  /** A codicon name, and the theme color it is painted with. */
  readonly icon: string;
  readonly color?: 'passed' | 'failed' | 'warning';
  readonly tooltip?: string;
  readonly contextValue?: string;
  readonly children?: readonly SwarmRow[];
}

function nodeRow(env: string, n: SwarmNodeStatus): SwarmRow {
  const ok = n.state === 'ready' && n.availability === 'active';
  const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  return {
    id: `env:${env}:swarm:node:${n.id}`,
    label: n.hostname,
    description: [n.state, n.availability, n.leader ? 'manager (leader)' : n.role, n.address || undefined].filter(Boolean).join(' · '),
    icon: n.role === 'manager' ? 'server-process' : 'server',
    color: n.state !== 'ready' ? 'failed' : ok ? 'passed' : 'warning',
    tooltip: `${n.hostname} (${n.role}${n.leader ? ', leader' : ''})\nstate ${n.state}, availability ${n.availability}${n.address ? `\naddress ${n.address}` : ''}${labels ? `\nlabels ${labels}` : ''}\nnode ID ${n.id}`,
  };
}

function serviceRow(env: string, s: SwarmServiceStatus): SwarmRow {
  const cur = s.versions[0];
  const converged = s.deployed && !!cur && cur.running >= s.replicas && s.running === cur.running;
  const updating = s.deployed && !!s.updateState && s.updateState !== 'completed' && s.updateState !== 'rollback_completed';
  return {
    id: `env:${env}:swarm:service:${s.name}`,
    label: s.service,
    description: replicaSummary(s),
    icon: !s.deployed ? 'circle-large-outline' : converged ? 'pass-filled' : updating ? 'sync' : 'error',
    color: !s.deployed ? undefined : converged ? 'passed' : updating ? 'warning' : 'failed',
    tooltip: `${s.name} on ${env}\n${s.deployed ? `${s.running} of ${s.replicas} replica(s) running${s.updateState ? `\nupdate: ${s.updateState}${s.updateMessage ? ` (${s.updateMessage})` : ''}` : ''}${s.lastError ? `\nlast task error: ${s.lastError}` : ''}` : 'not deployed'}`,
    contextValue: s.deployed ? 'greenlight.swarmService' : undefined,
    children: s.versions.map((v, i) => ({
      id: `env:${env}:swarm:service:${s.name}:${v.image}`,
      label: v.version,
      description: `${v.running} running / ${v.desired} desired${i === 0 ? ' · current spec' : ''}`,
      icon: 'versions',
      color: i === 0 ? (v.running >= s.replicas ? 'passed' : 'warning') : v.running > 0 ? 'warning' : undefined,
      tooltip: v.image,
    })),
  };
}

/** The swarm part of an environment's rows; empty when the environment is not a swarm. */
export function swarmRows(env: string, st: EnvironmentStatusDto): SwarmRow[] {
  const sw = st.swarm;
  if (!sw) return [];
  const ready = sw.nodes.filter((n) => n.state === 'ready' && n.availability === 'active').length;
  return [
    {
      id: `env:${env}:swarm:nodes`,
      label: 'Nodes',
      description: `${ready} of ${sw.nodes.length} ready and active`,
      icon: 'organization',
      color: ready === sw.nodes.length ? undefined : 'warning',
      children: sw.nodes.map((n) => nodeRow(env, n)),
    },
    ...sw.services.map((s) => serviceRow(env, s)),
    {
      id: `env:${env}:swarm:releases`,
      label: 'Releases',
      description: sw.releases.length ? `${sw.releases.length} recorded, newest first` : 'none recorded yet',
      icon: 'history',
      children: sw.releases.map((r, i) => ({
        id: `env:${env}:swarm:release:${r.deployId}`,
        label: r.restored ? `rollback to ${r.restored}` : Object.entries(r.services).map(([n, v]) => `${n} ${v.version}`).join(', '),
        description: `${r.at} · ${r.who}${i === 0 ? ' · current' : ''}`,
        icon: r.restored ? 'discard' : 'tag',
        color: i === 0 ? 'passed' : undefined,
        tooltip: releaseTooltip(r),
      })),
    },
  ];
}
