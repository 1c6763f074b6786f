// "Greenlight: Show Background Service Health": asks the service process for its health report.
import * as vscode from 'vscode';
import type { Services } from '../services';

export function showServiceHealth(s: Services) {
  return async (): Promise<string> => {
    const h = await s.client.health();
    const text = `Greenlight service ${h.version} (pid ${h.pid}) is healthy: up ${(h.uptimeMs / 1000).toFixed(0)} s, ${(h.rssBytes / 1048576).toFixed(0)} MiB, ${h.runningJobs} job(s) running.`;
    s.output.info(text);
    void vscode.window.showInformationMessage(text);
    return text;
  };
}
