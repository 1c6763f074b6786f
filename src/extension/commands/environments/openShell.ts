// "Greenlight: Open Shell": an integrated terminal running the system's `ssh` to the environment's
// host, argv only (no shell line is built). The host key is pinned the same way Greenlight pins it:
// a temporary known_hosts file holding only the key(s) of greenlight.yaml, StrictHostKeyChecking=yes,
// so ssh refuses a host whose key is not the pinned one instead of asking to trust it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../../services';
import { messageOf, pickEnvironment } from '../deploy/common';

/** ssh's argv for the target, the known_hosts file and an optional key file. */
export function sshArgs(t: { host: string; port: number; user: string; identityFile?: string }, knownHostsFile: string): string[] {
  return [
    '-o', `UserKnownHostsFile=${knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    ...(t.identityFile ? ['-i', t.identityFile.startsWith('~/') ? path.join(os.homedir(), t.identityFile.slice(2)) : t.identityFile, '-o', 'IdentitiesOnly=yes'] : []),
    '-p', String(t.port),
    '--',
    `${t.user}@${t.host}`,
  ];
}

export function openShell(s: Services) {
  return async (arg?: unknown): Promise<vscode.Terminal | undefined> => {
    const env = await pickEnvironment(s, arg, vscode.l10n.t('Open Shell: environment'));
    const root = s.project.root;
    if (!env || !root) return undefined;
    let t;
    try {
      t = await s.client.runJob('deploy.sshTarget', { workspaceRoot: root, env: env.name });
    } catch (e) {
      void s.prompts.showErrorMessage(vscode.l10n.t('Cannot open a shell on {0}: {1}', env.name, messageOf(e)));
      return undefined;
    }
    if (t.knownHosts.length === 0) {
      const choice = await s.prompts.showWarningMessage(vscode.l10n.t('The host key of {0} is not pinned yet; trust it first.', env.name), vscode.l10n.t('Trust Host Key…'));
      if (choice) await vscode.commands.executeCommand('greenlight.deploy.trustHostKey', env.name);
      return undefined;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlight-ssh-'));
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, t.knownHosts.join('\n') + '\n', { mode: 0o600 });
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Greenlight: {0} ({1})', env.name, env.sshTarget), shellPath: 'ssh', shellArgs: sshArgs(t, knownHosts), iconPath: new vscode.ThemeIcon('terminal') });
    // The temporary known_hosts goes with the terminal.
    const sub = vscode.window.onDidCloseTerminal((x) => {
      if (x !== terminal) return;
      sub.dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    s.context.subscriptions.push(sub);
    terminal.show();
    s.output.info(`opened a shell on ${env.name}: ssh ${sshArgs(t, knownHosts).join(' ')}`);
    return terminal;
  };
}
