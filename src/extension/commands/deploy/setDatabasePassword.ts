// "Greenlight: Set Database Password…": stores (or replaces) an environment's database password in
// SecretStorage ahead of the first operation that needs it (the walkthrough's third step).
import type { Services } from '../../services';
import { pickEnvironment } from './common';

export function setDatabasePassword(s: Services) {
  return async (arg?: unknown): Promise<boolean> => {
    const env = await pickEnvironment(s, arg, 'Set Database Password: environment');
    if (!env) return false;
    const typed = await s.prompts.showInputBox({
      title: `Database password for ${env.name}`,
      prompt: `Password of ${env.database ?? 'the database'} on ${env.name}. Kept in VS Code's secret storage, never in settings or files.`,
      placeHolder: 'leave empty if the database needs no password',
      password: true,
      ignoreFocusOut: true,
    });
    if (typed === undefined) return false;
    await s.secrets.store(s.project.summary?.project ?? 'project', env.name, typed);
    s.output.info(`stored the database password of ${env.name} in secret storage`);
    void s.prompts.showInformationMessage(`The database password of ${env.name} is stored in VS Code's secret storage.`);
    return true;
  };
}
