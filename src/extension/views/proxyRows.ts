// The rows the Environments view shows for the host's proxy, as plain data (no vscode import, so
// unit tests build the tree): one "Proxy" row with the container's state and route count, and a
// child per route naming the version it serves, with the requests in flight to that version and
// the failed requests Caddy counted against it.
import type { EnvironmentStatusDto } from '../../service/protocol';
import type { SwarmRow, Translate } from './swarmRows';

type ProxyDto = NonNullable<EnvironmentStatusDto['proxy']>;
type RouteDto = ProxyDto['routes'][number];

const english: Translate = (message, ...args) => message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));

function routeRow(env: string, r: RouteDto, t: Translate): SwarmRow {
  const target = r.version ?? r.upstream;
  return {
    id: `env:${env}:proxy:route:${r.id}`,
    label: t('{0} → {1}', r.match, target),
    description: t('{0} in flight, {1} failed', r.inFlight, r.fails) + (r.maintenance ? ` · ${t('maintenance page')}` : ''),
    icon: r.fails > 0 ? 'warning' : r.maintenance ? 'tools' : 'arrow-right',
    color: r.fails > 0 || r.maintenance ? 'warning' : 'passed',
    tooltip: `${t('route {0}', r.id)}\n${t('upstream {0}', r.upstream)}${r.version ? `\n${t('version {0}', r.version)}` : ''}\n${t('{0} request(s) in flight, {1} failed (as Caddy counts them)', r.inFlight, r.fails)}`,
  };
}

/** The proxy's rows of an environment; empty when the host has no proxy container. */
export function proxyRows(env: string, st: EnvironmentStatusDto, t: Translate = english): SwarmRow[] {
  const p = st.proxy;
  if (!p) return [];
  const state = p.running ? t('running') : p.state;
  const routes = p.problem ? t('routes unreadable') : p.routes.length === 1 ? t('1 route') : t('{0} routes', p.routes.length);
  const unhealthy = p.routes.some((r) => r.fails > 0);
  return [
    {
      id: `env:${env}:proxy`,
      label: t('Proxy (Caddy)'),
      description: p.running ? `${state} · ${routes}` : state,
      icon: 'server-process',
      color: !p.running || p.problem ? 'failed' : unhealthy ? 'warning' : 'passed',
      tooltip: `${t('container {0} ({1}): {2}', p.container, p.image, p.state)}${p.problem ? `\n${t('admin API: {0}', p.problem)}` : ''}`,
      children: p.routes.map((r) => routeRow(env, r, t)),
    },
  ];
}
