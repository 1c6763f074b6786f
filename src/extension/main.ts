// Composition root. activate() builds the Services object, starts the background service,
// registers views and commands, and does no work of its own. It reports its own failure,
// because VS Code only logs a failed activation where nobody looks.
import * as vscode from 'vscode';
import { registerCommands } from './commands/register';
import { ProjectState } from './projectState';
import { ServiceClient } from './serviceClient';
import type { Services } from './services';
import { EnvironmentStatusCache, EnvironmentsView } from './views/environmentsView';
import { ImagesView } from './views/imagesView';
import { windowPrompts } from './commands/deploy/prompts';
import { EnvironmentSecrets } from './secrets';
import { DeployStatusBar } from './statusBar';
import { BackupsView } from './views/backupsView';
import { MigrationCodeLens, MIGRATION_FILE_SELECTOR } from './migrationCodeLens';
import { MigrationPanel, MIGRATION_PANEL_VIEW_TYPE } from './panels/migrationPanel';
import { MigrationsModel } from './panels/migrationsModel';
import { GreenlightTaskProvider, TASK_TYPE } from './tasks';

/** What activate() returns: the tests use it to reach the live parts without globals. */
export interface GreenlightApi {
  readonly services: Services;
  /** How long activate() took, service start included (docs/benchmarks.md reports it). */
  readonly activationMs: number;
}

export async function activate(context: vscode.ExtensionContext): Promise<GreenlightApi> {
  const started = performance.now();
  const output = vscode.window.createOutputChannel('Greenlight', { log: true });
  context.subscriptions.push(output);
  try {
    const version = String(context.extension.packageJSON.version ?? '0.0.0');
    const client = new ServiceClient(context.asAbsolutePath('dist/service.js'), output, version);
    context.subscriptions.push(client);
    const project = new ProjectState(client, output);
    context.subscriptions.push(project);
    const images = new ImagesView(client, () => project.root);
    context.subscriptions.push(images);
    const prompts = windowPrompts();
    const secrets = new EnvironmentSecrets(context.secrets, prompts, () => vscode.workspace.workspaceFolders?.[0]?.uri.toString());
    const migrations = new MigrationsModel(client, project, secrets);
    const migrationPanel = new MigrationPanel(context.extensionUri, migrations, output);
    context.subscriptions.push(migrations, migrationPanel);
    const environments = new EnvironmentsView(project, new EnvironmentStatusCache(client, () => project.root));
    const backups = new BackupsView(client, project);
    const statusBar = new DeployStatusBar(project, environments.status);
    context.subscriptions.push(environments.status, environments, backups, statusBar);
    const services: Services = { context, output, client, project, images, migrations, migrationPanel, prompts, secrets, environments, backups, statusBar };

    context.subscriptions.push(
      vscode.window.registerTreeDataProvider('greenlight.views.environments', environments),
      vscode.window.registerTreeDataProvider('greenlight.views.images', images),
      vscode.window.registerTreeDataProvider('greenlight.views.backups', backups),
      ...registerCommands(services),
      vscode.window.registerWebviewPanelSerializer(MIGRATION_PANEL_VIEW_TYPE, migrationPanel),
      vscode.languages.registerCodeLensProvider(MIGRATION_FILE_SELECTOR, new MigrationCodeLens(migrations)),
      vscode.tasks.registerTaskProvider(TASK_TYPE, new GreenlightTaskProvider(context.asAbsolutePath('dist/cli.js'))),
    );

    // The service process starts in the background: activation does not wait for it (the editor
    // stays responsive), and every request waits for the client to be running (vscode-languageclient
    // starts the connection before sending). Views fill in once the service answers.
    void client.start().then(
      () => {
        void project.refresh();
        void images.refresh();
      },
      (e: unknown) => {
        const message = vscode.l10n.t("Greenlight's background service did not start: {0}", e instanceof Error ? e.message : String(e));
        output.error(message);
        void vscode.window.showErrorMessage(message, vscode.l10n.t('Show Output')).then((a) => a && output.show());
      },
    );
    const activationMs = performance.now() - started;
    output.info(`Greenlight ${version} activated in ${activationMs.toFixed(1)} ms`);
    return { services, activationMs };
  } catch (e) {
    const message = vscode.l10n.t('Greenlight failed to activate: {0}', e instanceof Error ? e.message : String(e));
    output.error(message);
    void vscode.window.showErrorMessage(message, vscode.l10n.t('Show Output')).then((a) => a && output.show());
    throw e;
  }
}

export function deactivate(): void {
  // Disposables registered on the context stop the service and release the views.
}
