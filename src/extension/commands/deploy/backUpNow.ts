// "Back Up Now" on an environment (and the palette): a verified pg_dump on the host, on demand.
import type { Services } from '../../services';
import { environmentSecrets, pickEnvironment, refreshEnvironment, runEnvJob } from './common';

export function backUpNow(s: Services) {
  return async (arg?: unknown): Promise<void> => {
    const root = s.project.root;
    if (!root) return;
    const env = await pickEnvironment(s, arg, 'Back Up Now: environment');
    if (!env) return;
    if (!env.database) return void s.prompts.showWarningMessage(`${env.name} has no database in greenlight.yaml: nothing to back up.`);
    const secrets = await environmentSecrets(s, env);
    if (!secrets) return;
    const b = await runEnvJob(s, `Greenlight: Backing up ${env.database} on ${env.name}`, 'backup.create', { workspaceRoot: root, env: env.name, secrets }, { env: env.name, retrySecrets: () => environmentSecrets(s, env) });
    refreshEnvironment(s, env.name);
    if (b) void s.prompts.showInformationMessage(`Backup ${b.id} taken and verified (${b.sizeBytes} bytes, sha256 ${b.sha256?.slice(0, 12)}…).`);
  };
}
