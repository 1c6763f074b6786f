// "Greenlight: Check Schema Drift": compares one target's schema (the local database or an
// environment's) with a fresh migrate of the files its ledger lists, object by object. The target
// is only read; the fresh migrate runs the workspace's SQL on a scratch database, so it needs a
// trusted workspace.
import * as vscode from 'vscode';
import type { MigrationDriftDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { requireTrustToRun, withMigrationProgress } from './runMigrationJob';

export function checkSchemaDrift(s: Services) {
  return async (target?: string): Promise<MigrationDriftDto | undefined> => {
    if (!requireTrustToRun('A drift check')) return undefined;
    if (!s.migrations.status) await s.migrations.refresh();
    const targets = s.migrations.status?.targets ?? [];
    if (!target) {
      const pick = await vscode.window.showQuickPick(
        targets.map((t) => ({ label: t.label, description: t.database, detail: t.reachable ? undefined : `unreachable: ${t.problem}`, id: t.id })),
        { title: 'Check the schema drift of', placeHolder: 'a database' },
      );
      if (!pick) return undefined;
      target = pick.id;
    }
    const label = targets.find((x) => x.id === target)?.label ?? target;
    const r = await withMigrationProgress(s, `Greenlight: Checking drift on ${label}`, (opts) => s.migrations.drift(target, opts));
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
