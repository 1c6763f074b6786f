// "Greenlight: Open Project File": opens greenlight.yaml; without one, offers "Create Project File",
// which writes it from the workspace (createProjectFile.ts).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';

export function openConfig(s: Services) {
  return async (): Promise<void> => {
    const root = s.project.root;
    if (!root) {
      void s.prompts.showWarningMessage(vscode.l10n.t('Open a folder first: greenlight.yaml lives at the workspace root.'));
      return;
    }
    const uri = vscode.Uri.file(path.join(root, 'greenlight.yaml'));
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      const choice = await s.prompts.showInformationMessage(vscode.l10n.t('This workspace has no greenlight.yaml yet.'), vscode.l10n.t('Create Project File'));
      if (choice) await vscode.commands.executeCommand('greenlight.config.create');
      return;
    }
    await vscode.window.showTextDocument(uri);
  };
}
