// "Greenlight: Roll Back" (palette, and Roll Back on an environment): to the previous version or
// a chosen retained one. When release tasks (migrations, seeds) ran since that version, they are
// listed before anything changes (the code goes back, the database does not) and the pre-deploy
// backup taken before them is offered afterwards, restored only after a modal confirmation.
import type * as vscode from 'vscode';
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
    const env = await pickEnvironment(s, arg, 'Roll Back: environment');
    if (!env) return;
    const summary = s.project.summary!;
    let service = arg?.service;
    if (!service && summary.services.length > 1) {
      const picked = await s.prompts.showQuickPick(summary.services.map((x) => ({ label: x.name })), { title: `Roll back on ${env.name}: service`, ignoreFocusOut: true });
      if (!picked) return;
      service = picked.label;
    }
    const plan = await runEnvJob(s, `Greenlight: Reading retained versions on ${env.name}`, 'deploy.rollbackPlan', { workspaceRoot: root, env: env.name, service }, { env: env.name });
    if (!plan) return;
    if (plan.retained.length === 0) return void s.prompts.showInformationMessage(`No previous version of ${plan.service} is kept on ${env.name}: nothing to roll back to.`);
    let target = arg?.toVersion ? plan.retained.find((r) => r.version === arg.toVersion) : undefined;
    if (arg?.toVersion && !target) return void s.prompts.showErrorMessage(`${arg.toVersion} is not kept on ${env.name} (kept: ${plan.retained.map((r) => r.version).join(', ')}).`);
    if (!target) {
      const items = plan.retained.map((r, i): vscode.QuickPickItem & { r: typeof r } => ({
        label: r.version,
        description: `${i === 0 ? 'previous · ' : ''}stopped ${formatAge(r.createdAt)}`,
        detail: r.migrationsSince ? `$(warning) release tasks ran since: ${describeMigrations(r.migrationsSince)}` : undefined,
        r,
      }));
      const picked = await s.prompts.showQuickPick(items, { title: `Roll back ${plan.service} on ${env.name} (now ${plan.current ?? 'nothing'})`, placeHolder: 'Version to return to', ignoreFocusOut: true });
      if (!picked) return;
      target = picked.r;
    }
    const m = target.migrationsSince;
    const detail = m
      ? `Release tasks ran since ${target.version}: ${describeMigrations(m)}. The code goes back, the database does not.` +
        (m.backupId ? ` Backup ${m.backupId} was taken before them; you can restore it after the rollback.` : ' No backup was taken before them.')
      : `${plan.current ?? 'The current version'} is kept so you can roll forward again.`;
    const go = await s.prompts.modal(`Roll back ${plan.service} on ${env.name} from ${plan.current ?? 'nothing'} to ${target.version}?`, detail, 'Roll Back');
    if (go !== 'Roll Back') return;
    const r = await runEnvJob(s, `Greenlight: Rolling back ${plan.service} on ${env.name} to ${target.version}`, 'deploy.rollback', { workspaceRoot: root, env: env.name, service, toVersion: target.version }, { env: env.name });
    refreshEnvironment(s, env.name);
    if (!r) return;
    s.output[r.outcome === 'succeeded' ? 'info' : 'error'](`rollback ${r.outcome}: ${r.message} (${r.rollbackMs} ms)`);
    if (r.outcome !== 'succeeded') return void s.prompts.showErrorMessage(`Roll back failed: ${r.message}`);
    const backupId = r.migrationsSince?.backupId;
    if (!backupId) return void s.prompts.showInformationMessage(`${r.to} is serving on ${env.name} (was ${r.from ?? 'nothing'}).`);
    const a = await s.prompts.showWarningMessage(
      `${r.to} is serving on ${env.name}. Release tasks ran since it (${describeMigrations(r.migrationsSince!)}); the database was not rolled back.`,
      'Restore Backup…',
    );
    if (a === 'Restore Backup…') {
      await restoreWithConfirmation(s, env, backupId, `It was taken before the release tasks of ${r.migrationsSince!.deploys.map((d) => d.version).join(', ')}.`);
      refreshEnvironment(s, env.name);
    }
  };
}
