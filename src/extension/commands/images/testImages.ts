// "Greenlight: Test Images" (palette: the latest build) and "Test" on a version in the Images view.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import type { ImagesNode } from '../../views/imagesView';
import { requireTrust, runImageJob, workspaceRootOrWarn } from './runImageJob';

export function testImages(s: Services) {
  return async (node?: ImagesNode): Promise<void> => {
    const root = workspaceRootOrWarn(s);
    if (!root || !requireTrust('Testing images')) return;
    const version = node?.kind === 'image' ? node.row.version : undefined;
    const r = await runImageJob(s, `Greenlight: Testing ${version ?? 'the latest build'}`, 'images.test', { workspaceRoot: root, version });
    if (!r) return;
    if (r.passed) {
      const a = await vscode.window.showInformationMessage(`Tested ${r.version}: passed in ${(r.durationMs / 1000).toFixed(0)} s.`, 'Export Tested Images');
      if (a) await vscode.commands.executeCommand('greenlight.images.export');
    } else {
      const a = await vscode.window.showErrorMessage(`Test of ${r.version} failed at ${r.failure?.step}: ${r.failure?.message.split('\n')[0]}`, 'Show Test Log');
      if (a) await vscode.window.showTextDocument(vscode.Uri.file(`${root}/${r.logFile}`));
    }
  };
}
