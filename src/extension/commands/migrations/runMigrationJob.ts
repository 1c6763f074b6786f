// Shared by the migration commands: a cancellable notification progress around a model call, and
// failures reported once (output channel + notification) so each command only handles success.
import * as vscode from 'vscode';
import type { JobProgressParams } from '../../../service/protocol';
import { JobFailedError } from '../../serviceClient';
import type { Services } from '../../services';

/** Verify and dry run execute the workspace's SQL, so they need a trusted workspace. */
export function requireTrustToRun(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`${what} executes the migrations of this workspace; trust the workspace first.`);
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
    void vscode.window.showErrorMessage(`${title} failed: ${message.split('\n')[0]}`, 'Show Output').then((a) => a && s.output.show());
    return undefined;
  }
}
