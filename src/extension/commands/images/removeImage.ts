// "Remove" on a version in the Images view: removes the tag after a modal confirmation.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import type { ImagesNode } from '../../views/imagesView';
import { runImageJob, workspaceRootOrWarn } from './runImageJob';

export function removeImage(s: Services) {
  return async (node?: ImagesNode): Promise<void> => {
    const root = workspaceRootOrWarn(s);
    if (!root || node?.kind !== 'image') return;
    const r = node.row;
    const warn = r.tested === 'passed' ? vscode.l10n.t(' It passed its tests; a rebuild gets a new image ID that must be tested again.') : '';
    const remove = vscode.l10n.t('Remove');
    const ok = await vscode.window.showWarningMessage(vscode.l10n.t('Remove {0}?{1}', r.tag, warn), { modal: true }, remove);
    if (ok !== remove) return;
    await runImageJob(s, vscode.l10n.t('Greenlight: Removing {0}', r.tag), 'images.remove', { workspaceRoot: root, ref: r.tag });
  };
}
