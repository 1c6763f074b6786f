// Backup commands act on a row of the Backups view; from the palette they ask for the environment
// and the backup with quick picks.
import * as vscode from 'vscode';
import type { BackupRowDto, EnvironmentSummary } from '../../../service/protocol';
import type { Services } from '../../services';
import type { BackupsNode } from '../../views/backupsView';
import { pickEnvironment } from './common';

export async function backupOf(s: Services, arg: unknown, title: string): Promise<{ env: EnvironmentSummary; row: BackupRowDto } | undefined> {
  const node = arg as BackupsNode | undefined;
  const env = await pickEnvironment(s, node?.kind === 'backup' ? node.env : arg, vscode.l10n.t('{0}: environment', title));
  if (!env) return undefined;
  if (node?.kind === 'backup') return { env, row: node.row };
  const list = await s.backups.load(env.name);
  if (!list.reachable) {
    void s.prompts.showErrorMessage(vscode.l10n.t('Cannot list the backups of {0}: {1}', env.name, list.problem ?? ''));
    return undefined;
  }
  if (list.backups.length === 0) {
    void s.prompts.showInformationMessage(vscode.l10n.t('{0} has no backups yet.', env.name));
    return undefined;
  }
  const picked = await s.prompts.showQuickPick(
    list.backups.map((row) => ({ label: row.id, description: `${row.verified ? `✓ ${vscode.l10n.t('verified')}` : vscode.l10n.t('unverified')}${row.deployVersion ? ` · ${vscode.l10n.t('before deploy {0}', row.deployVersion)}` : ''}`, row })),
    { title: vscode.l10n.t('{0}: backup', title), ignoreFocusOut: true },
  );
  return picked ? { env, row: picked.row } : undefined;
}
