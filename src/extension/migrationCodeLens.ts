// "Verify this migration" above the first line of every migration file, and, once a verify has
// covered the file, its verdict (which opens the report). The lenses follow MigrationsModel: a new
// verdict, an edited file or a moved migrations directory re-renders them.
import * as vscode from 'vscode';
import type { MigrationsModel } from './panels/migrationsModel';

export const MIGRATION_FILE_SELECTOR: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.{sql,aql,json}' }];

const VERDICT_TITLE = {
  ok: '$(pass) Verified: ran twice, same result',
  failed: '$(error) Verify failed',
  'not-idempotent': '$(error) Not idempotent',
  'already-applied': '$(circle-outline) Already applied in the restored copy',
  'not-run': '$(circle-outline) Not run',
} as const;

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
        title: '$(beaker) Verify this migration',
        tooltip: 'Run the migrations through this file on a scratch database, this one twice, and compare the results',
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
          title: `${VERDICT_TITLE[v.status]}${detail.length > 90 ? `${detail.slice(0, 89)}…` : detail}`,
          tooltip: `${v.problem?.message ?? 'Verified'} (${new Date(v.finishedAt).toLocaleString()}); click for the report`,
          command: 'greenlight.migrations.showVerifyReport',
        }),
      );
    }
    lenses.push(new vscode.CodeLens(top, { title: 'Open Migrations', command: 'greenlight.migrations.openPanel' }));
    return lenses;
  }

  dispose(): void {
    this.#sub.dispose();
    this.#onDidChange.dispose();
  }
}
