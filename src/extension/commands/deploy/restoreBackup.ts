// "Restore" on a backup: only after a modal confirmation naming the backup and the database.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { backupOf } from './backupArg';
import { refreshEnvironment, restoreWithConfirmation } from './common';

export function restoreBackup(s: Services) {
  return async (arg?: unknown): Promise<boolean> => {
    const b = await backupOf(s, arg, vscode.l10n.t('Restore Backup'));
    if (!b) return false;
    const ok = await restoreWithConfirmation(s, b.env, b.row.id, b.row.deployVersion ? vscode.l10n.t('It was taken before deploying {0}.', b.row.deployVersion) : undefined);
    refreshEnvironment(s, b.env.name);
    return ok;
  };
}
