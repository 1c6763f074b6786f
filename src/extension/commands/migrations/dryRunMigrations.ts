// "Greenlight: Dry Run Migrations": the pending migrations of one target (the local database or an
// environment's) executed inside a transaction that is rolled back; nothing is committed. On an
// environment it holds the migration lock while it runs, so the user confirms first.
import * as vscode from 'vscode';
import type { MigrationDryRunDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { pickMigrationTarget, requireTrustToRun, withMigrationProgress } from './runMigrationJob';

export function dryRunMigrations(s: Services) {
  return async (target?: string): Promise<MigrationDryRunDto | undefined> => {
    if (!requireTrustToRun('A dry run')) return undefined;
    const t = await pickMigrationTarget(s, target, 'Dry run the pending migrations on');
    if (!t) return undefined;
    if (t.kind === 'environment') {
      const go = await vscode.window.showWarningMessage(
        `Dry run on ${t.label}?`,
        { modal: true, detail: `The pending migrations run on ${t.database} inside a transaction that is rolled back, holding the migration lock while they run. Nothing is committed.` },
        'Dry Run',
      );
      if (go !== 'Dry Run') return undefined;
    }
    const r = await withMigrationProgress(s, `Greenlight: Dry run on ${t.label}`, (opts) => s.migrations.dryRun(t.id, opts));
    if (!r) return undefined;
    s.output.info(r.text);
    const summary = r.text.trim().split('\n').at(-1) ?? '';
    const show = (a: string | undefined): void => {
      if (a === 'Show Output') s.output.show();
    };
    if (r.ok) void vscode.window.showInformationMessage(`Dry run on ${t.label}: ${r.pending.length} pending — ${summary}.`, 'Show Output').then(show);
    else void vscode.window.showErrorMessage(`Dry run on ${t.label} failed: ${r.pending.find((p) => p.problem)?.problem?.message.split('\n')[0] ?? summary}`, 'Show Output').then(show);
    return r;
  };
}
