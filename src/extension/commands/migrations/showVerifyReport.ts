// "Greenlight: Show Migration Verify Report": the text report of the last verify, kept by the
// service in .greenlight/migrations/verify-report.txt, so it is there after a reload too.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { VERIFY_REPORT_FILE } from '../../../service/protocol';
import type { Services } from '../../services';

export function showVerifyReport(s: Services) {
  return async (): Promise<void> => {
    const root = s.project.root;
    const file = s.migrations.lastVerify?.reportFile ?? (root ? path.join(root, VERIFY_REPORT_FILE) : undefined);
    try {
      if (!file) throw new Error('no folder is open');
      await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true, viewColumn: vscode.ViewColumn.Beside });
    } catch {
      const a = await vscode.window.showInformationMessage(vscode.l10n.t('No migration verify report yet. Verify the migrations first.'), vscode.l10n.t('Verify All Migrations'));
      if (a) await vscode.commands.executeCommand('greenlight.migrations.verify');
    }
  };
}
