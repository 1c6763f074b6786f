// A view whose data arrives from a later capability. Until then it has no rows, and the
// package.json `viewsWelcome` entry for it explains what will appear and how to get there.
import * as vscode from 'vscode';

export class EmptyView implements vscode.TreeDataProvider<never> {
  getChildren(): never[] {
    return [];
  }

  getTreeItem(node: never): vscode.TreeItem {
    return node;
  }
}
