// "Greenlight: Test Images" (palette: the latest build) and "Test" on a version in the Images view.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import type { ImagesNode } from '../../views/imagesView';
import { requireTrust, runImageJob, workspaceRootOrWarn } from './runImageJob';

export function testImages(s: Services) {
  return async (node?: ImagesNode): Promise<void> => {
    const root = workspaceRootOrWarn(s);
    if (!root || !requireTrust(vscode.l10n.t('Testing images'))) return;
    const version = node?.kind === 'image' ? node.row.version : undefined;
    const r = await runImageJob(s, vscode.l10n.t('Greenlight: Testing {0}', version ?? vscode.l10n.t('the latest build')), 'images.test', { workspaceRoot: root, version });
    if (!r) return;
    if (r.passed) {
      const a = await vscode.window.showInformationMessage(vscode.l10n.t('Tested {0}: passed in {1} s.', r.version, (r.durationMs / 1000).toFixed(0)), vscode.l10n.t('Export Tested Images'));
      if (a) await vscode.commands.executeCommand('greenlight.images.export');
    } else {
      const a = await vscode.window.showErrorMessage(vscode.l10n.t('Test of {0} failed at {1}: {2}', r.version, r.failure?.step ?? '', r.failure?.message.split('\n')[0] ?? ''), vscode.l10n.t('Show Test Log'));
      if (a) await vscode.window.showTextDocument(vscode.Uri.file(`${root}/${r.logFile}`));
    }
  };
}
