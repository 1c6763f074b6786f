// Registers every command id declared in package.json with its handler factory. The extension-
// host test "every contributed command is registered" keeps this list and the manifest in step.
import * as vscode from 'vscode';
import type { Services } from '../services';
import { backUpNow } from './deploy/backUpNow';
import { deleteBackup } from './deploy/deleteBackup';
import { deployTestedImage } from './deploy/deployTestedImage';
import { deployWithBackup } from './deploy/deployWithBackup';
import { downloadBackup } from './deploy/downloadBackup';
import { forgetDatabasePassword } from './deploy/forgetDatabasePassword';
import { forgetSecret } from './deploy/forgetSecret';
import { refreshEnvironment } from './deploy/refreshEnvironment';
import { restoreBackup } from './deploy/restoreBackup';
import { rollBack } from './deploy/rollBack';
import { setDatabasePassword } from './deploy/setDatabasePassword';
import { setIdentityFile } from './deploy/setIdentityFile';
import { openContainerInBrowser, restartContainer, stopContainer, viewContainerLogs } from './environments/containers';
import { openShell } from './environments/openShell';
import { trustHostKey } from './deploy/trustHostKey';
import { verifyBackup } from './deploy/verifyBackup';
import { buildImages } from './images/buildImages';
import { copyTag } from './images/copyTag';
import { exportTestedImages } from './images/exportTestedImages';
import { refreshImages } from './images/refreshImages';
import { removeImage } from './images/removeImage';
import { showTestLog } from './images/showTestLog';
import { testImages } from './images/testImages';
import { checkSchemaDrift } from './migrations/checkSchemaDrift';
import { dryRunMigrations } from './migrations/dryRunMigrations';
import { openMigrationsPanel } from './migrations/openPanel';
import { refreshMigrations } from './migrations/refreshMigrations';
import { showVerifyReport } from './migrations/showVerifyReport';
import { verifyMigrationFile } from './migrations/verifyMigrationFile';
import { verifyMigrations } from './migrations/verifyMigrations';
import { createProjectFile } from './createProjectFile';
import { openConfig } from './openConfig';
import { refreshViews } from './refreshViews';
import { restartService } from './restartService';
import { showServiceHealth } from './showServiceHealth';

type Factory = (s: Services) => (...args: never[]) => unknown;

const COMMANDS: Record<string, Factory> = {
  'greenlight.service.showHealth': showServiceHealth,
  'greenlight.service.restart': restartService,
  'greenlight.config.open': openConfig,
  'greenlight.config.create': createProjectFile,
  'greenlight.environments.refresh': refreshViews,
  'greenlight.images.build': buildImages,
  'greenlight.images.test': testImages,
  'greenlight.images.export': exportTestedImages,
  'greenlight.images.remove': removeImage,
  'greenlight.images.copyTag': copyTag,
  'greenlight.images.showTestLog': showTestLog,
  'greenlight.images.refresh': refreshImages,
  'greenlight.deploy.deployTestedImage': deployTestedImage,
  'greenlight.deploy.deployWithBackup': deployWithBackup,
  'greenlight.deploy.rollBack': rollBack,
  'greenlight.deploy.refreshEnvironment': refreshEnvironment,
  'greenlight.deploy.backUpNow': backUpNow,
  'greenlight.deploy.trustHostKey': trustHostKey,
  'greenlight.deploy.setDatabasePassword': setDatabasePassword,
  'greenlight.deploy.setIdentityFile': setIdentityFile,
  'greenlight.environments.openShell': openShell,
  'greenlight.containers.viewLogs': viewContainerLogs,
  'greenlight.containers.restart': restartContainer,
  'greenlight.containers.stop': stopContainer,
  'greenlight.containers.openShell': openShell,
  'greenlight.containers.openInBrowser': openContainerInBrowser,
  'greenlight.deploy.forgetDatabasePassword': forgetDatabasePassword,
  'greenlight.deploy.forgetSecret': forgetSecret,
  'greenlight.backups.verify': verifyBackup,
  'greenlight.backups.restore': restoreBackup,
  'greenlight.backups.download': downloadBackup,
  'greenlight.backups.delete': deleteBackup,
  'greenlight.migrations.openPanel': openMigrationsPanel,
  'greenlight.migrations.refresh': refreshMigrations,
  'greenlight.migrations.verify': verifyMigrations,
  'greenlight.migrations.verifyFile': verifyMigrationFile,
  'greenlight.migrations.dryRun': dryRunMigrations,
  'greenlight.migrations.drift': checkSchemaDrift,
  'greenlight.migrations.showVerifyReport': showVerifyReport,
};

/**
 * Commands that reach a host named in the workspace (SSH, a database behind it) or destroy
 * something. package.json disables them in Restricted Mode (enablement: isWorkspaceTrusted), but
 * enablement only greys out menus: executeCommand from a link, a keybinding or another extension
 * still arrives here, so the handler refuses too.
 */
export const NEEDS_TRUST: ReadonlySet<string> = new Set([
  'greenlight.images.build',
  'greenlight.images.test',
  'greenlight.images.remove',
  'greenlight.deploy.deployTestedImage',
  'greenlight.deploy.deployWithBackup',
  'greenlight.deploy.rollBack',
  'greenlight.deploy.backUpNow',
  'greenlight.deploy.trustHostKey',
  'greenlight.environments.openShell',
  'greenlight.containers.viewLogs',
  'greenlight.containers.restart',
  'greenlight.containers.stop',
  'greenlight.containers.openShell',
  'greenlight.containers.openInBrowser',
  'greenlight.backups.verify',
  'greenlight.backups.restore',
  'greenlight.backups.download',
  'greenlight.backups.delete',
  'greenlight.migrations.verify',
  'greenlight.migrations.verifyFile',
  'greenlight.migrations.dryRun',
  'greenlight.migrations.drift',
]);

export function registerCommands(s: Services): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => {
    const handler = factory(s) as (...args: unknown[]) => unknown;
    if (!NEEDS_TRUST.has(id)) return vscode.commands.registerCommand(id, handler);
    return vscode.commands.registerCommand(id, (...args: unknown[]) => {
      if (!vscode.workspace.isTrusted) {
        s.output.warn(`${id} refused: the workspace is in Restricted Mode`);
        void s.prompts.showWarningMessage(vscode.l10n.t('Greenlight does not connect to hosts or change anything from a workspace in Restricted Mode. Trust the workspace first.'));
        return undefined;
      }
      return handler(...args);
    });
  });
}
