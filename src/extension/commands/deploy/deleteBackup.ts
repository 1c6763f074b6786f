// "Delete" on a backup: removes the dump and its record from the host after a modal confirmation.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { backupOf } from './backupArg';
import { refreshEnvironment, runEnvJob } from './common';

export function deleteBackup(s: Services) {
  return async (arg?: unknown): Promise<boolean> => {
    const root = s.project.root;
    const b = root ? await backupOf(s, arg, vscode.l10n.t('Delete Backup')) : undefined;
    if (!root || !b) return false;
    const deleteLabel = vscode.l10n.t('Delete');
    const go = await s.prompts.modal(
      vscode.l10n.t('Delete backup {0} from {1}?', b.row.id, b.env.name),
      b.row.deployVersion
        ? vscode.l10n.t('{0} on the host is deleted for good; it is the backup taken before deploying {1}.', b.row.file, b.row.deployVersion)
        : vscode.l10n.t('{0} on the host is deleted for good.', b.row.file),
      deleteLabel,
    );
    if (go !== deleteLabel) return false;
    const r = await runEnvJob(s, vscode.l10n.t('Greenlight: Deleting {0}', b.row.id), 'backup.delete', { workspaceRoot: root, env: b.env.name, id: b.row.id }, { env: b.env.name, progress: false });
    refreshEnvironment(s, b.env.name);
    if (r) s.output.info(`deleted backup ${r.deleted} on ${b.env.name}`);
    return r !== undefined;
  };
}
