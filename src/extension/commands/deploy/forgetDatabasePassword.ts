// "Greenlight: Forget Database Password": removes an environment's password from SecretStorage,
// so the next operation that needs it asks again.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { pickEnvironment } from './common';

export function forgetDatabasePassword(s: Services) {
  return async (arg?: unknown): Promise<void> => {
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Forget Database Password: environment'));
    if (!env) return;
    await s.secrets.forget(s.project.summary?.project ?? 'project', env.name);
    s.output.info(`forgot the stored database password of ${env.name}`);
    void s.prompts.showInformationMessage(vscode.l10n.t('The database password of {0} was removed from secret storage.', env.name));
  };
}
