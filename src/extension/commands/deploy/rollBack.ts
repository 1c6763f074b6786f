// "Greenlight: Roll Back" (palette, and Roll Back on an environment): to the previous version or
// a chosen retained one. When release tasks (migrations, seeds) ran since that version, they are
// listed before anything changes (the code goes back, the database does not) and the pre-deploy
// backup taken before them is offered afterwards, restored only after a modal confirmation.
import * as vscode from 'vscode';
import type { MigrationsSinceDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { formatAge } from '../../views/imagesView';
import { pickEnvironment, refreshEnvironment, restoreWithConfirmation, runEnvJob } from './common';

export interface RollBackArgs {
  readonly env?: string | { readonly name: string };
  readonly service?: string;
  readonly toVersion?: string;
}

function describeMigrations(m: MigrationsSinceDto): string {
  return m.deploys.map((d) => `${d.version} (${d.tasks.join(', ')})`).join('; ');
}

export function rollBack(s: Services) {
  return async (arg?: RollBackArgs): Promise<void> => {
    const root = s.project.root;
    if (!root) return;
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Roll Back: environment'));
    if (!env) return;
    const summary = s.project.summary!;
    let service = arg?.service;
    if (!service && summary.services.length > 1) {
      const picked = await s.prompts.showQuickPick(summary.services.map((x) => ({ label: x.name })), { title: vscode.l10n.t('Roll back on {0}: service', env.name), ignoreFocusOut: true });
      if (!picked) return;
      service = picked.label;
    }
    const plan = await runEnvJob(s, vscode.l10n.t('Greenlight: Reading retained versions on {0}', env.name), 'deploy.rollbackPlan', { workspaceRoot: root, env: env.name, service }, { env: env.name });
    if (!plan) return;
    if (plan.retained.length === 0) return void s.prompts.showInformationMessage(vscode.l10n.t('No previous version of {0} is kept on {1}: nothing to roll back to.', plan.service, env.name));
    let target = arg?.toVersion ? plan.retained.find((r) => r.version === arg.toVersion) : undefined;
    if (arg?.toVersion && !target) return void s.prompts.showErrorMessage(vscode.l10n.t('{0} is not kept on {1} (kept: {2}).', arg.toVersion, env.name, plan.retained.map((r) => r.version).join(', ')));
    if (!target) {
      const items = plan.retained.map((r, i): vscode.QuickPickItem & { r: typeof r } => ({
        label: r.version,
        description: `${i === 0 ? `${vscode.l10n.t('previous')} · ` : ''}${vscode.l10n.t('stopped {0}', formatAge(r.createdAt))}`,
        detail: r.migrationsSince ? `$(warning) ${vscode.l10n.t('release tasks ran since: {0}', describeMigrations(r.migrationsSince))}` : undefined,
        r,
      }));
      const picked = await s.prompts.showQuickPick(items, { title: vscode.l10n.t('Roll back {0} on {1} (now {2})', plan.service, env.name, plan.current ?? vscode.l10n.t('nothing')), placeHolder: vscode.l10n.t('Version to return to'), ignoreFocusOut: true });
      if (!picked) return;
      target = picked.r;
    }
    const m = target.migrationsSince;
    const detail = m
      ? vscode.l10n.t('Release tasks ran since {0}: {1}. The code goes back, the database does not.', target.version, describeMigrations(m)) +
        (m.backupId ? vscode.l10n.t(' Backup {0} was taken before them; you can restore it after the rollback.', m.backupId) : vscode.l10n.t(' No backup was taken before them.'))
      : vscode.l10n.t('{0} is kept so you can roll forward again.', plan.current ?? vscode.l10n.t('The current version'));
    const rollBackLabel = vscode.l10n.t('Roll Back');
    const go = await s.prompts.modal(vscode.l10n.t('Roll back {0} on {1} from {2} to {3}?', plan.service, env.name, plan.current ?? vscode.l10n.t('nothing'), target.version), detail, rollBackLabel);
    if (go !== rollBackLabel) return;
    const r = await runEnvJob(s, vscode.l10n.t('Greenlight: Rolling back {0} on {1} to {2}', plan.service, env.name, target.version), 'deploy.rollback', { workspaceRoot: root, env: env.name, service, toVersion: target.version }, { env: env.name });
    refreshEnvironment(s, env.name);
    if (!r) return;
    s.output[r.outcome === 'succeeded' ? 'info' : 'error'](`rollback ${r.outcome}: ${r.message} (${r.rollbackMs} ms)`);
    if (r.outcome !== 'succeeded') return void s.prompts.showErrorMessage(vscode.l10n.t('Roll back failed: {0}', r.message));
    const backupId = r.migrationsSince?.backupId;
    if (!backupId) return void s.prompts.showInformationMessage(vscode.l10n.t('{0} is serving on {1} (was {2}).', r.to, env.name, r.from ?? vscode.l10n.t('nothing')));
    const restore = vscode.l10n.t('Restore Backup…');
    const a = await s.prompts.showWarningMessage(
      vscode.l10n.t('{0} is serving on {1}. Release tasks ran since it ({2}); the database was not rolled back.', r.to, env.name, describeMigrations(r.migrationsSince!)),
      restore,
    );
    if (a === restore) {
      await restoreWithConfirmation(s, env, backupId, vscode.l10n.t('It was taken before the release tasks of {0}.', r.migrationsSince!.deploys.map((d) => d.version).join(', ')));
      refreshEnvironment(s, env.name);
    }
  };
}
