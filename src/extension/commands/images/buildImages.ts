// "Greenlight: Build Images": builds every service's production image in the background service.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { requireTrust, runImageJob, workspaceRootOrWarn } from './runImageJob';

export function buildImages(s: Services) {
  return async (): Promise<void> => {
    const root = workspaceRootOrWarn(s);
    if (!root || !requireTrust(vscode.l10n.t('Building images'))) return;
    const r = await runImageJob(s, vscode.l10n.t('Greenlight: Building images'), 'images.build', { workspaceRoot: root });
    if (!r) return;
    const tags = r.images.map((i) => i.tag).join(', ');
    const message = r.dirty ? vscode.l10n.t('Built {0} (from uncommitted changes: -dirty).', tags) : vscode.l10n.t('Built {0}.', tags);
    const action = await vscode.window.showInformationMessage(message, vscode.l10n.t('Test Images'));
    if (action) await vscode.commands.executeCommand('greenlight.images.test');
  };
}
