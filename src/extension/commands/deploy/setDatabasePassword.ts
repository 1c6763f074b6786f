// "Greenlight: Set Database Password…": stores (or replaces) an environment's database password in
// SecretStorage ahead of the first operation that needs it (the walkthrough's third step).
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { pickEnvironment } from './common';

export function setDatabasePassword(s: Services) {
  return async (arg?: unknown): Promise<boolean> => {
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Set Database Password: environment'));
    if (!env) return false;
    const typed = await s.prompts.showInputBox({
      title: vscode.l10n.t('Database password for {0}', env.name),
      prompt: vscode.l10n.t("Password of {0} on {1}. Kept in VS Code's secret storage, never in settings or files.", env.database ?? vscode.l10n.t('the database'), env.name),
      placeHolder: vscode.l10n.t('leave empty if the database needs no password'),
      password: true,
      ignoreFocusOut: true,
    });
    if (typed === undefined) return false;
    await s.secrets.store(s.project.summary?.project ?? 'project', env.name, typed);
    s.output.info(`stored the database password of ${env.name} in secret storage`);
    void s.prompts.showInformationMessage(vscode.l10n.t("The database password of {0} is stored in VS Code's secret storage.", env.name));
    return true;
  };
}
