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
    const b = root ? await backupOf(s, arg, 'Download Backup') : undefined;
    if (!root || !b) return undefined;
    const name = b.row.file.split('/').pop() ?? `${b.row.id}.dump`;
    const to = await s.prompts.showSaveDialog({ title: `Download ${b.row.id}`, defaultUri: vscode.Uri.file(`${os.homedir()}/${name}`), saveLabel: 'Download' });
    if (!to) return undefined;
    const r = await runEnvJob(s, `Greenlight: Downloading ${b.row.id}`, 'backup.download', { workspaceRoot: root, env: b.env.name, id: b.row.id, toFile: to.fsPath }, { env: b.env.name });
    if (!r) return undefined;
    void s.prompts.showInformationMessage(`Downloaded ${b.row.id} to ${r.file} (${r.bytes} bytes, sha256 ${r.matchesRecord ? 'matches the record' : r.sha256.slice(0, 16) + '…'}).`);
    return r.file;
  };
}
