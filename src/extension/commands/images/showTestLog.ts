// "Show Test Log" on a tested or failed version: opens the full log of its latest test run.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import type { ImagesNode } from '../../views/imagesView';
import { workspaceRootOrWarn } from './runImageJob';

export function showTestLog(s: Services) {
  return async (node?: ImagesNode): Promise<void> => {
    const root = workspaceRootOrWarn(s);
    if (!root || node?.kind !== 'image') return;
    try {
      const log = await s.client.runJob('images.testLog', { workspaceRoot: root, imageId: node.row.imageId });
      const doc = log.file ? await vscode.workspace.openTextDocument(vscode.Uri.file(log.file)) : await vscode.workspace.openTextDocument({ content: log.text, language: 'log' });
      await vscode.window.showTextDocument(doc, { preview: true });
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('No test log for {0}: {1}', node.row.tag, e instanceof Error ? e.message : String(e)));
    }
  };
}
