// "Download" on a backup: streams it from the host into a file chosen in a save dialog, checking
// its sha256 against the one recorded when it was taken (a mismatch keeps nothing).
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { backupOf } from './backupArg';
import { runEnvJob } from './common';

export function downloadBackup(s: Services) {
  return async (arg?: unknown): Promise<string | undefined> => {
    const root = s.project.root;
    const b = root ? await backupOf(s, arg, vscode.l10n.t('Download Backup')) : undefined;
    if (!root || !b) return undefined;
    const name = b.row.file.split('/').pop() ?? `${b.row.id}.dump`;
    const to = await s.prompts.showSaveDialog({ title: vscode.l10n.t('Download {0}', b.row.id), defaultUri: vscode.Uri.file(`${os.homedir()}/${name}`), saveLabel: vscode.l10n.t('Download') });
    if (!to) return undefined;
    const r = await runEnvJob(s, vscode.l10n.t('Greenlight: Downloading {0}', b.row.id), 'backup.download', { workspaceRoot: root, env: b.env.name, id: b.row.id, toFile: to.fsPath }, { env: b.env.name });
    if (!r) return undefined;
    void s.prompts.showInformationMessage(vscode.l10n.t('Downloaded {0} to {1} ({2} bytes, sha256 {3}).', b.row.id, r.file, r.bytes, r.matchesRecord ? vscode.l10n.t('matches the record') : r.sha256.slice(0, 16) + '…'));
    return r.file;
  };
}
