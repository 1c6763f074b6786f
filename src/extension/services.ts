// The one object that holds the extension's long-lived parts. activate() builds it; commands,
// views and panels receive it (or the parts they need) as arguments: no globals.
import type * as vscode from 'vscode';
import type { ServiceClient } from './serviceClient';
import type { ProjectState } from './projectState';
import type { ImagesView } from './views/imagesView';
import type { Prompts } from './commands/deploy/prompts';
import type { EnvironmentSecrets } from './secrets';
import type { BackupsView } from './views/backupsView';
import type { EnvironmentsView } from './views/environmentsView';
import type { DeployStatusBar } from './statusBar';
import type { MigrationPanel } from './panels/migrationPanel';
import type { MigrationsModel } from './panels/migrationsModel';

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly output: vscode.LogOutputChannel;
  readonly client: ServiceClient;
  readonly project: ProjectState;
  /** The Images view; image commands refresh it when their job ends. */
  readonly images: ImagesView;
  /** Questions the deploy and backup commands ask; tests replace its functions to answer them. */
  readonly prompts: Prompts;
  /** Environment database passwords in SecretStorage. */
  readonly secrets: EnvironmentSecrets;
  /** The Environments view and its live status per environment (shared with the status bar). */
  readonly environments: EnvironmentsView;
  readonly backups: BackupsView;
  readonly statusBar: DeployStatusBar;
  /** Migration status per target, verify and dry-run results; the panel and the CodeLens render it. */
  readonly migrations: MigrationsModel;
  readonly migrationPanel: MigrationPanel;
}
