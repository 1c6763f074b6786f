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
      void vscode.window.showWarningMessage(`${uri ? path.basename(uri.fsPath) : 'No file'} is not a migration in ${s.migrations.dir ?? 'the migrations directory'}.`);
      return undefined;
    }
    if (!requireTrustToRun('Verify')) return undefined;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    // The service reads the file from disk: verify what the user sees.
    if (doc?.isDirty) await doc.save();
    const name = path.basename(uri.fsPath);
    const r = await withMigrationProgress(s, `Greenlight: Verifying ${name}`, (opts) => s.migrations.verify(name, opts));
    if (r) reportVerify(s, r, name);
    return r;
  };
}

/** One notification for a verify result, with the way to the details. */
export function reportVerify(s: Services, r: MigrationVerifyDto, fileName?: string): void {
  s.output.info(r.text);
  const mine = fileName ? r.migrations.find((m) => m.fileName === fileName) : undefined;
  const bad = r.migrations.find((m) => m.status === 'failed' || m.status === 'not-idempotent');
  const open = async (a: string | undefined): Promise<void> => {
    if (a === 'Show Report') await vscode.commands.executeCommand('greenlight.migrations.showVerifyReport');
    if (a === 'Open Migrations') await vscode.commands.executeCommand('greenlight.migrations.openPanel');
    if (a === 'Go to Problem' && bad?.problem?.location) {
      const loc = bad.problem.location;
      await vscode.window.showTextDocument(vscode.Uri.file(loc.file), { selection: new vscode.Range(loc.line - 1, loc.column - 1, loc.line - 1, loc.column - 1) });
    }
  };
  if (r.ok) {
    const what = mine ? `${fileName}: ran twice with the same result` : `${r.migrations.length} migrations ran twice with the same result`;
    void vscode.window.showInformationMessage(`Verify passed — ${what} (${(r.durationMs / 1000).toFixed(1)} s).`, 'Show Report').then(open);
    return;
  }
  const where = bad ? `${bad.fileName}${bad.problem?.location ? `:${bad.problem.location.line}` : ''}` : 'a check';
  const why = bad?.problem?.message.split('\n')[0] ?? r.checks.find((c) => !c.ok)?.message ?? 'see the report';
  const status = bad?.status === 'not-idempotent' ? 'not idempotent' : 'failed';
  void vscode.window.showErrorMessage(`Verify failed — ${where} ${status}: ${why}`, ...(bad?.problem?.location ? ['Go to Problem'] : []), 'Show Report').then(open);
}
