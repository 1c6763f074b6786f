// Keeps the summary of greenlight.yaml for the first workspace folder, refreshed by the service
// whenever the file changes, and tells the views when it did.
import * as vscode from 'vscode';
import type { ConfigSummary } from '../service/protocol';
import type { ServiceClient } from './serviceClient';

export class ProjectState implements vscode.Disposable {
  #summary: ConfigSummary | undefined;
  readonly #onDidChange = new vscode.EventEmitter<ConfigSummary | undefined>();
  readonly onDidChange = this.#onDidChange.event;
  readonly #disposables: vscode.Disposable[] = [];

  constructor(
    private readonly client: ServiceClient,
    private readonly output: vscode.LogOutputChannel,
  ) {
    // The language client's file watcher reports greenlight.yaml (created, changed, deleted) to the
    // service, which answers with a 'config' state change: no second watcher here.
    const refresh = (): void => void this.refresh();
    this.#disposables.push(client.onStateChanged((area) => area === 'config' && refresh()));
    this.#disposables.push(client.onRestarted(refresh));
  }

  get root(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  get summary(): ConfigSummary | undefined {
    return this.#summary;
  }

  async refresh(): Promise<ConfigSummary | undefined> {
    const root = this.root;
    if (!root) {
      this.#summary = undefined;
    } else {
      try {
        this.#summary = await this.client.runJob('config.summary', { workspaceRoot: root });
      } catch (e) {
        this.output.error(`reading greenlight.yaml failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // Drives the Environments view's welcome text: "create the file" versus "add an environment".
    void vscode.commands.executeCommand('setContext', 'greenlight.configFound', Boolean(this.#summary?.found));
    // Completes the walkthrough's "Trust the host key" step: some environment has a pinned key.
    void vscode.commands.executeCommand('setContext', 'greenlight.hostKeyPinned', Boolean(this.#summary?.environments.some((e) => e.hostKeyPinned)));
    // Deploy, Roll Back and Back Up Now are enabled only when they can work (package.json enablement).
    const envs = this.#summary?.ok ? this.#summary.environments : [];
    void vscode.commands.executeCommand('setContext', 'greenlight.hasEnvironments', envs.length > 0);
    void vscode.commands.executeCommand('setContext', 'greenlight.hasDatabaseEnvironment', envs.some((e) => e.database));
    this.#onDidChange.fire(this.#summary);
    return this.#summary;
  }

  dispose(): void {
    this.#onDidChange.dispose();
    for (const d of this.#disposables) d.dispose();
  }
}
