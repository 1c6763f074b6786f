// "Verify" on a backup: re-hashes it on the host, compares with the sha256 recorded when it was
// taken, and re-reads every block of the archive.
import type { Services } from '../../services';
import { backupOf } from './backupArg';
import { refreshEnvironment, runEnvJob } from './common';

export function verifyBackup(s: Services) {
  return async (arg?: unknown): Promise<boolean | undefined> => {
    const root = s.project.root;
    const b = root ? await backupOf(s, arg, 'Verify Backup') : undefined;
    if (!root || !b) return undefined;
    const v = await runEnvJob(s, `Greenlight: Verifying ${b.row.id}`, 'backup.verify', { workspaceRoot: root, env: b.env.name, id: b.row.id }, { env: b.env.name });
    refreshEnvironment(s, b.env.name);
    if (!v) return undefined;
    if (v.ok) void s.prompts.showInformationMessage(`${v.id} is intact: sha256 ${v.sha256.slice(0, 16)}… matches the record and every block reads.`);
    else void s.prompts.showErrorMessage(`${v.id} is NOT intact: ${v.problems.join('; ')}`);
    return v.ok;
  };
}
