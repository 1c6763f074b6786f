// "Verify" on a backup: re-hashes it on the host, compares with the sha256 recorded when it was
// taken, and re-reads every block of the archive.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { backupOf } from './backupArg';
import { refreshEnvironment, runEnvJob } from './common';

export function verifyBackup(s: Services) {
  return async (arg?: unknown): Promise<boolean | undefined> => {
    const root = s.project.root;
    const b = root ? await backupOf(s, arg, vscode.l10n.t('Verify Backup')) : undefined;
    if (!root || !b) return undefined;
    const v = await runEnvJob(s, vscode.l10n.t('Greenlight: Verifying {0}', b.row.id), 'backup.verify', { workspaceRoot: root, env: b.env.name, id: b.row.id }, { env: b.env.name });
    refreshEnvironment(s, b.env.name);
    if (!v) return undefined;
    if (v.ok) void s.prompts.showInformationMessage(vscode.l10n.t('{0} is intact: sha256 {1}… matches the record and every block reads.', v.id, v.sha256.slice(0, 16)));
    else void s.prompts.showErrorMessage(vscode.l10n.t('{0} is NOT intact: {1}', v.id, v.problems.join('; ')));
    return v.ok;
  };
}
