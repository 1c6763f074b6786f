// "Greenlight: Dry Run Migrations": the pending migrations of one target (the local database or an
// environment's) executed inside a transaction that is rolled back; nothing is committed. On an
// environment it holds the migration lock while it runs, so the user confirms first.
import * as vscode from 'vscode';
import type { MigrationDryRunDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { pickMigrationTarget, requireTrustToRun, withMigrationProgress } from './runMigrationJob';

export function dryRunMigrations(s: Services) {
  return async (target?: string): Promise<MigrationDryRunDto | undefined> => {
    if (!requireTrustToRun(vscode.l10n.t('A dry run'))) return undefined;
    const t = await pickMigrationTarget(s, target, vscode.l10n.t('Dry run the pending migrations on'));
    if (!t) return undefined;
    if (t.kind === 'environment') {
      const dryRun = vscode.l10n.t('Dry Run');
      const go = await vscode.window.showWarningMessage(
        vscode.l10n.t('Dry run on {0}?', t.label),
        { modal: true, detail: vscode.l10n.t('The pending migrations run on {0} inside a transaction that is rolled back, holding the migration lock while they run. Nothing is committed.', t.database ?? '') },
        dryRun,
      );
      if (go !== dryRun) return undefined;
    }
    const r = await withMigrationProgress(s, vscode.l10n.t('Greenlight: Dry run on {0}', t.label), (opts) => s.migrations.dryRun(t.id, opts));
    if (!r) return undefined;
    s.output.info(r.text);
    const summary = r.text.trim().split('\n').at(-1) ?? '';
    const showOutput = vscode.l10n.t('Show Output');
    const show = (a: string | undefined): void => {
      if (a === showOutput) s.output.show();
    };
    if (r.ok) void vscode.window.showInformationMessage(vscode.l10n.t('Dry run on {0}: {1} pending — {2}.', t.label, r.pending.length, summary), showOutput).then(show);
    else void vscode.window.showErrorMessage(vscode.l10n.t('Dry run on {0} failed: {1}', t.label, r.pending.find((p) => p.problem)?.problem?.message.split('\n')[0] ?? summary), showOutput).then(show);
    return r;
  };
}
