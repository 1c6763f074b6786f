// The rows the Environments view shows for a swarm environment, as plain data (no vscode import, so
// unit tests build the tree): the nodes with state, availability and role; each service with its
// running/desired replicas, one child per version while a rolling update moves; the release history
// the swarm deploy records on the manager.
import type { EnvironmentStatusDto } from '../../service/protocol';

type SwarmDto = NonNullable<EnvironmentStatusDto['swarm']>;
type SwarmNodeStatus = SwarmDto['nodes'][number];
type SwarmServiceStatus = SwarmDto['services'][number];
type SwarmReleaseDto = SwarmDto['releases'][number];

/** Translates a message with `{0}`-style arguments: the view passes vscode.l10n.t; tests and the CLI the English text. */
export type Translate = (message: string, ...args: (string | number)[]) => string;
const english: Translate = (message, ...args) => message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));

/** "2/3 on v2, 1 on v1 (updating)": the service's replicas in a line. */
export function replicaSummary(s: SwarmServiceStatus, t: Translate = english): string {
  if (!s.deployed) return t('not deployed');
  const cur = s.versions[0];
  const others = s.versions.slice(1).filter((v) => v.running > 0 || v.desired > 0);
  return `${cur ? t('{0}/{1} on {2}', cur.running, s.replicas, cur.version) : `0/${s.replicas}`}${others.map((v) => `, ${t('{0} on {1}', v.running, v.version)}`).join('')}${s.updateState && s.updateState !== 'completed' ? ` (${s.updateState})` : ''}`;
}

function releaseTooltip(r: SwarmReleaseDto, t: Translate): string {
  const lines = [t('release {0}', r.deployId), t('at {0} by {1}', r.at, r.who), ...Object.entries(r.services).map(([n, v]) => `${n} ${v.version} (${v.image})`)];
  if (r.restored) lines.push(t('rollback to {0}, leaving {1}', r.restored, r.rollbackOf ?? '?'));
  if (r.tasksRun.length) lines.push(t('release tasks: {0}', r.tasksRun.join(', ')));
  if (r.migrationsApplied?.length) lines.push(t('migrations applied: {0}', r.migrationsApplied.join(', ')));
  if (r.backupId) lines.push(t('pre-deploy backup {0}', r.backupId));
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

function nodeRow(env: string, n: SwarmNodeStatus, t: Translate): SwarmRow {
  const ok = n.state === 'ready' && n.availability === 'active';
  const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(', ');
  return {
    id: `env:${env}:swarm:node:${n.id}`,
    label: n.hostname,
    description: [n.state, n.availability, n.leader ? t('manager (leader)') : n.role, n.address || undefined].filter(Boolean).join(' · '),
    icon: n.role === 'manager' ? 'server-process' : 'server',
    color: n.state !== 'ready' ? 'failed' : ok ? 'passed' : 'warning',
    tooltip: `${n.hostname} (${n.role}${n.leader ? `, ${t('leader')}` : ''})\n${t('state {0}, availability {1}', n.state, n.availability)}${n.address ? `\n${t('address {0}', n.address)}` : ''}${labels ? `\n${t('labels {0}', labels)}` : ''}\n${t('node ID {0}', n.id)}`,
  };
}

function serviceRow(env: string, s: SwarmServiceStatus, t: Translate): SwarmRow {
  const cur = s.versions[0];
  const converged = s.deployed && !!cur && cur.running >= s.replicas && s.running === cur.running;
  const updating = s.deployed && !!s.updateState && s.updateState !== 'completed' && s.updateState !== 'rollback_completed';
  return {
    id: `env:${env}:swarm:service:${s.name}`,
    label: s.service,
    description: replicaSummary(s, t),
    icon: !s.deployed ? 'circle-large-outline' : converged ? 'pass-filled' : updating ? 'sync' : 'error',
    color: !s.deployed ? undefined : converged ? 'passed' : updating ? 'warning' : 'failed',
    tooltip: `${t('{0} on {1}', s.name, env)}\n${s.deployed ? `${t('{0} of {1} replica(s) running', s.running, s.replicas)}${s.updateState ? `\n${t('update: {0}', s.updateState)}${s.updateMessage ? ` (${s.updateMessage})` : ''}` : ''}${s.lastError ? `\n${t('last task error: {0}', s.lastError)}` : ''}` : t('not deployed')}`,
    contextValue: s.deployed ? 'greenlight.swarmService' : undefined,
    children: s.versions.map((v, i) => ({
      id: `env:${env}:swarm:service:${s.name}:${v.image}`,
      label: v.version,
      description: t('{0} running / {1} desired', v.running, v.desired) + (i === 0 ? ` · ${t('current spec')}` : ''),
      icon: 'versions',
      color: i === 0 ? (v.running >= s.replicas ? 'passed' : 'warning') : v.running > 0 ? 'warning' : undefined,
      tooltip: v.image,
    })),
  };
}

/** The swarm part of an environment's rows; empty when the environment is not a swarm. */
export function swarmRows(env: string, st: EnvironmentStatusDto, t: Translate = english): SwarmRow[] {
  const sw = st.swarm;
  if (!sw) return [];
  const ready = sw.nodes.filter((n) => n.state === 'ready' && n.availability === 'active').length;
  return [
    {
      id: `env:${env}:swarm:nodes`,
      label: t('Nodes'),
      description: t('{0} of {1} ready and active', ready, sw.nodes.length),
      icon: 'organization',
      color: ready === sw.nodes.length ? undefined : 'warning',
      children: sw.nodes.map((n) => nodeRow(env, n, t)),
    },
    ...sw.services.map((s) => serviceRow(env, s, t)),
    {
      id: `env:${env}:swarm:releases`,
      label: t('Releases'),
      description: sw.releases.length ? t('{0} recorded, newest first', sw.releases.length) : t('none recorded yet'),
      icon: 'history',
      children: sw.releases.map((r, i) => ({
        id: `env:${env}:swarm:release:${r.deployId}`,
        label: r.restored ? t('rollback to {0}', r.restored) : Object.entries(r.services).map(([n, v]) => `${n} ${v.version}`).join(', '),
        description: `${r.at} · ${r.who}${i === 0 ? ` · ${t('current')}` : ''}`,
        icon: r.restored ? 'discard' : 'tag',
        color: i === 0 ? 'passed' : undefined,
        tooltip: releaseTooltip(r, t),
      })),
    },
  ];
}
