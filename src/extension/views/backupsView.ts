// The Backups view: per environment with a database, its backups on the host, newest first, each
// with size, age, whether it was verified, and the deploy it was taken for. Context actions:
// Verify, Restore (modal confirmation), Download, Delete (modal confirmation). Listing goes
// through the service's backup.list job with a timeout: an unreachable host is an error row.
import * as vscode from 'vscode';
import type { BackupRowDto, BackupsListDto, ConnectionProblemKind } from '../../service/protocol';
import { connectionProblem, problemContextValue, restrictedProblem, type ConnectionFix } from '../connectionProblem';
import { localTime } from '../localTime';
import type { ProjectState } from '../projectState';
import type { ServiceClient } from '../serviceClient';
import { STATUS_TIMEOUT_MS } from './environmentsView';
import { formatAge, formatBytes } from './imagesView';

export type BackupsNode =
  | { readonly kind: 'env'; readonly env: string; readonly dir: string }
  | { readonly kind: 'backup'; readonly env: string; readonly row: BackupRowDto; readonly overRetention: boolean }
  | { readonly kind: 'message'; readonly env: string; readonly label: string; readonly detail?: string; readonly icon: string; readonly fix?: ConnectionFix; readonly kindOfProblem?: ConnectionProblemKind };

function sizeOf(n: number): string {
  return n < 1000 ? `${n} B` : formatBytes(n);
}

export class BackupsView implements vscode.TreeDataProvider<BackupsNode>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<BackupsNode | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  readonly #known = new Map<string, BackupsListDto>();
  readonly #pending = new Map<string, Promise<BackupsListDto>>();
  readonly #subs: vscode.Disposable[] = [];

  constructor(
    private readonly client: ServiceClient,
    private readonly project: ProjectState,
  ) {
    this.#subs.push(project.onDidChange(() => this.refresh()));
    this.#subs.push(client.onStateChanged((area) => area === 'backups' && this.refresh()));
    this.#subs.push(vscode.workspace.onDidGrantWorkspaceTrust(() => this.refresh()));
  }

  /** The last listing of an environment (tests read it to check what the view shows). */
  listing(env: string): BackupsListDto | undefined {
    return this.#known.get(env);
  }

  /** Lists an environment's backups (once at a time; cached until refresh). */
  load(env: string): Promise<BackupsListDto> {
    const known = this.#known.get(env);
    if (known) return Promise.resolve(known);
    let p = this.#pending.get(env);
    if (!p) {
      p = this.fetch(env).finally(() => this.#pending.delete(env));
      this.#pending.set(env, p);
    }
    return p;
  }

  refresh(env?: string): void {
    if (env) this.#known.delete(env);
    else this.#known.clear();
    this.#onDidChange.fire(undefined);
  }

  private async fetch(env: string): Promise<BackupsListDto> {
    const root = this.project.root;
    let d: BackupsListDto;
    try {
      if (!root) throw new Error('no workspace folder is open');
      // Restricted Mode: no SSH connection to a host the untrusted workspace names.
      if (!vscode.workspace.isTrusted) {
        d = { env, dir: '', reachable: false, problem: restrictedProblem(), problemKind: 'restricted', backups: [], wouldPrune: [] };
        this.#known.set(env, d);
        return d;
      }
      d = await this.client.runJob('backup.list', { workspaceRoot: root, env, timeoutMs: STATUS_TIMEOUT_MS });
    } catch (e) {
      d = { env, dir: '', reachable: false, problem: e instanceof Error ? e.message : String(e), backups: [], wouldPrune: [] };
    }
    this.#known.set(env, d);
    return d;
  }

  async getChildren(node?: BackupsNode): Promise<BackupsNode[]> {
    if (!node) {
      const s = this.project.summary;
      if (!s?.ok) return [];
      return s.environments.filter((e) => e.database).map((e) => ({ kind: 'env', env: e.name, dir: e.backupsDir }));
    }
    if (node.kind !== 'env') return [];
    const d = await this.load(node.env);
    if (!d.reachable) {
      const p = connectionProblem(d.problemKind, d.hostKeyRefused);
      return [{ kind: 'message', env: node.env, label: p.kind === 'unreachable' ? vscode.l10n.t('Cannot list backups') : p.label, detail: d.problem, icon: p.icon, fix: p.kind === 'unreachable' ? undefined : p.fix, kindOfProblem: p.kind }];
    }
    if (d.backups.length === 0) return [{ kind: 'message', env: node.env, label: vscode.l10n.t('No backups yet'), detail: vscode.l10n.t('in {0}', d.dir), icon: 'info' }];
    const prune = new Set(d.wouldPrune);
    return d.backups.map((row) => ({ kind: 'backup', env: node.env, row, overRetention: prune.has(row.id) }));
  }

  getTreeItem(node: BackupsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'env': {
        const item = new vscode.TreeItem(node.env, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `backups:${node.env}`;
        const d = this.#known.get(node.env);
        item.description = d?.reachable ? `${d.backups.length} backup${d.backups.length === 1 ? '' : 's'} in ${d.dir}` : node.dir;
        item.iconPath = new vscode.ThemeIcon('server-environment');
        item.contextValue = 'greenlight.backupsEnvironment';
        return item;
      }
      case 'backup': {
        const r = node.row;
        const item = new vscode.TreeItem(localTime(r.createdAt, true));
        item.id = `backup:${node.env}:${r.id}`;
        const deploy = r.deployVersion ? `before deploy ${r.deployVersion}` : r.reason === 'manual' ? 'on demand' : r.reason;
        item.description = [sizeOf(r.sizeBytes), formatAge(r.createdAt), r.verified ? '✓ verified' : r.checkNote?.startsWith('CHANGED') ? 'CHANGED since checked' : 'unverified', deploy, node.overRetention ? 'over retention' : undefined].filter(Boolean).join(' · ');
        item.iconPath = r.verified ? new vscode.ThemeIcon('archive', new vscode.ThemeColor('testing.iconPassed')) : new vscode.ThemeIcon('archive', new vscode.ThemeColor('list.warningForeground'));
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${r.id}**\n\n- \`${r.file}\`\n- ${sizeOf(r.sizeBytes)}, taken ${localTime(r.createdAt, true)} (${r.createdAt})\n`);
        md.appendMarkdown(`- ${r.checkNote ?? (r.verified ? `verified${r.verifiedAt ? ` at ${localTime(r.verifiedAt, true)}` : ''}` : 'not verified')}${r.sha256 ? `, sha256 \`${r.sha256.slice(0, 16)}…\`` : ''}\n`);
        if (r.deployVersion) md.appendMarkdown(`- taken before deploying \`${r.deployVersion}\` (deploy ${r.deployId})\n`);
        if (node.overRetention) md.appendMarkdown('- beyond the retention policy: the next prune deletes it\n');
        item.tooltip = md;
        item.contextValue = `greenlight.backup.${r.verified ? 'verified' : 'unverified'}`;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.detail;
        item.tooltip = node.detail;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        if (node.fix) item.contextValue = problemContextValue(node.kindOfProblem ?? 'unreachable');
        if (node.fix) item.command = { command: node.fix.command, title: node.fix.title, arguments: node.fix.command.startsWith('greenlight.') ? [node.env] : [] };
        return item;
      }
    }
  }

  dispose(): void {
    this.#onDidChange.dispose();
    for (const d of this.#subs) d.dispose();
  }
}
