// "Greenlight: Open Shell": an integrated terminal running the system's `ssh` to the environment's
// host, argv only (no shell line is built). On a container row of the Environments view the same
// ssh runs `docker exec -it <id> sh` on the host instead (with a TTY), so the shell is inside it. The host key is pinned the same way Greenlight pins it:
// a temporary known_hosts file holding only the key(s) of greenlight.yaml, StrictHostKeyChecking=yes,
// so ssh refuses a host whose key is not the pinned one instead of asking to trust it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostContainerDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { messageOf, pickEnvironment } from '../deploy/common';

/**
 * The host command for a shell in a container. ssh hands the words after the destination to the
 * remote login shell as one line, so every word must be one the shell leaves alone: the socket
 * path and the ID are checked here rather than quoted.
 */
export function containerShellCommand(container: Pick<HostContainerDto, 'id' | 'name'>, dockerSocket: string | undefined): string[] {
  if (!/^[0-9a-f]{12,64}$/.test(container.id)) throw new Error(`container ${container.name}: "${container.id}" is not a container ID`);
  if (dockerSocket !== undefined && !/^\/[A-Za-z0-9_./-]+$/.test(dockerSocket)) throw new Error(`the Docker socket path "${dockerSocket}" has characters a remote command line cannot carry unquoted`);
  return ['docker', ...(dockerSocket ? ['-H', `unix://${dockerSocket}`] : []), 'exec', '-it', container.id, 'sh'];
}

function containerOf(arg: unknown): HostContainerDto | undefined {
  if (!arg || typeof arg !== 'object' || !('container' in arg)) return undefined;
  const c = (arg as { container?: HostContainerDto }).container;
  return c && typeof c.id === 'string' ? c : undefined;
}

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
    const container = containerOf(arg);
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
    let remote: string[] = [];
    try {
      if (container) remote = containerShellCommand(container, t.dockerSocket);
    } catch (e) {
      void s.prompts.showErrorMessage(vscode.l10n.t('Cannot open a shell on {0}: {1}', env.name, messageOf(e)));
      return undefined;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'greenlight-ssh-'));
    const knownHosts = path.join(dir, 'known_hosts');
    writeFileSync(knownHosts, t.knownHosts.join('\n') + '\n', { mode: 0o600 });
    // -t: docker exec -it needs a terminal on the host side too.
    const args = container ? ['-t', ...sshArgs(t, knownHosts), ...remote] : sshArgs(t, knownHosts);
    const name = container ? vscode.l10n.t('Greenlight: {0} on {1}', container.name, env.name) : vscode.l10n.t('Greenlight: {0} ({1})', env.name, env.sshTarget);
    const terminal = vscode.window.createTerminal({ name, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('terminal') });
    // The temporary known_hosts goes with the terminal.
    const sub = vscode.window.onDidCloseTerminal((x) => {
      if (x !== terminal) return;
      sub.dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    s.context.subscriptions.push(sub);
    terminal.show();
    s.output.info(`opened a shell on ${env.name}${container ? ` in ${container.name}` : ''}: ssh ${args.join(' ')}`);
    return terminal;
  };
}
