// "Verify this migration" (CodeLens, editor title, explorer, panel row): the chain through this
// file on a scratch database, this file run twice; the result names the statement that failed or
// changed the database the second time.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MigrationVerifyDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { requireTrustToRun, withMigrationProgress } from './runMigrationJob';

export function verifyMigrationFile(s: Services) {
  return async (arg?: vscode.Uri | string): Promise<MigrationVerifyDto | undefined> => {
    const uri = typeof arg === 'string' ? vscode.Uri.file(arg) : (arg ?? vscode.window.activeTextEditor?.document.uri);
    if (!uri || !s.migrations.isMigrationFile(uri)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} is not a migration in {1}.', uri ? path.basename(uri.fsPath) : vscode.l10n.t('No file'), s.migrations.dir ?? vscode.l10n.t('the migrations directory')));
      return undefined;
    }
    if (!requireTrustToRun(vscode.l10n.t('Verify'))) return undefined;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    // The service reads the file from disk: verify what the user sees.
    if (doc?.isDirty) await doc.save();
    const name = path.basename(uri.fsPath);
    const r = await withMigrationProgress(s, vscode.l10n.t('Greenlight: Verifying {0}', name), (opts) => s.migrations.verify(name, opts));
    if (r) reportVerify(s, r, name);
    return r;
  };
}

/** One notification for a verify result, with the way to the details. */
export function reportVerify(s: Services, r: MigrationVerifyDto, fileName?: string): void {
  s.output.info(r.text);
  const mine = fileName ? r.migrations.find((m) => m.fileName === fileName) : undefined;
  const bad = r.migrations.find((m) => m.status === 'failed' || m.status === 'not-idempotent');
  const showReport = vscode.l10n.t('Show Report');
  const goToProblem = vscode.l10n.t('Go to Problem');
  const open = async (a: string | undefined): Promise<void> => {
    if (a === showReport) await vscode.commands.executeCommand('greenlight.migrations.showVerifyReport');
    if (a === goToProblem && bad?.problem?.location) {
      const loc = bad.problem.location;
      await vscode.window.showTextDocument(vscode.Uri.file(loc.file), { selection: new vscode.Range(loc.line - 1, loc.column - 1, loc.line - 1, loc.column - 1) });
    }
  };
  if (r.ok) {
    const seconds = (r.durationMs / 1000).toFixed(1);
    const message = mine
      ? vscode.l10n.t('Verify passed — {0}: ran twice with the same result ({1} s).', fileName ?? '', seconds)
      : vscode.l10n.t('Verify passed — {0} migrations ran twice with the same result ({1} s).', r.migrations.length, seconds);
    void vscode.window.showInformationMessage(message, showReport).then(open);
    return;
  }
  const where = bad ? `${bad.fileName}${bad.problem?.location ? `:${bad.problem.location.line}` : ''}` : vscode.l10n.t('a check');
  const why = bad?.problem?.message.split('\n')[0] ?? r.checks.find((c) => !c.ok)?.message ?? vscode.l10n.t('see the report');
  const message = bad?.status === 'not-idempotent' ? vscode.l10n.t('Verify failed — {0} not idempotent: {1}', where, why) : vscode.l10n.t('Verify failed — {0} failed: {1}', where, why);
  void vscode.window.showErrorMessage(message, ...(bad?.problem?.location ? [goToProblem] : []), showReport).then(open);
}
