// "Back Up Now" on an environment (and the palette): a verified pg_dump on the host, on demand.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { environmentSecrets, pickEnvironment, refreshEnvironment, runEnvJob } from './common';

export function backUpNow(s: Services) {
  return async (arg?: unknown): Promise<void> => {
    const root = s.project.root;
    if (!root) return;
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Back Up Now: environment'));
    if (!env) return;
    if (!env.database) return void s.prompts.showWarningMessage(vscode.l10n.t('{0} has no database in greenlight.yaml: nothing to back up.', env.name));
    const secrets = await environmentSecrets(s, env);
    if (!secrets) return;
    const b = await runEnvJob(s, vscode.l10n.t('Greenlight: Backing up {0} on {1}', env.database, env.name), 'backup.create', { workspaceRoot: root, env: env.name, secrets }, { env: env.name, retrySecrets: () => environmentSecrets(s, env) });
    refreshEnvironment(s, env.name);
    if (b) void s.prompts.showInformationMessage(vscode.l10n.t('Backup {0} taken and verified ({1} bytes, sha256 {2}…).', b.id, b.sizeBytes, b.sha256?.slice(0, 12) ?? ''));
  };
}
