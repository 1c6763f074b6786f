// "Greenlight: Forget Secret": removes one stored secretEnv value of an environment from
// SecretStorage, so the next deploy that needs it asks again (a rotated API key, a typo).
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { pickEnvironment } from './common';

/** Optional argument (a view row, or tests): the environment and the variable name. */
export interface ForgetSecretArgs {
  readonly env?: string | { readonly name: string };
  readonly name?: string;
}

export function forgetSecret(s: Services) {
  return async (arg?: ForgetSecretArgs): Promise<boolean> => {
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Forget Secret: environment'));
    if (!env) return false;
    const project = s.project.summary?.project ?? 'project';
    const names = [...new Set((s.project.summary?.services ?? []).flatMap((x) => x.secretEnv))].sort();
    const stored: string[] = [];
    for (const n of names) if ((await s.secrets.storedSecretEnv(project, env.name, n)) !== undefined) stored.push(n);
    let name = arg?.name;
    if (!name) {
      if (stored.length === 0) {
        void s.prompts.showInformationMessage(
          names.length
            ? vscode.l10n.t('No secret of {0} is stored (secretEnv: {1}).', env.name, names.join(', '))
            : vscode.l10n.t('No secret of {0} is stored: no service declares secretEnv.', env.name),
        );
        return false;
      }
      const picked = await s.prompts.showQuickPick(
        stored.map((n) => ({ label: n, description: vscode.l10n.t('stored') })),
        { title: vscode.l10n.t('Forget Secret: which secret of {0}', env.name), ignoreFocusOut: true },
      );
      if (!picked) return false;
      name = picked.label;
    }
    await s.secrets.forgetSecretEnv(project, env.name, name);
    s.output.info(`forgot the stored secret ${name} of ${env.name}`);
    void s.prompts.showInformationMessage(vscode.l10n.t('The secret {0} of {1} was removed from secret storage; the next deploy asks for it.', name, env.name));
    return true;
  };
}
