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
    if (!requireTrustToRun('A drift check')) return undefined;
    const t = await pickMigrationTarget(s, target, 'Check the schema drift of');
    if (!t) return undefined;
    const label = t.label;
    const r = await withMigrationProgress(s, `Greenlight: Checking drift on ${label}`, (opts) => s.migrations.drift(t.id, opts));
    if (!r) return undefined;
    s.output.info(r.text);
    const show = (a: string | undefined): void => {
      if (a === 'Show Output') s.output.show();
    };
    const n = r.differences.length;
    if (n === 0) void vscode.window.showInformationMessage(`No drift on ${label}: the schema matches its ${r.comparedFiles} applied migration${r.comparedFiles === 1 ? '' : 's'}.`, 'Show Output').then(show);
    else void vscode.window.showWarningMessage(`Drift on ${label}: ${n} difference${n === 1 ? '' : 's'} from its migrations (${r.differences.slice(0, 3).map((d) => `${d.kind} ${d.object}`).join(', ')}${n > 3 ? ', …' : ''}).`, 'Show Output').then(show);
    return r;
  };
}
