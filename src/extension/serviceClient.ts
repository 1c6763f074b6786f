// Owns the background service process: starts it over IPC, answers "is it healthy", runs jobs
// through it, and restarts it (telling the user) when it dies. Everything the extension asks of
// the engine goes through here and the typed protocol.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  TransportKind,
  type CloseHandlerResult,
  type DocumentSelector,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import {
  HealthRequest,
  JobCancelRequest,
  JobLogNotification,
  JobProgressNotification,
  JobRunRequest,
  SERVICE_PROCESS_ENV,
  StateChangedNotification,
  type HealthReport,
  type JobKind,
  type JobLogParams,
  type JobOutcome,
  type JobParams,
  type JobProgressParams,
  type JobResult,
} from '../service/protocol';

/**
 * Files the service sees as they are edited. The selector is deliberately broad (every SQL, AQL,
 * JSON, Ruby and Python file): the service decides which of them are migrations or seeds from
 * greenlight.yaml and the greenlight.lint.paths setting, so custom paths lint as you type too.
 */
export const SERVICE_DOCUMENT_SELECTOR: DocumentSelector = [
  { scheme: 'file', pattern: '**/greenlight.yaml' },
  { scheme: 'file', language: 'sql' },
  { scheme: 'file', pattern: '**/*.{sql,pgsql,psql,aql}' },
  { scheme: 'file', pattern: '**/*.{json,rb,py}' },
  // arangojs migration scripts: only under migrations folders, so the rest of a TypeScript project stays out.
  { scheme: 'file', pattern: '**/{migrations,migration,migrate}/**/*.{js,mjs,cjs,ts,mts,cts}' },
];

export class JobFailedError extends Error {
  constructor(
    message: string,
    readonly cancelled: boolean,
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = 'JobFailedError';
  }
}

export interface RunJobOptions {
  readonly token?: vscode.CancellationToken;
  readonly onProgress?: (p: JobProgressParams) => void;
  readonly onLog?: (p: JobLogParams) => void;
}

const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60_000;

export class ServiceClient implements vscode.Disposable {
  #client: LanguageClient | undefined;
  #restarts: number[] = [];
  #jobSeq = 0;
  readonly #progress = new Map<string, RunJobOptions>();
  readonly #onStateChanged = new vscode.EventEmitter<string>();
  readonly onStateChanged = this.#onStateChanged.event;
  readonly #onRestarted = new vscode.EventEmitter<number>();
  /** Fires with the restart count each time the service was restarted after dying. */
  readonly onRestarted = this.#onRestarted.event;

  constructor(
    private readonly serverModule: string,
    private readonly output: vscode.LogOutputChannel,
    private readonly version: string,
  ) {}

  async start(): Promise<void> {
    const serverOptions: ServerOptions = {
      run: { module: this.serverModule, transport: TransportKind.ipc, options: { env: this.serviceEnv() } },
      debug: { module: this.serverModule, transport: TransportKind.ipc, options: { env: this.serviceEnv(), execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: SERVICE_DOCUMENT_SELECTOR,
      outputChannel: this.output,
      // .greenlight/*.json, pglite.changed and environments.changed: a build, test, migrate up, deploy or backup in a terminal refreshes the view that shows it (src/service/localStateChanges.ts).
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/{greenlight.yaml,migrations/**,db/**,.greenlight/*.json,.greenlight/pglite.changed,.greenlight/environments.changed,.greenlight/builds/*.json}') },
      initializationOptions: { settings: vscode.workspace.getConfiguration('greenlight') },
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => this.onClosed(),
      },
    };
    this.#client = new LanguageClient('greenlight', 'Greenlight Service', serverOptions, clientOptions);
    this.#client.onNotification(JobProgressNotification, (p) => this.#progress.get(p.jobId)?.onProgress?.(p));
    this.#client.onNotification(JobLogNotification, (p) => {
      const opts = this.#progress.get(p.jobId);
      if (opts?.onLog) opts.onLog(p);
      else this.output[p.level === 'info' ? 'info' : p.level](p.line);
    });
    this.#client.onNotification(StateChangedNotification, (p) => this.#onStateChanged.fire(p.area));
    await this.#client.start();
  }

  /** The language client, for features (like lint quick fixes) that need the raw LSP channel. */
  get languageClient(): LanguageClient | undefined {
    return this.#client;
  }

  async health(): Promise<HealthReport> {
    return this.requireClient().sendRequest(HealthRequest);
  }

  async runJob<K extends JobKind>(kind: K, params: JobParams<K>, opts: RunJobOptions = {}): Promise<JobResult<K>> {
    const client = this.requireClient();
    const jobId = `job-${process.pid}-${++this.#jobSeq}`;
    this.#progress.set(jobId, opts);
    const cancel = opts.token?.onCancellationRequested(() => void client.sendRequest(JobCancelRequest, { jobId }).catch(() => undefined));
    try {
      const outcome: JobOutcome = await client.sendRequest(JobRunRequest, { jobId, kind, params });
      if (!outcome.ok) throw new JobFailedError(outcome.message, outcome.cancelled, outcome.exitCode);
      return outcome.result as JobResult<K>;
    } finally {
      cancel?.dispose();
      this.#progress.delete(jobId);
    }
  }

  async restart(): Promise<void> {
    await this.#client?.restart();
  }

  dispose(): void {
    // stop() throws on a client that never got running (a failed start); there is nothing to stop then.
    if (this.#client?.isRunning()) void this.#client.stop().catch((e) => this.output.warn(`stopping the service: ${String(e)}`));
    this.#onStateChanged.dispose();
    this.#onRestarted.dispose();
  }

  private requireClient(): LanguageClient {
    if (!this.#client) throw new Error('the Greenlight background service is not running');
    return this.#client;
  }

  private onClosed(): CloseHandlerResult {
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.#restarts.length >= MAX_RESTARTS) {
      const message = vscode.l10n.t('The Greenlight background service stopped {0} times in 3 minutes and will not be restarted. Run "Greenlight: Restart Background Service" after checking the output.', MAX_RESTARTS + 1);
      void vscode.window.showErrorMessage(message, vscode.l10n.t('Show Output')).then((a) => a && this.output.show());
      return { action: CloseAction.DoNotRestart, message, handled: true };
    }
    this.#restarts.push(now);
    const count = this.#restarts.length;
    this.output.warn(`background service stopped unexpectedly; restarting (${count} in the last 3 minutes)`);
    void vscode.window.showWarningMessage(vscode.l10n.t('The Greenlight background service stopped unexpectedly and was restarted.'));
    setTimeout(() => this.#onRestarted.fire(count), 0);
    return { action: CloseAction.Restart, handled: true };
  }

  private serviceEnv(): NodeJS.ProcessEnv {
    return { ...process.env, ...SERVICE_PROCESS_ENV, GREENLIGHT_VERSION: this.version };
  }
}
