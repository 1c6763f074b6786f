// "Greenlight: Show Background Service Health": asks the service process for its health report.
import * as vscode from 'vscode';
import type { Services } from '../services';

export function showServiceHealth(s: Services) {
  return async (): Promise<string> => {
    const h = await s.client.health();
    const text = vscode.l10n.t('Greenlight service {0} (pid {1}) is healthy: up {2} s, {3} MiB, {4} job(s) running.', h.version, h.pid, (h.uptimeMs / 1000).toFixed(0), (h.rssBytes / 1048576).toFixed(0), h.runningJobs);
    s.output.info(text);
    void vscode.window.showInformationMessage(text);
    return text;
  };
}
