// The Environments view: one row per environment in greenlight.yaml; under it what runs there
// (each service's version, health and uptime), the deploy lock holder, the last deploys from the
// host's audit log, and the environment's configuration. The live part comes from the service's
// deploy.status job, which gives up after a timeout: an unreachable host (or a refused host key)
// is an error row with the reason, never a spinning view. Or the file's problems, when it does
// not validate.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AuditEntryDto, ConfigProblemDto, ConfigSummary, DeployedServiceDto, EnvironmentStatusDto, EnvironmentSummary, HostContainerDto } from '../../service/protocol';
import { connectionProblem, problemContextValue, restrictedProblem } from '../connectionProblem';
import { localTime } from '../localTime';
import type { ProjectState } from '../projectState';
import type { ServiceClient } from '../serviceClient';
import { proxyRows } from './proxyRows';
import { swarmRows, type SwarmRow } from './swarmRows';

/** How long a view waits for a host before it shows "not reachable". */
export const STATUS_TIMEOUT_MS = 15_000;

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/**
 * Live status per environment, shared by the Environments view and the status bar. Each
 * environment is asked at most once at a time; refresh() forgets what is known and asks again.
 */
export class EnvironmentStatusCache implements vscode.Disposable {
  readonly #known = new Map<string, EnvironmentStatusDto>();
  readonly #pending = new Map<string, Promise<EnvironmentStatusDto>>();
  readonly #onDidChange = new vscode.EventEmitter<string | undefined>();
  /** Fires with the environment whose status arrived (undefined: all were forgotten). */
  readonly onDidChange = this.#onDidChange.event;
  readonly #subs: vscode.Disposable[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ServiceClient,
    private readonly root: () => string | undefined,
  ) {
    // A deploy, rollback or backup from a terminal on this machine (src/core/deploy/localActivity.ts).
    this.#subs.push(client.onStateChanged((area) => area === 'environments' && this.refresh()));
    this.#subs.push(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('greenlight.environments.refreshIntervalSeconds') && this.schedule()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()),
    );
    this.schedule();
  }

  /**
   * Somebody else's deploy (a teammate, CI) leaves no trace on this machine, so what is shown is
   * read again every greenlight.environments.refreshIntervalSeconds (0: never) while the window
   * has focus. Only environments someone looked at are forgotten, and only what a view or the
   * status bar then asks for is read: a collapsed environment costs nothing.
   */
  private schedule(): void {
    clearTimeout(this.#timer);
    const seconds = vscode.workspace.getConfiguration('greenlight').get<number>('environments.refreshIntervalSeconds', 60);
    if (!(seconds > 0)) return;
    this.#timer = setTimeout(() => {
      if (vscode.window.state.focused && vscode.workspace.isTrusted && this.#known.size > 0 && this.#pending.size === 0) this.refresh();
      this.schedule();
    }, seconds * 1000);
  }

  peek(env: string): EnvironmentStatusDto | undefined {
    return this.#known.get(env);
  }

  get(env: string): Promise<EnvironmentStatusDto> {
    const known = this.#known.get(env);
    if (known) return Promise.resolve(known);
    let p = this.#pending.get(env);
    if (!p) {
      p = this.load(env).finally(() => this.#pending.delete(env));
      this.#pending.set(env, p);
    }
    return p;
  }

  /** Forgets one environment (or all) and tells the listeners, which ask again. */
  refresh(env?: string): void {
    if (env) this.#known.delete(env);
    else this.#known.clear();
    this.#onDidChange.fire(env);
  }

  private async load(env: string): Promise<EnvironmentStatusDto> {
    const root = this.root();
    let st: EnvironmentStatusDto;
    // Restricted Mode: the hosts are named by a workspace nobody has trusted yet, so nothing
    // connects to them; the row says so and offers to manage trust.
    if (!vscode.workspace.isTrusted) {
      st = { env, host: env, reachable: false, problem: restrictedProblem(), problemKind: 'restricted', services: [], recent: [], checkedAt: new Date().toISOString() };
      this.#known.set(env, st);
      this.#onDidChange.fire(env);
      return st;
    }
    try {
      if (!root) throw new Error('no workspace folder is open');
      st = await this.client.runJob('deploy.status', { workspaceRoot: root, env, timeoutMs: STATUS_TIMEOUT_MS });
    } catch (e) {
      st = { env, host: env, reachable: false, problem: e instanceof Error ? e.message : String(e), services: [], recent: [], checkedAt: new Date().toISOString() };
    }
    this.#known.set(env, st);
    this.#onDidChange.fire(env);
    return st;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    for (const d of this.#subs) d.dispose();
    this.#onDidChange.dispose();
  }
}

export type EnvironmentsNode =
  | { readonly kind: 'environment'; readonly env: EnvironmentSummary }
  | { readonly kind: 'service'; readonly env: string; readonly service: DeployedServiceDto; readonly checkedAt: string }
  | { readonly kind: 'containers'; readonly env: string; readonly status: EnvironmentStatusDto }
  | { readonly kind: 'container'; readonly env: string; readonly container: HostContainerDto; readonly checkedAt: string }
  | { readonly kind: 'lock'; readonly env: string; readonly status: EnvironmentStatusDto }
  | { readonly kind: 'deploys'; readonly env: string; readonly recent: readonly AuditEntryDto[] }
  | { readonly kind: 'audit'; readonly env: string; readonly entry: AuditEntryDto }
  | { readonly kind: 'unreachable'; readonly env: string; readonly status: EnvironmentStatusDto }
  | { readonly kind: 'swarm'; readonly row: SwarmRow }
  | { readonly kind: 'detail'; readonly label: string; readonly description?: string; readonly icon: string; readonly tooltip?: string }
  | { readonly kind: 'problem'; readonly problem: ConfigProblemDto }
  | { readonly kind: 'problems'; readonly summary: ConfigSummary };

const RESULT_ICON: Record<string, [string, string | undefined]> = {
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  'rolled-back': ['history', 'list.warningForeground'],
  cancelled: ['circle-slash', undefined],
  refused: ['circle-slash', undefined],
};

export class EnvironmentsView implements vscode.TreeDataProvider<EnvironmentsNode>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<EnvironmentsNode | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  readonly #subs: vscode.Disposable[] = [];

  constructor(
    private readonly project: ProjectState,
    readonly status: EnvironmentStatusCache,
  ) {
    // A changed greenlight.yaml may point anywhere else: forget every host's status.
    this.#subs.push(project.onDidChange(() => status.refresh()));
    this.#subs.push(status.onDidChange(() => this.#onDidChange.fire(undefined)));
  }

  async getChildren(node?: EnvironmentsNode): Promise<EnvironmentsNode[]> {
    const s = this.project.summary;
    if (!node) {
      if (!s || !s.found) return [];
      if (!s.ok) return [{ kind: 'problems', summary: s }];
      return s.environments.map((env) => ({ kind: 'environment', env }));
    }
    switch (node.kind) {
      case 'problems':
        return node.summary.problems.map((problem) => ({ kind: 'problem', problem }));
      case 'environment': {
        const e = node.env;
        const st = await this.status.get(e.name);
        // The host's proxy (when it has one): its state and each route's version, in-flight and failed requests.
        const proxy = proxyRows(e.name, st, vscode.l10n.t).map((row): EnvironmentsNode => ({ kind: 'swarm', row }));
        // A swarm: nodes, services with replicas per version, releases instead of one container per service.
        const live: EnvironmentsNode[] = st.reachable && st.swarm
          ? [...swarmRows(e.name, st, vscode.l10n.t).map((row): EnvironmentsNode => ({ kind: 'swarm', row })), ...proxy, { kind: 'lock', env: e.name, status: st }, { kind: 'deploys', env: e.name, recent: st.recent }]
          : st.reachable
          ? [
              ...st.services.map((service): EnvironmentsNode => ({ kind: 'service', env: e.name, service, checkedAt: st.checkedAt })),
              ...proxy,
              { kind: 'containers', env: e.name, status: st },
              { kind: 'lock', env: e.name, status: st },
              { kind: 'deploys', env: e.name, recent: st.recent },
            ]
          : [{ kind: 'unreachable', env: e.name, status: st }];
        return [
          ...live,
          { kind: 'detail', label: vscode.l10n.t('SSH'), description: e.sshTarget, icon: e.hostKeyPinned ? 'lock' : 'unlock', tooltip: e.hostKeyPinned ? vscode.l10n.t('Host key pinned') : vscode.l10n.t('Host key not pinned: the first connection will ask you to trust it') },
          { kind: 'detail', label: vscode.l10n.t('Database'), description: e.database ?? vscode.l10n.t('none'), icon: 'database' },
          { kind: 'detail', label: vscode.l10n.t('Backups'), description: vscode.l10n.t('{0} (keep {1})', e.backupsDir, e.keep), icon: 'archive' },
        ];
      }
      case 'deploys':
        return node.recent.map((entry) => ({ kind: 'audit', env: node.env, entry }));
      case 'swarm':
        return (node.row.children ?? []).map((row) => ({ kind: 'swarm', row }));
      case 'containers':
        return (node.status.containers ?? []).map((container) => ({ kind: 'container', env: node.env, container, checkedAt: node.status.checkedAt }));
      default:
        return [];
    }
  }

  getTreeItem(node: EnvironmentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'environment': {
        const item = new vscode.TreeItem(node.env.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `env:${node.env.name}`;
        const st = this.status.peek(node.env.name);
        const versions = st?.reachable ? st.services.map((x) => x.version).filter(Boolean) : [];
        item.description = versions.length ? `${node.env.sshTarget} · ${versions.join(', ')}` : node.env.sshTarget;
        item.iconPath = new vscode.ThemeIcon('server-environment');
        item.contextValue = 'greenlight.environment';
        return item;
      }
      case 'service': {
        const x = node.service;
        const item = new vscode.TreeItem(x.service);
        item.id = `env:${node.env}:service:${x.service}`;
        const up = x.startedAt ? vscode.l10n.t('up {0}', formatDuration(Date.parse(node.checkedAt) - Date.parse(x.startedAt))) : x.state;
        item.description = [x.version ?? vscode.l10n.t('not deployed'), x.version ? (x.healthy ? vscode.l10n.t('healthy ({0})', x.health) : vscode.l10n.t('unhealthy ({0})', x.health)) : undefined, x.version ? up : undefined].filter(Boolean).join(' · ');
        item.iconPath = !x.version
          ? new vscode.ThemeIcon('circle-large-outline')
          : x.healthy
            ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'))
            : new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(vscode.l10n.t('**{0}** on {1}', x.service, node.env) + '\n\n' + vscode.l10n.t('- version `{0}`', x.version ?? vscode.l10n.t('none')) + '\n' + vscode.l10n.t('- state {0}', x.state) + (x.startedAt ? ' ' + vscode.l10n.t('since {0}', localTime(x.startedAt, true)) : '') + '\n' + vscode.l10n.t('- health {0}', x.health) + '\n' + vscode.l10n.t('- kept for rollback: {0}', x.retained.join(', ') || vscode.l10n.t('none')) + '\n' + (x.proxy ? vscode.l10n.t('- proxy routes to {0}', x.proxy) + '\n' : ''));
        item.tooltip = md;
        item.contextValue = 'greenlight.deployedService';
        return item;
      }
      case 'containers': {
        const list = node.status.containers;
        const item = new vscode.TreeItem(vscode.l10n.t('Containers on the host'), list?.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `env:${node.env}:containers`;
        item.description = list ? vscode.l10n.t('{0} running', list.length) : vscode.l10n.t('not listed: {0}', node.status.containersProblem ?? '?');
        item.tooltip = vscode.l10n.t('Every container running on the host, Greenlight\'s or not.');
        item.iconPath = new vscode.ThemeIcon('layers');
        return item;
      }
      case 'container': {
        const c = node.container;
        const item = new vscode.TreeItem(c.name);
        item.id = `env:${node.env}:container:${c.id}`;
        const up = c.startedAt && !c.startedAt.startsWith('0001') ? vscode.l10n.t('up {0}', formatDuration(Date.parse(node.checkedAt) - Date.parse(c.startedAt))) : c.status;
        const g = c.greenlight;
        const mine = g ? [g.service, g.version].filter(Boolean).join(' ') || g.project : undefined;
        // Greenlight's own containers say their service and version (the image is in the tooltip).
        item.description = [mine ? `Greenlight: ${mine}` : c.image, c.state, up].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon(g ? 'package' : 'vm', c.state === 'running' ? new vscode.ThemeColor('testing.iconPassed') : undefined);
        const ports = c.ports.map((p) => (p.host ? `${p.hostIp ?? ''}:${p.host}→${p.container}/${p.protocol}` : `${p.container}/${p.protocol}`)).join(', ');
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${c.name}** on ${node.env}\n\n- image \`${c.image}\`\n- ${c.state}${c.startedAt ? `, started ${localTime(c.startedAt, true)}` : ''} (${c.status})\n- ID \`${c.id.slice(0, 12)}\`\n`);
        if (ports) md.appendMarkdown(`- ports ${ports}\n`);
        if (g) md.appendMarkdown(`- Greenlight: project ${g.project}${g.service ? `, service ${g.service}` : ''}${g.version ? `, version \`${g.version}\`` : ''}${g.role ? `, ${g.role}` : ''}${g.serving ? ' (serving production traffic)' : ''}\n`);
        item.tooltip = md;
        item.contextValue = g?.serving ? 'greenlight.hostContainer.serving' : 'greenlight.hostContainer';
        return item;
      }
      case 'lock': {
        const l = node.status.lock;
        const item = new vscode.TreeItem(l ? vscode.l10n.t('Deploy lock held') : vscode.l10n.t('Deploy lock free'));
        item.id = `env:${node.env}:lock`;
        item.description = l === undefined ? undefined : typeof l === 'string' ? l : vscode.l10n.t('{0} on {1} since {2}: {3}', l.who, l.machine, localTime(l.since), l.what);
        item.iconPath = new vscode.ThemeIcon(l ? 'lock' : 'unlock');
        return item;
      }
      case 'deploys': {
        const item = new vscode.TreeItem(vscode.l10n.t('Last deploys'), node.recent.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `env:${node.env}:deploys`;
        item.description = node.recent.length ? undefined : vscode.l10n.t('none yet');
        item.iconPath = new vscode.ThemeIcon('history');
        return item;
      }
      case 'audit': {
        const a = node.entry;
        const item = new vscode.TreeItem(`${a.action} ${a.version ?? ''}`.trim());
        item.id = `env:${node.env}:audit:${a.deployId}:${a.action}`;
        const when = localTime(a.at);
        item.description = `${a.result} · ${when} · ${a.who}${a.untestedOverride ? ' · UNTESTED' : ''}`;
        const [icon, color] = RESULT_ICON[a.result] ?? ['circle-small-filled', undefined];
        item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${a.action} ${a.service ?? ''} ${a.version ?? ''}**: ${a.result}\n\n`);
        md.appendMarkdown(`- at ${localTime(a.at, true)} (${a.at}) by ${a.who} on ${a.machine}\n- previous ${a.previousVersion ?? 'none'}, serving ${a.serving ?? '?'}\n`);
        if (a.backupId) md.appendMarkdown(`- backup \`${a.backupId}\`\n`);
        if (a.releaseTasks?.length) md.appendMarkdown(`- release tasks: ${a.releaseTasks.join(', ')}\n`);
        if (a.untestedOverride) md.appendMarkdown(`- untested image, override: "${a.untestedOverride}"\n`);
        if (a.message) md.appendMarkdown(`\n${a.message}\n`);
        item.tooltip = md;
        return item;
      }
      case 'unreachable': {
        const st = node.status;
        const p = connectionProblem(st.problemKind, st.hostKeyRefused);
        const item = new vscode.TreeItem(p.label);
        item.id = `env:${node.env}:unreachable`;
        item.description = st.problem;
        item.tooltip = `${st.problem ?? ''}\n\n${vscode.l10n.t('Checked {0}.', localTime(st.checkedAt, true))} ${vscode.l10n.t('Fix: {0}', p.fix.title)}`;
        item.iconPath = new vscode.ThemeIcon(p.icon, new vscode.ThemeColor('list.warningForeground'));
        item.contextValue = problemContextValue(p.kind);
        item.command = { command: p.fix.command, title: p.fix.title, arguments: p.kind === 'restricted' ? [] : [node.env] };
        return item;
      }
      case 'swarm': {
        const r = node.row;
        const item = new vscode.TreeItem(r.label, r.children?.length ? (r.id.endsWith(':releases') ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded) : vscode.TreeItemCollapsibleState.None);
        item.id = r.id;
        item.description = r.description;
        item.tooltip = r.tooltip;
        item.contextValue = r.contextValue;
        const color = r.color === 'passed' ? 'testing.iconPassed' : r.color === 'failed' ? 'testing.iconFailed' : r.color === 'warning' ? 'list.warningForeground' : undefined;
        item.iconPath = new vscode.ThemeIcon(r.icon, color ? new vscode.ThemeColor(color) : undefined);
        return item;
      }
      case 'detail': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.description;
        item.tooltip = node.tooltip;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'problems': {
        const n = node.summary.problems.length;
        const item = new vscode.TreeItem(`${path.basename(node.summary.file)}: ${n} problem${n === 1 ? '' : 's'}`, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        return item;
      }
      case 'problem': {
        const p = node.problem;
        const item = new vscode.TreeItem(p.message);
        item.description = `line ${p.line}`;
        item.iconPath = new vscode.ThemeIcon('circle-small-filled');
        const range = new vscode.Range(p.line - 1, p.column - 1, p.endLine - 1, p.endColumn - 1);
        item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(p.file), { selection: range }] };
        return item;
      }
    }
  }

  dispose(): void {
    for (const d of this.#subs) d.dispose();
    this.#onDidChange.dispose();
  }
}
