// The Environments view: one row per environment in greenlight.yaml with its SSH target and
// database, or the file's problems when it does not validate. It renders ProjectState only.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConfigProblemDto, ConfigSummary, EnvironmentSummary } from '../../service/protocol';
import type { ProjectState } from '../projectState';

type Node =
  | { kind: 'environment'; env: EnvironmentSummary }
  | { kind: 'detail'; label: string; description?: string; icon: string; tooltip?: string }
  | { kind: 'problem'; problem: ConfigProblemDto }
  | { kind: 'problems'; summary: ConfigSummary };

export class EnvironmentsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.#onDidChange.event;
  readonly #sub: vscode.Disposable;

  constructor(private readonly project: ProjectState) {
    this.#sub = project.onDidChange(() => this.#onDidChange.fire(undefined));
  }

  getChildren(node?: Node): Node[] {
    const s = this.project.summary;
    if (!node) {
      if (!s || !s.found) return [];
      if (!s.ok) return [{ kind: 'problems', summary: s }];
      return s.environments.map((env) => ({ kind: 'environment', env }));
    }
    if (node.kind === 'problems') return node.summary.problems.map((problem) => ({ kind: 'problem', problem }));
    if (node.kind === 'environment') {
      const e = node.env;
      return [
        { kind: 'detail', label: 'SSH', description: e.sshTarget, icon: e.hostKeyPinned ? 'lock' : 'unlock', tooltip: e.hostKeyPinned ? 'Host key pinned' : 'Host key not pinned: the first connection will ask you to trust it' },
        { kind: 'detail', label: 'Database', description: e.database ?? 'none', icon: 'database' },
        { kind: 'detail', label: 'Backups', description: `${e.backupsDir} (keep ${e.keep})`, icon: 'archive' },
      ];
    }
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'environment': {
        const item = new vscode.TreeItem(node.env.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `env:${node.env.name}`;
        item.description = node.env.sshTarget;
        item.iconPath = new vscode.ThemeIcon('server-environment');
        item.contextValue = 'greenlight.environment';
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
    this.#sub.dispose();
    this.#onDidChange.dispose();
  }
}
