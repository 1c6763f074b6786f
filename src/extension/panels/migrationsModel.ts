// What the migration panel and the "Verify this migration" CodeLens show: the service's status of
// every migration on each target, the last verify and dry-run results, and the lint findings the
// language server publishes for the files. It refreshes itself while someone holds it (the open
// panel): when a migration file changes on disk, greenlight.yaml changes, the service says the
// migrations changed, or a job of ours ends.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { connectionProblem, restrictedProblem } from '../connectionProblem';
import type { ConnectionProblemKind, JobProgressParams, MigrationDriftDto, MigrationDryRunDto, MigrationsStatusDto, MigrationVerifyDto } from '../../service/protocol';
import type { ProjectState } from '../projectState';
import { EnvironmentSecrets } from '../secrets';
import type { ServiceClient } from '../serviceClient';
import { countStates, type FindingSeverity, type PanelActivity, type PanelFinding, type PanelMigration, type PanelState, type PanelTarget, type PanelVerdict } from './migrationMessages';

const SEVERITY: Record<number, FindingSeverity> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
  [vscode.DiagnosticSeverity.Information]: 'info',
  [vscode.DiagnosticSeverity.Hint]: 'info',
};

/** The panel's words and button for an unreachable target (the panel cannot call vscode.l10n itself). */
function problemOf(kind: ConnectionProblemKind | undefined): Pick<PanelTarget, 'problemLabel' | 'fix'> {
  const p = connectionProblem(kind);
  return { problemLabel: p.label, fix: p.kind === 'unreachable' ? undefined : { kind: p.kind, title: p.fix.title } };
}

const MIGRATION_EXTENSIONS = new Set(['.sql', '.aql', '.json']);

export interface JobOptions {
  readonly token?: vscode.CancellationToken;
  readonly onProgress?: (p: JobProgressParams) => void;
}

export class MigrationsModel implements vscode.Disposable {
  #status: MigrationsStatusDto | undefined;
  #statusError: string | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  #holders = 0;
  readonly #verdicts = new Map<string, PanelVerdict>();
  #lastVerify: MigrationVerifyDto | undefined;
  readonly #dryRuns = new Map<string, MigrationDryRunDto>();
  readonly #drifts = new Map<string, MigrationDriftDto>();
  readonly #activity = new Set<PanelActivity>();
  #watcher: { dir: string; disposable: vscode.Disposable } | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #diagDebounce: NodeJS.Timeout | undefined;
  readonly #onDidChange = new vscode.EventEmitter<void>();
  /** Fires whenever the state the panel renders has changed. */
  readonly onDidChange = this.#onDidChange.event;
  readonly #subs: vscode.Disposable[] = [];

  constructor(
    private readonly client: ServiceClient,
    private readonly project: ProjectState,
    /** Where the editor keeps environments' database passwords; read, never asked for, by a status refresh. */
    private readonly secrets?: EnvironmentSecrets,
  ) {
    this.#subs.push(
      // 'migrations': a `greenlight migrate up` in a terminal changed the local database (src/service/localStateChanges.ts).
      // A changed greenlight.yaml and a restarted service arrive through the project below, once
      // its summary is current.
      client.onStateChanged((area) => area === 'migrations' && this.refreshIfHeld()),
      // The migrations directory may have moved: the CodeLens asks isMigrationFile again.
      project.onDidChange(() => {
        this.#onDidChange.fire();
        this.refreshIfHeld();
      }),
      vscode.languages.onDidChangeDiagnostics((e) => {
        if (!e.uris.some((u) => this.isMigrationFile(u))) return;
        clearTimeout(this.#diagDebounce);
        this.#diagDebounce = setTimeout(() => this.#onDidChange.fire(), 150);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.#onDidChange.fire()),
    );
  }

  get status(): MigrationsStatusDto | undefined {
    return this.#status;
  }

  get lastVerify(): MigrationVerifyDto | undefined {
    return this.#lastVerify;
  }

  /** The migrations directory: from the last status, else from greenlight.yaml, else ./migrations. */
  get dir(): string | undefined {
    if (this.#status?.dir) return this.#status.dir;
    const root = this.project.root;
    return root ? path.resolve(root, this.project.summary?.database?.migrations ?? 'migrations') : undefined;
  }

  isMigrationFile(uri: vscode.Uri): boolean {
    const dir = this.dir;
    return uri.scheme === 'file' && dir !== undefined && path.dirname(uri.fsPath) === dir && MIGRATION_EXTENSIONS.has(path.extname(uri.fsPath).toLowerCase());
  }

  verdict(fileName: string): PanelVerdict | undefined {
    return this.#verdicts.get(fileName);
  }

  /**
   * Keeps the model fresh while the returned disposable lives (the panel holds it while open), so
   * no status job runs for a closed panel.
   */
  hold(): vscode.Disposable {
    this.#holders++;
    void this.refresh();
    return new vscode.Disposable(() => {
      this.#holders = Math.max(0, this.#holders - 1);
    });
  }

  private refreshIfHeld(): void {
    if (this.#holders > 0) void this.refresh();
  }

  /** Asks the service for the status; a refresh asked for while one runs runs once more after it. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = this.load().finally(() => {
      this.#refreshing = undefined;
      if (this.#again) {
        this.#again = false;
        void this.refresh();
      }
    });
    return this.#refreshing;
  }

  private async load(): Promise<void> {
    const root = this.project.root;
    if (!root) {
      this.#status = undefined;
      this.#statusError = vscode.l10n.t('Open a folder to see its migrations.');
      this.#onDidChange.fire();
      return;
    }
    await this.track({ kind: 'status', label: vscode.l10n.t('Reading migration status') }, async () => {
      try {
        // Restricted Mode: no SSH tunnel to an environment's database; each environment is shown
        // as a 'restricted' target instead (see restrictedTargets), and the local one still is.
        const trusted = vscode.workspace.isTrusted;
        const status = await this.client.runJob('migrate.status', { workspaceRoot: root, environments: trusted, dbPasswords: trusted ? await this.storedPasswords() : undefined });
        this.#status = trusted ? status : { ...status, targets: [...status.targets, ...this.restrictedTargets()] };
        this.#statusError = undefined;
        // The editor title and explorer menus show "Verify this migration" for these files.
        void vscode.commands.executeCommand('setContext', 'greenlight.migrationFiles', this.#status.files.map((f) => f.path));
      } catch (e) {
        this.#statusError = vscode.l10n.t('Reading the migration status failed: {0}', e instanceof Error ? e.message : String(e));
      }
      this.watchDir();
    });
  }

  private restrictedTargets(): MigrationsStatusDto['targets'] {
    const envs = this.project.summary?.ok ? this.project.summary.environments : [];
    return envs.map((e) => ({
      id: `env:${e.name}`,
      label: e.name,
      kind: 'environment',
      database: e.database ?? e.sshTarget,
      reachable: false,
      problem: restrictedProblem(),
      problemKind: 'restricted',
      ledgerExists: false,
      entries: [],
      durationMs: 0,
    }));
  }

  /**
   * The database passwords the user already gave for each environment (the deploy commands ask
   * for them and keep them in SecretStorage). A background refresh never prompts: an environment
   * without one falls back to its passwordEnv variable, or shows why it could not log in.
   */
  private async storedPasswords(): Promise<Record<string, string> | undefined> {
    const project = this.project.summary?.project;
    if (!this.secrets || !project) return undefined;
    const out: Record<string, string> = {};
    for (const env of this.project.summary?.environments ?? []) {
      const v = await this.secrets.stored(project, env.name);
      if (v !== undefined) out[env.name] = v;
    }
    return out;
  }

  /** The stored password of one target's database, if it is an environment with one. */
  async storedPassword(target: string): Promise<string | undefined> {
    const project = this.project.summary?.project;
    if (!this.secrets || !project || !target.startsWith('env:')) return undefined;
    return await this.secrets.stored(project, target.slice(4));
  }

  private async track<T>(activity: PanelActivity, fn: () => Promise<T>): Promise<T> {
    this.#activity.add(activity);
    this.#onDidChange.fire();
    try {
      return await fn();
    } finally {
      this.#activity.delete(activity);
      this.#onDidChange.fire();
    }
  }

  /** Watches the migrations directory, so an added, edited or deleted file refreshes the status. */
  private watchDir(): void {
    const dir = this.dir;
    if (!dir || this.#watcher?.dir === dir) return;
    this.#watcher?.disposable.dispose();
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*'));
    const changed = (uri: vscode.Uri): void => {
      if (!MIGRATION_EXTENSIONS.has(path.extname(uri.fsPath).toLowerCase())) return;
      this.forgetVerdictsFrom(path.basename(uri.fsPath));
      clearTimeout(this.#debounce);
      this.#debounce = setTimeout(() => this.refreshIfHeld(), 300);
    };
    this.#watcher = { dir, disposable: vscode.Disposable.from(w, w.onDidChange(changed), w.onDidCreate(changed), w.onDidDelete(changed)) };
  }

  /** A changed file invalidates its own verdict and those of the files after it (they ran on top of it). */
  private forgetVerdictsFrom(fileName: string): void {
    for (const name of [...this.#verdicts.keys()]) if (name >= fileName) this.#verdicts.delete(name);
  }

  /** Verifies the chain (through one file when given) on a scratch database; records the verdicts. */
  async verify(through: string | undefined, opts: JobOptions = {}): Promise<MigrationVerifyDto> {
    const root = this.requireRoot();
    const label = through ? vscode.l10n.t('Verifying {0}', through) : vscode.l10n.t('Verifying all migrations');
    return this.track({ kind: 'verify', label }, async () => {
      const r = await this.client.runJob('migrate.verify', { workspaceRoot: root, through }, opts);
      this.#lastVerify = r;
      for (const m of r.migrations) {
        if (m.status === 'not-run') this.#verdicts.delete(m.fileName);
        else this.#verdicts.set(m.fileName, { status: m.status, problem: m.problem, finishedAt: r.finishedAt });
      }
      return r;
    });
  }

  /** Dry run on one target: pending migrations executed in a transaction that is rolled back. */
  async dryRun(target: string, opts: JobOptions & { execute?: boolean } = {}): Promise<MigrationDryRunDto> {
    const root = this.requireRoot();
    const label = vscode.l10n.t('Dry run on {0}', this.#status?.targets.find((t) => t.id === target)?.label ?? target);
    try {
      return await this.track({ kind: 'dryRun', label }, async () => {
        const r = await this.client.runJob('migrate.dryRun', { workspaceRoot: root, target, execute: opts.execute, dbPassword: await this.storedPassword(target) }, opts);
        this.#dryRuns.set(target, r);
        return r;
      });
    } finally {
      // A dry run reads the ledger afresh; the status may have moved on since the last refresh.
      void this.refresh();
    }
  }

  /** Schema drift of one target: its schema against a fresh migrate of the files its ledger lists. */
  async drift(target: string, opts: JobOptions = {}): Promise<MigrationDriftDto> {
    const root = this.requireRoot();
    const label = vscode.l10n.t('Checking drift on {0}', this.#status?.targets.find((t) => t.id === target)?.label ?? target);
    return this.track({ kind: 'drift', label }, async () => {
      const r = await this.client.runJob('migrate.drift', { workspaceRoot: root, target, dbPassword: await this.storedPassword(target) }, opts);
      this.#drifts.set(target, r);
      return r;
    });
  }

  private requireRoot(): string {
    const root = this.project.root;
    if (!root) throw new Error('Open a folder with migrations first.');
    return root;
  }

  /** The whole state the panel renders. */
  panelState(): PanelState {
    const s = this.#status;
    const migrations: PanelMigration[] = (s?.files ?? []).map((f) => ({
      fileName: f.fileName,
      path: f.path,
      noTransaction: f.noTransaction,
      missingOnDisk: false,
      findings: findingsOf(vscode.Uri.file(f.path)),
      verdict: this.#verdicts.get(f.fileName),
    }));
    const onDisk = new Set(migrations.map((m) => m.fileName));
    for (const t of s?.targets ?? []) {
      for (const e of t.entries) {
        if (e.state !== 'missing' || onDisk.has(e.fileName)) continue;
        onDisk.add(e.fileName);
        migrations.push({ fileName: e.fileName, path: '', noTransaction: false, missingOnDisk: true, findings: [] });
      }
    }
    migrations.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
    const targets: PanelTarget[] = (s?.targets ?? []).map((t) => ({
      id: t.id,
      label: t.label,
      kind: t.kind,
      database: t.database,
      reachable: t.reachable,
      problem: t.problem,
      ...(t.reachable ? {} : problemOf(t.problemKind)),
      ledgerExists: t.ledgerExists,
      counts: countStates(t.entries),
      entries: Object.fromEntries(t.entries.map((e) => [e.fileName, e])),
      lastDryRun: this.#dryRuns.get(t.id),
      lastDrift: this.#drifts.get(t.id),
    }));
    const v = this.#lastVerify;
    return {
      dir: s?.dir,
      databaseKind: s?.kind,
      problem: this.#statusError ?? s?.problem,
      migrations,
      targets,
      checkedAt: s?.checkedAt,
      activity: [...this.#activity],
      lastVerify: v
        ? { ok: v.ok, through: v.through, finishedAt: v.finishedAt, summary: v.text.trim().split('\n').at(-1) ?? '', checks: v.checks }
        : undefined,
      trusted: vscode.workspace.isTrusted,
    };
  }

  dispose(): void {
    clearTimeout(this.#debounce);
    clearTimeout(this.#diagDebounce);
    this.#watcher?.disposable.dispose();
    for (const d of this.#subs) d.dispose();
    this.#onDidChange.dispose();
  }
}

/** The Greenlight language server's findings on a file, as the panel lists them. */
export function findingsOf(uri: vscode.Uri): PanelFinding[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'greenlight')
    .map((d) => ({
      code: typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? ''),
      severity: SEVERITY[d.severity] ?? 'info',
      line: d.range.start.line + 1,
      message: d.message.split('\n')[0] ?? '',
    }))
    .sort((a, b) => a.line - b.line);
}
