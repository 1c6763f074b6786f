// One wording and one fix per reason an environment could not be asked (ConnectionProblemKind),
// shared by the Environments and Backups views, the status bar and the migration panel, so the
// same state reads the same everywhere and always comes with the action that fixes it.
import * as vscode from 'vscode';
import type { ConnectionProblemKind } from '../service/protocol';

export interface ConnectionFix {
  readonly command: string;
  readonly title: string;
}

export interface ConnectionProblemView {
  readonly kind: ConnectionProblemKind;
  /** A row's label: "SSH not configured", "Host key not trusted", … */
  readonly label: string;
  /** A few words for the status bar: "not configured", "host key not trusted", … */
  readonly short: string;
  readonly icon: string;
  readonly fix: ConnectionFix;
}

export function connectionProblem(kind: ConnectionProblemKind | undefined, hostKeyRefused?: boolean): ConnectionProblemView {
  const k: ConnectionProblemKind = kind ?? (hostKeyRefused ? 'host-key' : 'unreachable');
  switch (k) {
    case 'not-configured':
      return { kind: k, label: vscode.l10n.t('SSH not configured'), short: vscode.l10n.t('not configured'), icon: 'key', fix: { command: 'greenlight.deploy.setIdentityFile', title: vscode.l10n.t('Set Identity File…') } };
    case 'host-key':
      return { kind: k, label: vscode.l10n.t('Host key not trusted'), short: vscode.l10n.t('host key not trusted'), icon: 'shield', fix: { command: 'greenlight.deploy.trustHostKey', title: vscode.l10n.t('Trust Host Key…') } };
    case 'auth':
      return { kind: k, label: vscode.l10n.t('Authentication failed'), short: vscode.l10n.t('authentication failed'), icon: 'key', fix: { command: 'greenlight.deploy.setIdentityFile', title: vscode.l10n.t('Set Identity File…') } };
    case 'restricted':
      return { kind: k, label: vscode.l10n.t('Restricted Mode: no connection'), short: vscode.l10n.t('Restricted Mode'), icon: 'workspace-untrusted', fix: { command: 'workbench.trust.manage', title: vscode.l10n.t('Manage Workspace Trust') } };
    case 'unreachable':
      return { kind: k, label: vscode.l10n.t('Host not reachable'), short: vscode.l10n.t('unreachable'), icon: 'warning', fix: { command: 'greenlight.deploy.refreshEnvironment', title: vscode.l10n.t('Refresh Environment') } };
  }
}

/** The view-row context value that shows the fix as an inline action (package.json menus). */
export function problemContextValue(kind: ConnectionProblemKind): string {
  return `greenlight.environmentError.${kind}`;
}

/** What Greenlight says instead of connecting when the workspace is not trusted. */
export function restrictedProblem(): string {
  return vscode.l10n.t('This workspace is in Restricted Mode: Greenlight opens no SSH connection to the hosts it names. Trust the workspace to see what runs there.');
}
