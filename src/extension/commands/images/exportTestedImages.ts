// "Greenlight: Export Tested Images" (palette: the newest version that passed) and "Export" on a
// tested version in the Images view.
import * as vscode from 'vscode';
import type { Services } from '../../services';
import type { ImagesNode } from '../../views/imagesView';
import { runImageJob, workspaceRootOrWarn } from './runImageJob';

export function exportTestedImages(s: Services) {
  return async (node?: ImagesNode): Promise<void> => {
    const root = workspaceRootOrWarn(s);
    if (!root) return;
    const params = node?.kind === 'image' ? { workspaceRoot: root, version: node.row.version, services: [node.row.service] } : { workspaceRoot: root };
    const r = await runImageJob(s, vscode.l10n.t('Greenlight: Exporting tested images'), 'images.export', params);
    if (!r) return;
    const a = await vscode.window.showInformationMessage(vscode.l10n.t('Exported {0} with checksums to {1}.', r.files.map((f) => f.file).join(', '), r.dir), vscode.l10n.t('Reveal'));
    if (a) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(`${r.dir}/${r.deployInfo}`));
  };
}
