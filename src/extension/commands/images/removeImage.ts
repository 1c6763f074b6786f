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
    const warn = r.tested === 'passed' ? ' It passed its tests; a rebuild gets a new image ID that must be tested again.' : '';
    const ok = await vscode.window.showWarningMessage(`Remove ${r.tag}?${warn}`, { modal: true }, 'Remove');
    if (ok !== 'Remove') return;
    await runImageJob(s, `Greenlight: Removing ${r.tag}`, 'images.remove', { workspaceRoot: root, ref: r.tag });
  };
}
