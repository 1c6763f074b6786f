// "Greenlight: Set Identity File…": picks the private key an environment logs in with and writes
// it as environments.<env>.ssh.identityFile into greenlight.yaml (a path, never the key itself).
// Offered where an environment is "not configured" (no key file, no agent) or its login was refused.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { editProjectFile } from '../../projectFileEdit';
import type { Services } from '../../services';
import { pickEnvironment, refreshEnvironment } from './common';

/** How the path is written: `~/…` under the home folder, relative inside the project, else absolute. */
export function identityFileValue(file: string, projectRoot: string, home = os.homedir()): string {
  const inProject = path.relative(projectRoot, file);
  if (inProject && !inProject.startsWith('..') && !path.isAbsolute(inProject)) return inProject.split(path.sep).join('/');
  const inHome = path.relative(home, file);
  if (inHome && !inHome.startsWith('..') && !path.isAbsolute(inHome)) return `~/${inHome.split(path.sep).join('/')}`;
  return file;
}

export function setIdentityFile(s: Services) {
  return async (arg?: unknown, file?: vscode.Uri): Promise<boolean> => {
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Set Identity File: environment'));
    const root = s.project.root;
    if (!env || !root) return false;
    let chosen = file;
    if (!chosen) {
      const sshDir = vscode.Uri.file(path.join(os.homedir(), '.ssh'));
      const picked = await s.prompts.showOpenDialog({
        title: vscode.l10n.t('Private key for {0} ({1})', env.name, env.sshTarget),
        defaultUri: sshDir,
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        openLabel: vscode.l10n.t('Use This Key'),
      });
      chosen = picked?.[0];
    }
    if (!chosen) return false;
    const value = identityFileValue(chosen.fsPath, root);
    const uri = await editProjectFile(s, root, vscode.l10n.t('the identity file'), (text, f) => s.client.runJob('deploy.setIdentityFileEdit', { text, file: f, env: env.name, identityFile: value }));
    if (!uri) return false;
    s.output.info(`environment ${env.name} logs in with ${value} (set in ${uri.fsPath})`);
    await s.project.refresh();
    refreshEnvironment(s, env.name);
    return true;
  };
}
