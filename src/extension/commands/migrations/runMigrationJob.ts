// Shared by the migration commands: a cancellable notification progress around a model call, and
// failures reported once (output channel + notification) so each command only handles success.
import * as vscode from 'vscode';
import type { JobProgressParams } from '../../../service/protocol';
import { JobFailedError } from '../../serviceClient';
import type { Services } from '../../services';

/** Verify and dry run execute the workspace's SQL, so they need a trusted workspace. */
export function requireTrustToRun(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(vscode.l10n.t('{0} executes the migrations of this workspace; trust the workspace first.', what));
  return false;
}

/** Resolves to the call's result, or undefined when it was cancelled or failed (already reported). */
export async function withMigrationProgress<T>(
  s: Services,
  title: string,
  run: (opts: { token: vscode.CancellationToken; onProgress: (p: JobProgressParams) => void }) => Promise<T>,
): Promise<T | undefined> {
  s.output.info(`${title}…`);
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
      run({ token, onProgress: (p) => progress.report({ message: `${p.step}${p.message ? `: ${p.message}` : ''}` }) }),
    );
  } catch (e) {
    if (e instanceof JobFailedError && e.cancelled) {
      s.output.warn(`${title}: cancelled`);
      return undefined;
    }
    const message = e instanceof Error ? e.message : String(e);
    s.output.error(`${title} failed: ${message}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} failed: {1}', title, message.split('\n')[0]!), vscode.l10n.t('Show Output')).then((a) => a && s.output.show());
    return undefined;
  }
}

/**
 * The target a command runs on: the one given (a panel button names it), else one picked from the
 * targets of the last status, unreachable ones marked with the reason. Undefined when dismissed.
 */
export async function pickMigrationTarget(s: Services, target: string | undefined, title: string): Promise<{ id: string; label: string; kind?: 'local' | 'environment'; database?: string } | undefined> {
  if (!s.migrations.status) await s.migrations.refresh();
  const targets = s.migrations.status?.targets ?? [];
  if (!target) {
    const pick = await vscode.window.showQuickPick(
      targets.map((t) => ({ label: t.label, description: t.database, detail: t.reachable ? undefined : vscode.l10n.t('unreachable: {0}', t.problem ?? ''), id: t.id })),
      { title, placeHolder: vscode.l10n.t('a database') },
    );
    if (!pick) return undefined;
    target = pick.id;
  }
  const t = targets.find((x) => x.id === target);
  return { id: target, label: t?.label ?? target, kind: t?.kind, database: t?.database };
}
