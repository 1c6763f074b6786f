// The migration editor panel: a webview that renders MigrationsModel's state (every migration in
// order, its lint findings, its state on the local database and on each environment, the last
// verify and dry-run results) and turns its buttons into the same commands the palette runs.
// The webview may load only media/ and scripts carrying this render's nonce; it says `ready`
// before it is sent anything, and every message it sends is validated (migrationMessages.ts).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { parseWebviewMessage, type FromWebview, type PanelFixKind, type PanelState, type ToWebview } from './migrationMessages';
import type { MigrationsModel } from './migrationsModel';

export const MIGRATION_PANEL_VIEW_TYPE = 'greenlight.migrations';

const FIX_COMMANDS: Record<PanelFixKind, string> = {
  'not-configured': 'greenlight.deploy.setIdentityFile',
  auth: 'greenlight.deploy.setIdentityFile',
  'host-key': 'greenlight.deploy.trustHostKey',
  restricted: 'workbench.trust.manage',
};

export class MigrationPanel implements vscode.WebviewPanelSerializer, vscode.Disposable {
  #panel: vscode.WebviewPanel | undefined;
  #ready = false;
  #lastPosted: PanelState | undefined;
  #panelSubs: vscode.Disposable[] = [];
  readonly #onDidPost = new vscode.EventEmitter<PanelState>();
  /** Fires with each state posted to the webview (after its ready handshake). */
  readonly onDidPost = this.#onDidPost.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly model: MigrationsModel,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  /** The state last posted to the webview: what the user sees (tests assert on it). */
  get lastPostedState(): PanelState | undefined {
    return this.#lastPosted;
  }

  get isOpen(): boolean {
    return this.#panel !== undefined;
  }

  get isVisible(): boolean {
    return this.#panel?.visible === true;
  }

  /** Shows the panel, creating it when it is not open. */
  open(): void {
    if (this.#panel) {
      this.#panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(MIGRATION_PANEL_VIEW_TYPE, 'Migrations', vscode.ViewColumn.Active, this.webviewOptions());
    this.attach(panel);
  }

  /** Called by VS Code after a window reload for a panel that was open. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    this.#panel?.dispose();
    this.attach(panel);
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')], retainContextWhenHidden: false };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.#panel = panel;
    this.#ready = false;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icons', 'greenlight.svg');
    panel.webview.options = this.webviewOptions();
    panel.webview.html = this.html(panel.webview);
    this.#panelSubs = [
      this.model.hold(),
      this.model.onDidChange(() => this.post()),
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      // A hidden webview is torn down (retainContextWhenHidden is off); it says ready again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.#ready = false;
      }),
      panel.onDidDispose(() => this.detach(panel)),
    ];
  }

  private detach(panel: vscode.WebviewPanel): void {
    if (this.#panel !== panel) return;
    for (const d of this.#panelSubs) d.dispose();
    this.#panelSubs = [];
    this.#panel = undefined;
    this.#ready = false;
  }

  private post(): void {
    if (!this.#panel || !this.#ready) return;
    const state = this.model.panelState();
    const message: ToWebview = { type: 'state', state };
    void this.#panel.webview.postMessage(message).then((delivered) => {
      if (!delivered) return;
      this.#lastPosted = state;
      this.#onDidPost.fire(state);
    });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const m: FromWebview | undefined = parseWebviewMessage(raw);
    if (!m) {
      this.output.warn(`migration panel: ignored a malformed message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (m.type) {
      case 'ready':
        this.#ready = true;
        this.post();
        return;
      case 'refresh':
        await this.model.refresh();
        return;
      case 'verify':
        await vscode.commands.executeCommand(m.fileName ? 'greenlight.migrations.verifyFile' : 'greenlight.migrations.verify', m.fileName ? this.fileUri(m.fileName) : undefined);
        return;
      case 'dryRun':
        await vscode.commands.executeCommand('greenlight.migrations.dryRun', m.target);
        return;
      case 'drift':
        await vscode.commands.executeCommand('greenlight.migrations.drift', m.target);
        return;
      case 'showVerifyReport':
        await vscode.commands.executeCommand('greenlight.migrations.showVerifyReport');
        return;
      case 'fix': {
        // The command, not the webview, decides: only the known fixes, for an environment by name.
        const env = m.target.startsWith('env:') ? m.target.slice(4) : undefined;
        const command = FIX_COMMANDS[m.kind];
        await vscode.commands.executeCommand(command, ...(env && m.kind !== 'restricted' ? [env] : []));
        await this.model.refresh();
        return;
      }
      case 'openFile': {
        const uri = this.fileUri(m.fileName);
        if (!uri) return;
        const line = Math.max(0, (m.line ?? 1) - 1);
        await vscode.window.showTextDocument(uri, { selection: new vscode.Range(line, 0, line, 0), preview: false, viewColumn: vscode.ViewColumn.Beside });
        return;
      }
    }
  }

  /** Only files the status listed can be opened: the webview names them, never a path. */
  private fileUri(fileName: string): vscode.Uri | undefined {
    const f = this.model.status?.files.find((x) => x.fileName === fileName);
    return f ? vscode.Uri.file(f.path) : undefined;
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const media = (...p: string[]): vscode.Uri => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', ...p));
    const csp = [
      `default-src 'none'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${media('migrationPanel.css')}">
<title>Migrations</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading migrations…</p></main>
<script type="module" nonce="${nonce}" src="${media('dist', 'migrationPanel.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.#panel?.dispose();
    this.#onDidPost.dispose();
  }
}
