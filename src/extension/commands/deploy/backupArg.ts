// Backup commands act on a row of the Backups view; from the palette they ask for the environment
// and the backup with quick picks.
import type { BackupRowDto, EnvironmentSummary } from '../../../service/protocol';
import type { Services } from '../../services';
import type { BackupsNode } from '../../views/backupsView';
import { pickEnvironment } from './common';

export async function backupOf(s: Services, arg: unknown, title: string): Promise<{ env: EnvironmentSummary; row: BackupRowDto } | undefined> {
  const node = arg as BackupsNode | undefined;
  const env = await pickEnvironment(s, node?.kind === 'backup' ? node.env : arg, `${title}: environment`);
  if (!env) return undefined;
  if (node?.kind === 'backup') return { env, row: node.row };
  const list = await s.backups.load(env.name);
  if (!list.reachable) {
    void s.prompts.showErrorMessage(`Cannot list the backups of ${env.name}: ${list.problem ?? ''}`);
    return undefined;
  }
  if (list.backups.length === 0) {
    void s.prompts.showInformationMessage(`${env.name} has no backups yet.`);
    return undefined;
  }
  const picked = await s.prompts.showQuickPick(
    list.backups.map((row) => ({ label: row.id, description: `${row.verified ? '✓ verified' : 'unverified'}${row.deployVersion ? ` · before deploy ${row.deployVersion}` : ''}`, row })),
    { title: `${title}: backup`, ignoreFocusOut: true },
  );
  return picked ? { env, row: picked.row } : undefined;
}
