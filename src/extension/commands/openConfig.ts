// "Greenlight: Open Project File": opens greenlight.yaml, offering to create a starter file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';

const STARTER = `# Greenlight project file. Reference: README.md, "Configuration".
project: my-app
services:
  - name: web
    context: .
    port: 8080
    health: { path: /health }
database:
  kind: postgres
  migrations: migrations
environments: {}
`;

export function openConfig(s: Services) {
  return async (): Promise<void> => {
    const root = s.project.root;
    if (!root) {
      void vscode.window.showWarningMessage('Open a folder first: greenlight.yaml lives at the workspace root.');
      return;
    }
    const uri = vscode.Uri.file(path.join(root, 'greenlight.yaml'));
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      const choice = await vscode.window.showInformationMessage('This workspace has no greenlight.yaml. Create a starter file?', 'Create');
      if (choice !== 'Create') return;
      await vscode.workspace.fs.writeFile(uri, Buffer.from(STARTER, 'utf8'));
    }
    await vscode.window.showTextDocument(uri);
  };
}
