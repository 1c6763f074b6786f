// The Environments view's actions on any container of an environment's host (Greenlight's or
// not): View Logs (a pseudoterminal fed by the service's log stream, followed until the terminal
// closes), Restart and Stop (after a modal confirmation that says when production is affected),
// and Open in Browser (a loopback port forwarded over the environment's SSH connection, opened
// with the system browser; the forward ends when idle or when the extension stops). The engine
// work happens in the service (src/service/jobs/containers.ts); nothing here connects anywhere.
import * as vscode from 'vscode';
import type { EnvironmentSummary, HostContainerDto } from '../../../service/protocol';
import { JobFailedError } from '../../serviceClient';
import type { Services } from '../../services';
import { messageOf, pickEnvironment, refreshEnvironment, runEnvJob } from '../deploy/common';

export interface ContainerRef {
  readonly env: EnvironmentSummary;
  readonly container: HostContainerDto;
}

/** A view row's container, or one picked from the environment's running containers. */
export async function pickContainer(s: Services, arg: unknown, title: string): Promise<ContainerRef | undefined> {
  const env = await pickEnvironment(s, arg, title);
  if (!env) return undefined;
  if (arg && typeof arg === 'object' && 'container' in arg) {
    const c = (arg as { container?: HostContainerDto }).container;
    if (c && typeof c.id === 'string') return { env, container: c };
  }
  const st = await s.environments.status.get(env.name);
  if (!st.reachable) {
    void s.prompts.showErrorMessage(vscode.l10n.t('{0} cannot be reached: {1}', env.name, st.problem ?? '?'));
    return undefined;
  }
  const list = st.containers ?? [];
  if (!list.length) {
    void s.prompts.showInformationMessage(st.containersProblem ? vscode.l10n.t('The containers of {0} could not be listed: {1}', env.name, st.containersProblem) : vscode.l10n.t('No container is running on {0}.', env.name));
    return undefined;
  }
  const picked = await s.prompts.showQuickPick(
    list.map((c) => ({ label: c.name, description: [c.image, c.status].join(' · '), detail: c.greenlight ? `Greenlight: ${[c.greenlight.service, c.greenlight.version].filter(Boolean).join(' ')}` : undefined, c })),
    { title, placeHolder: vscode.l10n.t('Container'), ignoreFocusOut: true },
  );
  return picked ? { env, container: picked.c } : undefined;
}

/** What a logs terminal has shown, and when its stream ended (for tests and the output channel). */
export interface ContainerLogsSession {
  readonly terminal: vscode.Terminal;
  /** Everything written to the terminal so far, without colour codes. */
  text(): string;
  /** Resolves when the stream ends: the container stopped, the terminal closed or the job failed. */
  readonly ended: Promise<void>;
}

/** "View Logs": the last 500 lines, then followed, in a terminal; closing it ends the stream on the host. */
export function viewContainerLogs(s: Services) {
  return async (arg?: unknown): Promise<ContainerLogsSession | undefined> => {
    const ref = await pickContainer(s, arg, vscode.l10n.t('View Logs: container'));
    const root = s.project.root;
    if (!ref || !root) return undefined;
    const { env, container } = ref;
    const write = new vscode.EventEmitter<string>();
    const close = new vscode.EventEmitter<number | void>();
    const cts = new vscode.CancellationTokenSource();
    let text = '';
    const out = (line: string, colour?: string): void => {
      text += `${line}\n`;
      const safe = line.replace(/\r?\n/g, '\r\n');
      write.fire(colour ? `\x1b[${colour}m${safe}\x1b[0m\r\n` : `${safe}\r\n`);
    };
    let started: (() => void) | undefined;
    const opened = new Promise<void>((resolve) => (started = resolve));
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      onDidClose: close.event,
      open: () => started?.(),
      close: () => cts.cancel(),
      handleInput: (data) => {
        // Ctrl+C stops following, like `docker logs -f`.
        if (data === '\x03') cts.cancel();
      },
    };
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Logs: {0} ({1})', container.name, env.name), pty, iconPath: new vscode.ThemeIcon('output') });
    terminal.show();
    const ended = (async () => {
      await opened;
      out(vscode.l10n.t('Following the logs of {0} ({1}) on {2}; close the terminal or press Ctrl+C to stop.', container.name, container.image, env.sshTarget), '2');
      s.output.info(`logs of ${container.name} on ${env.name}: following`);
      try {
        const r = await s.client.runJob('containers.logs', { workspaceRoot: root, env: env.name, id: container.id, follow: true, tail: 500 }, { token: cts.token, onLog: (l) => out(l.line, l.level === 'info' ? undefined : '33') });
        out(vscode.l10n.t('[the log stream ended: {0} lines; the container stopped]', r.lines), '2');
      } catch (e) {
        if (e instanceof JobFailedError && e.cancelled) out(vscode.l10n.t('[stopped following]'), '2');
        else {
          out(vscode.l10n.t('[cannot read the logs: {0}]', messageOf(e)), '31');
          s.output.error(`logs of ${container.name} on ${env.name}: ${messageOf(e)}`);
        }
      } finally {
        cts.dispose();
      }
    })();
    return { terminal, text: () => text, ended };
  };
}

/** The modal's text: a Greenlight serving container is production traffic. */
function consequence(ref: ContainerRef, verb: 'stop' | 'restart'): string {
  const g = ref.container.greenlight;
  if (g?.serving)
    return verb === 'stop'
      ? vscode.l10n.t('This is the serving container of {0} ({1}) on {2}: stopping it takes the service down in production until it is started again or the next deploy.', g.service ?? '?', g.version ?? '?', ref.env.name)
      : vscode.l10n.t('This is the serving container of {0} ({1}) on {2}: production traffic gets no answer while it restarts.', g.service ?? '?', g.version ?? '?', ref.env.name);
  const who = g ? vscode.l10n.t('Greenlight started it (project {0}{1}).', g.project, g.role ? `, ${g.role}` : '') : vscode.l10n.t('Greenlight did not start it; whatever depends on it on {0} is affected.', ref.env.name);
  return `${ref.container.image} · ${ref.container.status}. ${who}`;
}

export function restartContainer(s: Services) {
  return async (arg?: unknown): Promise<{ name: string; startedAt: string } | undefined> => {
    const ref = await pickContainer(s, arg, vscode.l10n.t('Restart: container'));
    const root = s.project.root;
    if (!ref || !root) return undefined;
    const action = vscode.l10n.t('Restart');
    const choice = await s.prompts.modal(vscode.l10n.t('Restart container {0} on {1}?', ref.container.name, ref.env.name), consequence(ref, 'restart'), action);
    if (choice !== action) {
      s.output.info(`restart of ${ref.container.name} on ${ref.env.name} not confirmed; nothing changed`);
      return undefined;
    }
    const r = await runEnvJob(s, vscode.l10n.t('Greenlight: Restarting {0} on {1}', ref.container.name, ref.env.name), 'containers.restart', { workspaceRoot: root, env: ref.env.name, id: ref.container.id }, { env: ref.env.name });
    refreshEnvironment(s, ref.env.name);
    if (r) s.output.info(`restarted ${r.name} on ${ref.env.name}; started ${r.startedAt}`);
    return r;
  };
}

export function stopContainer(s: Services) {
  return async (arg?: unknown): Promise<{ name: string; running: boolean } | undefined> => {
    const ref = await pickContainer(s, arg, vscode.l10n.t('Stop: container'));
    const root = s.project.root;
    if (!ref || !root) return undefined;
    const action = vscode.l10n.t('Stop');
    const choice = await s.prompts.modal(vscode.l10n.t('Stop container {0} on {1}?', ref.container.name, ref.env.name), consequence(ref, 'stop'), action);
    if (choice !== action) {
      s.output.info(`stop of ${ref.container.name} on ${ref.env.name} not confirmed; nothing changed`);
      return undefined;
    }
    const r = await runEnvJob(s, vscode.l10n.t('Greenlight: Stopping {0} on {1}', ref.container.name, ref.env.name), 'containers.stop', { workspaceRoot: root, env: ref.env.name, id: ref.container.id }, { env: ref.env.name });
    refreshEnvironment(s, ref.env.name);
    if (r) s.output.info(`stopped ${r.name} on ${ref.env.name}`);
    return r;
  };
}

/** The forwards this window holds open, one per container; all end when the extension stops. */
export class ContainerForwards implements vscode.Disposable {
  readonly #open = new Map<string, { url: Promise<string>; cts: vscode.CancellationTokenSource }>();

  /** The local URL of a forward to the container, opening one when there is none. */
  url(s: Services, root: string, env: string, container: HostContainerDto): Promise<string> {
    const key = `${env}/${container.id}`;
    const known = this.#open.get(key);
    if (known) return known.url;
    const cts = new vscode.CancellationTokenSource();
    let resolveUrl!: (u: string) => void;
    let rejectUrl!: (e: unknown) => void;
    const url = new Promise<string>((res, rej) => {
      resolveUrl = res;
      rejectUrl = rej;
    });
    this.#open.set(key, { url, cts });
    s.client
      .runJob('containers.forward', { workspaceRoot: root, env, id: container.id }, { token: cts.token, onProgress: (p) => p.step === 'forwarding' && p.message && resolveUrl(p.message), onLog: (l) => s.output.info(l.line) })
      .then(
        (r) => s.output.info(`forward to ${container.name} on ${env} closed (${r.closedBecause}, ${r.connections} connections)`),
        (e: unknown) => {
          rejectUrl(e);
          if (!(e instanceof JobFailedError && e.cancelled)) s.output.error(`forward to ${container.name} on ${env}: ${messageOf(e)}`);
        },
      )
      .finally(() => {
        this.#open.delete(key);
        cts.dispose();
      });
    return url;
  }

  /** Ends the forward to a container (tests; a closed forward is reopened by the next Open in Browser). */
  close(env: string, containerId: string): void {
    this.#open.get(`${env}/${containerId}`)?.cts.cancel();
  }

  dispose(): void {
    for (const f of this.#open.values()) f.cts.cancel();
    this.#open.clear();
  }
}

export function openContainerInBrowser(s: Services) {
  const forwards = new ContainerForwards();
  s.context.subscriptions.push(forwards);
  return async (arg?: unknown): Promise<{ url: string; close(): void } | undefined> => {
    const ref = await pickContainer(s, arg, vscode.l10n.t('Open in Browser: container'));
    const root = s.project.root;
    if (!ref || !root) return undefined;
    let url: string;
    try {
      url = await forwards.url(s, root, ref.env.name, ref.container);
    } catch (e) {
      void s.prompts.showErrorMessage(vscode.l10n.t('Cannot open {0} in a browser: {1}', ref.container.name, messageOf(e)));
      return undefined;
    }
    s.output.info(`opening ${url} (${ref.container.name} on ${ref.env.name})`);
    await s.prompts.openExternal(vscode.Uri.parse(url));
    return { url, close: () => forwards.close(ref.env.name, ref.container.id) };
  };
}
