// "Greenlight: Build Images": builds every service's production image in the background service.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { requireTrust, runImageJob, workspaceRootOrWarn } from './runImageJob';

export function buildImages(s: Services) {
  return async (): Promise<void> => {
    const root = workspaceRootOrWarn(s);
    if (!root || !requireTrust('Building images')) return;
    const r = await runImageJob(s, 'Greenlight: Building images', 'images.build', { workspaceRoot: root });
    if (!r) return;
    const note = r.dirty ? ' (from uncommitted changes: -dirty)' : '';
    const action = await vscode.window.showInformationMessage(`Built ${r.images.map((i) => i.tag).join(', ')}${note}.`, 'Test Images');
    if (action) await vscode.commands.executeCommand('greenlight.images.test');
  };
}
