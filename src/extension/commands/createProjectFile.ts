// "Greenlight: Create Project File": writes a commented greenlight.yaml from what the workspace
// already says (the same engine as `greenlight init`, run in the background service) and asks only
// for what cannot be inferred: the SSH host and user of the first environment (both may be left
// empty to add an environment later). An existing file is opened, never overwritten.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';

const HOST = /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:]+\]$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;

export function createProjectFile(s: Services) {
  return async (): Promise<vscode.Uri | undefined> => {
    const root = s.project.root;
    if (!root) {
      void s.prompts.showWarningMessage(vscode.l10n.t('Open a folder first: greenlight.yaml lives at the workspace root.'));
      return undefined;
    }
    const uri = vscode.Uri.file(path.join(root, 'greenlight.yaml'));
    if (await exists(uri)) {
      void s.prompts.showInformationMessage(vscode.l10n.t('This workspace already has a greenlight.yaml; it is open now.'));
      await vscode.window.showTextDocument(uri);
      return uri;
    }
    const hostText = await s.prompts.showInputBox({
      title: vscode.l10n.t('Create Project File (1/2): SSH host of the production server'),
      prompt: vscode.l10n.t('The server Greenlight deploys to over SSH, e.g. app.example.com or app.example.com:2222. Leave empty to add an environment later.'),
      placeHolder: 'app.example.com',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' || HOST.test(v.trim().replace(/:\d{1,5}$/, '')) ? undefined : vscode.l10n.t('A host name or address, optionally with :port')),
    });
    if (hostText === undefined) return undefined;
    let ssh: { host: string; user: string; port?: number } | undefined;
    if (hostText.trim()) {
      const user = await s.prompts.showInputBox({
        title: vscode.l10n.t('Create Project File (2/2): SSH user'),
        prompt: vscode.l10n.t('The user Greenlight logs in as on {0} (its key comes from the SSH agent, or identityFile in the file).', hostText.trim()),
        placeHolder: 'deploy',
        ignoreFocusOut: true,
        validateInput: (v) => (USER.test(v.trim()) ? undefined : vscode.l10n.t('A user name: letters, digits, ".", "_" or "-"')),
      });
      if (user === undefined) return undefined;
      const m = /^(.*?)(?::(\d{1,5}))?$/.exec(hostText.trim())!;
      ssh = { host: m[1]!, user: user.trim(), port: m[2] ? Number(m[2]) : undefined };
    }
    const r = await s.client.runJob('config.init', { workspaceRoot: root, useGit: vscode.workspace.isTrusted, ssh });
    // Checked again: the file may have appeared while the questions were open.
    if (await exists(uri)) {
      void s.prompts.showWarningMessage(vscode.l10n.t('greenlight.yaml was created meanwhile; it was left as it is.'));
    } else {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(r.text, 'utf8'));
      s.output.info(`created ${uri.fsPath} from ${r.found.join(', ') || 'the folder name only'}`);
    }
    await vscode.window.showTextDocument(uri);
    await s.project.refresh();
    void s.prompts.showInformationMessage(vscode.l10n.t('Created greenlight.yaml from {0}. Check the lines marked "guessed".', r.found.join(', ') || vscode.l10n.t('the folder name only')));
    return uri;
  };
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
