// "Copy Tag" on a version in the Images view.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import type { ImagesNode } from '../../views/imagesView';

export function copyTag(_s: Services) {
  return async (node?: ImagesNode): Promise<void> => {
    if (node?.kind !== 'image') return;
    await vscode.env.clipboard.writeText(node.row.tag);
    void vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', node.row.tag), 3000);
  };
}
