// "Verify this migration" above the first line of every migration file, and, once a verify has
// covered the file, its verdict (which opens the report). The lenses follow MigrationsModel: a new
// verdict, an edited file or a moved migrations directory re-renders them.
import * as vscode from 'vscode';
import type { MigrationsModel } from './panels/migrationsModel';

export const MIGRATION_FILE_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.{sql,aql,json}' }];

/** The verdict lens's title per status (a function: vscode.l10n.t answers in the display language). */
function verdictTitle(status: 'ok' | 'failed' | 'not-idempotent' | 'already-applied' | 'not-run'): string {
  switch (status) {
    case 'ok':
      return `$(pass) ${vscode.l10n.t('Verified: ran twice, same result')}`;
    case 'failed':
      return `$(error) ${vscode.l10n.t('Verify failed')}`;
    case 'not-idempotent':
      return `$(error) ${vscode.l10n.t('Not idempotent')}`;
    case 'already-applied':
      return `$(circle-outline) ${vscode.l10n.t('Already applied in the restored copy')}`;
    case 'not-run':
      return `$(circle-outline) ${vscode.l10n.t('Not run')}`;
  }
}

export class MigrationCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  readonly #onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.#onDidChange.event;
  readonly #sub: vscode.Disposable;

  constructor(private readonly model: MigrationsModel) {
    this.#sub = model.onDidChange(() => this.#onDidChange.fire());
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.model.isMigrationFile(doc.uri)) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(top, {
        title: `$(beaker) ${vscode.l10n.t('Verify this migration')}`,
        tooltip: vscode.l10n.t('Run the migrations through this file on a scratch database, this one twice, and compare the results'),
        command: 'greenlight.migrations.verifyFile',
        arguments: [doc.uri],
      }),
    ];
    const name = doc.uri.path.split('/').pop() ?? '';
    const v = this.model.verdict(name);
    if (v) {
      const detail = v.problem ? `: ${v.problem.message.split('\n')[0]}` : '';
      lenses.push(
        new vscode.CodeLens(top, {
          title: `${verdictTitle(v.status)}${detail.length > 90 ? `${detail.slice(0, 89)}…` : detail}`,
          tooltip: vscode.l10n.t('{0} ({1}); click for the report', v.problem?.message ?? vscode.l10n.t('Verified'), new Date(v.finishedAt).toLocaleString()),
          command: 'greenlight.migrations.showVerifyReport',
        }),
      );
    }
    lenses.push(new vscode.CodeLens(top, { title: vscode.l10n.t('Open Migrations'), command: 'greenlight.migrations.openPanel' }));
    return lenses;
  }

  dispose(): void {
    this.#sub.dispose();
    this.#onDidChange.dispose();
  }
}
