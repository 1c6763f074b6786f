// The Images view: service → versions, newest first, each with its tested state (✓ passed,
// ✗ failed, untested), exported, size and age. It renders what the service's images.list job
// returns and nothing else; context menus key off contextValue "greenlight.image.<state>[.exported]".
import * as vscode from 'vscode';
import type { ImageRowDto, ImagesListDto } from '../../service/protocol';
import type { ServiceClient } from '../serviceClient';

export type ImagesNode =
  | { readonly kind: 'service'; readonly service: string; readonly images: readonly ImageRowDto[] }
  | { readonly kind: 'image'; readonly row: ImageRowDto }
  | { readonly kind: 'message'; readonly label: string; readonly detail?: string; readonly icon: string };

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}

export function formatAge(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

const STATE_LABEL = { passed: '✓ tested', failed: '✗ failed', untested: 'untested' } as const;

export class ImagesView implements vscode.TreeDataProvider<ImagesNode>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<ImagesNode | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  #data: ImagesListDto | undefined;
  #error: string | undefined;
  #refreshing: Promise<void> | undefined;
  readonly #subs: vscode.Disposable[] = [];

  constructor(
    private readonly client: ServiceClient,
    private readonly root: () => string | undefined,
  ) {
    this.#subs.push(client.onStateChanged((area) => (area === 'images' || area === 'config') && void this.refresh()));
    this.#subs.push(client.onRestarted(() => void this.refresh()));
  }

  /** The last listing (tests read it to check what the view shows). */
  get data(): ImagesListDto | undefined {
    return this.#data;
  }

  refresh(): Promise<void> {
    this.#refreshing ??= this.load().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  private async load(): Promise<void> {
    const root = this.root();
    if (!root) {
      this.#data = undefined;
    } else {
      try {
        this.#data = await this.client.runJob('images.list', { workspaceRoot: root });
        this.#error = undefined;
      } catch (e) {
        this.#error = e instanceof Error ? e.message : String(e);
      }
    }
    // "Deploy Tested Image" is enabled only when there is a tested image to deploy.
    void vscode.commands.executeCommand('setContext', 'greenlight.hasTestedImage', Boolean(this.#data?.services.some((x) => x.images.some((i) => i.tested === 'passed'))));
    this.#onDidChange.fire(undefined);
  }

  getChildren(node?: ImagesNode): ImagesNode[] {
    if (!node) {
      if (this.#error) return [{ kind: 'message', label: vscode.l10n.t('Cannot list images'), detail: this.#error, icon: 'error' }];
      const d = this.#data;
      if (!d) return [];
      if (!d.dockerAvailable) return [{ kind: 'message', label: vscode.l10n.t('Docker engine not reachable'), detail: `${d.endpoint}: ${d.problem ?? ''}`, icon: 'warning' }];
      return d.services.map((s) => ({ kind: 'service', service: s.service, images: s.images }));
    }
    if (node.kind === 'service') return node.images.map((row) => ({ kind: 'image', row }));
    return [];
  }

  getTreeItem(node: ImagesNode): vscode.TreeItem {
    switch (node.kind) {
      case 'service': {
        const item = new vscode.TreeItem(node.service, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `images:${node.service}`;
        const tested = node.images.filter((i) => i.tested === 'passed').length;
        item.description = node.images.length === 1 ? vscode.l10n.t('1 version, {0} tested', tested) : vscode.l10n.t('{0} versions, {1} tested', node.images.length, tested);
        item.iconPath = new vscode.ThemeIcon('package');
        item.contextValue = 'greenlight.imageService';
        return item;
      }
      case 'image': {
        const r = node.row;
        const item = new vscode.TreeItem(r.version, vscode.TreeItemCollapsibleState.None);
        item.id = `image:${r.imageId}:${r.tag}`;
        item.description = [STATE_LABEL[r.tested], r.exported ? 'exported' : undefined, formatBytes(r.sizeBytes), formatAge(r.createdAt)].filter(Boolean).join(' · ');
        item.iconPath =
          r.tested === 'passed'
            ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'))
            : r.tested === 'failed'
              ? new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'))
              : new vscode.ThemeIcon('circle-large-outline');
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**${r.tag}**\n\n`);
        md.appendMarkdown(`- image \`${r.imageId}\`\n- commit \`${r.gitSha.slice(0, 12)}\`${r.dirty ? ' (built from uncommitted changes)' : ''}\n`);
        md.appendMarkdown(`- ${STATE_LABEL[r.tested]}${r.testedAt ? ` at ${r.testedAt}` : ''}\n- ${r.exported ? 'exported' : 'not exported'}\n- ${formatBytes(r.sizeBytes)}, built ${r.createdAt}\n`);
        item.tooltip = md;
        item.contextValue = `greenlight.image.${r.tested}${r.exported ? '.exported' : ''}`;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.detail;
        item.tooltip = node.detail;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
    }
  }

  dispose(): void {
    this.#onDidChange.dispose();
    for (const d of this.#subs) d.dispose();
  }
}
