// "Delete" on a backup: removes the dump and its record from the host after a modal confirmation.
import type { Services } from '../../services';
import { backupOf } from './backupArg';
import { refreshEnvironment, runEnvJob } from './common';

export function deleteBackup(s: Services) {
  return async (arg?: unknown): Promise<boolean> => {
    const root = s.project.root;
    const b = root ? await backupOf(s, arg, 'Delete Backup') : undefined;
    if (!root || !b) return false;
    const go = await s.prompts.modal(
      `Delete backup ${b.row.id} from ${b.env.name}?`,
      `${b.row.file} on the host is deleted for good${b.row.deployVersion ? `; it is the backup taken before deploying ${b.row.deployVersion}` : ''}.`,
      'Delete',
    );
    if (go !== 'Delete') return false;
    const r = await runEnvJob(s, `Greenlight: Deleting ${b.row.id}`, 'backup.delete', { workspaceRoot: root, env: b.env.name, id: b.row.id }, { env: b.env.name, progress: false });
    refreshEnvironment(s, b.env.name);
    if (r) s.output.info(`deleted backup ${r.deleted} on ${b.env.name}`);
    return r !== undefined;
  };
}
