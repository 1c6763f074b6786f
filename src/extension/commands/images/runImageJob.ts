// Runs an image job in the background service with a cancellable notification progress, its log
// lines in the Greenlight output channel, and the Images view refreshed afterwards. Builds and
// tests run workspace code (prepare and test commands), so they need a trusted workspace.
import * as vscode from 'vscode';
import type { JobKind, JobParams, JobResult } from '../../../service/protocol';
import { JobFailedError } from '../../serviceClient';
import type { Services } from '../../services';

export function workspaceRootOrWarn(s: Services): string | undefined {
  const root = s.project.root;
  if (!root) void vscode.window.showWarningMessage(vscode.l10n.t('Open a folder with a greenlight.yaml to build and test images.'));
  return root;
}

export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(vscode.l10n.t('{0} runs commands from this workspace; trust the workspace first.', what));
  return false;
}

/** Resolves to the job's result, or undefined when it was cancelled or failed (already reported). */
export async function runImageJob<K extends JobKind>(s: Services, title: string, kind: K, params: JobParams<K>): Promise<JobResult<K> | undefined> {
  s.output.info(`${title}…`);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        let last = 0;
        return s.client.runJob(kind, params, {
          token,
          onProgress: (p) => {
            const pct = p.fraction !== undefined ? Math.round(p.fraction * 100) : undefined;
            progress.report({ message: `${p.step}${p.message ? `: ${p.message}` : ''}`, increment: pct !== undefined && pct > last ? pct - last : undefined });
            if (pct !== undefined) last = Math.max(last, pct);
          },
          onLog: (l) => s.output[l.level === 'info' ? 'info' : l.level](l.line),
        });
      },
    );
  } catch (e) {
    if (e instanceof JobFailedError && e.cancelled) {
      s.output.warn(`${title}: cancelled`);
      void vscode.window.showInformationMessage(vscode.l10n.t('{0}: cancelled.', title));
    } else {
      const message = e instanceof Error ? e.message : String(e);
      s.output.error(`${title} failed: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} failed: {1}', title, message.split('\n')[0]!), vscode.l10n.t('Show Output')).then((a) => a && s.output.show());
    }
    return undefined;
  } finally {
    await s.images.refresh();
  }
}
