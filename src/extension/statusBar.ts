// The status bar item: the deployed version of the active environment (the setting
// greenlight.activeEnvironment, else the first environment of greenlight.yaml), with health in the
// tooltip. It shows what the Environments view's status cache knows and asks for it when needed.
import * as vscode from 'vscode';
import { connectionProblem } from './connectionProblem';
import { localTime } from './localTime';
import type { ProjectState } from './projectState';
import type { EnvironmentStatusCache } from './views/environmentsView';

export class DeployStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  readonly #subs: vscode.Disposable[] = [];

  constructor(
    private readonly project: ProjectState,
    private readonly status: EnvironmentStatusCache,
  ) {
    this.item = vscode.window.createStatusBarItem('greenlight.deployedVersion', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Greenlight: Deployed Version';
    this.item.command = 'greenlight.views.environments.focus';
    this.#subs.push(
      project.onDidChange(() => this.update()),
      status.onDidChange((env) => (env === undefined || env === this.activeEnvironment()) && this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('greenlight.activeEnvironment') && this.update()),
    );
    this.update();
  }

  /** The environment the item shows. */
  activeEnvironment(): string | undefined {
    const envs = this.project.summary?.ok ? this.project.summary.environments.map((e) => e.name) : [];
    const chosen = vscode.workspace.getConfiguration('greenlight').get<string>('activeEnvironment');
    return chosen && envs.includes(chosen) ? chosen : envs[0];
  }

  update(): void {
    const env = this.activeEnvironment();
    if (!env) {
      this.item.hide();
      return;
    }
    const st = this.status.peek(env);
    this.item.command = 'greenlight.views.environments.focus';
    if (!st) {
      this.item.text = `$(sync~spin) ${env}`;
      this.item.tooltip = vscode.l10n.t('Asking {0} what it runs…', env);
      void this.status.get(env);
    } else if (!st.reachable) {
      const p = connectionProblem(st.problemKind, st.hostKeyRefused);
      this.item.text = `$(${p.icon}) ${env}: ${p.short}`;
      this.item.tooltip = `${env}: ${st.problem ?? p.label}\n\n${vscode.l10n.t('Click: {0}', p.fix.title)}`;
      // The click does the fix the state calls for (trust the key, pick a key file, manage trust).
      this.item.command = { command: p.fix.command, title: p.fix.title, arguments: p.kind === 'restricted' ? [] : [env] };
      this.item.show();
      return;
    } else {
      const deployed = st.services.filter((s) => s.version);
      const label = deployed.length === 0 ? vscode.l10n.t('nothing deployed') : deployed.length === 1 ? deployed[0]!.version! : deployed.map((s) => `${s.service} ${s.version}`).join(', ');
      const healthy = deployed.every((s) => s.healthy);
      this.item.text = `$(${healthy ? 'server-environment' : 'warning'}) ${env}: ${label}`;
      this.item.tooltip = [vscode.l10n.t('Greenlight: deployed on {0} ({1})', env, st.host), ...st.services.map((s) => vscode.l10n.t('{0}: {1}, {2}', s.service, s.version ?? vscode.l10n.t('not deployed'), s.health)), vscode.l10n.t('checked {0}', localTime(st.checkedAt, true))].join('\n');
    }
    this.item.show();
  }

  dispose(): void {
    for (const d of this.#subs) d.dispose();
    this.item.dispose();
  }
}
