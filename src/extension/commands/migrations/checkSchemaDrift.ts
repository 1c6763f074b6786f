// "Greenlight: Check Schema Drift": compares one target's schema (the local database or an
// environment's) with a fresh migrate of the files its ledger lists, object by object. The target
// is only read; the fresh migrate runs the workspace's SQL on a scratch database, so it needs a
// trusted workspace.
import * as vscode from 'vscode';
import type { MigrationDriftDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { pickMigrationTarget, requireTrustToRun, withMigrationProgress } from './runMigrationJob';

export function checkSchemaDrift(s: Services) {
  return async (target?: string): Promise<MigrationDriftDto | undefined> => {
    if (!requireTrustToRun(vscode.l10n.t('A drift check'))) return undefined;
    const t = await pickMigrationTarget(s, target, vscode.l10n.t('Check the schema drift of'));
    if (!t) return undefined;
    const label = t.label;
    const r = await withMigrationProgress(s, vscode.l10n.t('Greenlight: Checking drift on {0}', label), (opts) => s.migrations.drift(t.id, opts));
    if (!r) return undefined;
    s.output.info(r.text);
    const showOutput = vscode.l10n.t('Show Output');
    const show = (a: string | undefined): void => {
      if (a === showOutput) s.output.show();
    };
    const n = r.differences.length;
    if (n === 0) {
      const message = r.comparedFiles === 1 ? vscode.l10n.t('No drift on {0}: the schema matches its {1} applied migration.', label, r.comparedFiles) : vscode.l10n.t('No drift on {0}: the schema matches its {1} applied migrations.', label, r.comparedFiles);
      void vscode.window.showInformationMessage(message, showOutput).then(show);
    } else {
      const first = `${r.differences.slice(0, 3).map((d) => `${d.kind} ${d.object}`).join(', ')}${n > 3 ? ', …' : ''}`;
      const message = n === 1 ? vscode.l10n.t('Drift on {0}: {1} difference from its migrations ({2}).', label, n, first) : vscode.l10n.t('Drift on {0}: {1} differences from its migrations ({2}).', label, n, first);
      void vscode.window.showWarningMessage(message, showOutput).then(show);
    }
    return r;
  };
}
