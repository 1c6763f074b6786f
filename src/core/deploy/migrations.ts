// The production database as the deploy sees it: which of the project's migrations are pending
// there (computed by the migration engine in src/core/migrate against its ledger), whether a
// pre-deploy backup is needed, and the built-in runner as the deploy's "migrate" release task.
//
// Greenlight's own runner applies database.migrations when the project sets no
// database.migrateCommand: the same runner, ledger and lock that `greenlight migrate up` and the
// image tests use, so production gets exactly the files the tested image was tested with. It
// runs here and reaches the database through the operation's SSH connection (dbTunnel.ts).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { errorMessage } from '../common/errors';
import type { JobContext } from '../common/job';
import type { GreenlightConfig } from '../config/schema';
import { probeArango } from '../backup/arangoRemote';
import { connectPg } from '../migrate/adapters/pgAdapter';
import { loadMigrations, type MigrationFile } from '../migrate/files';
import { PgBackend } from '../migrate/pgBackend';
import { migrateUp, migrationStatus, type UpResult } from '../migrate/runner';
import type { PgSession } from '../migrate/session';
import type { RemoteHost } from '../ship/remoteHost';
import { databaseAddress, openDbTunnel, type DbTunnel } from '../ship/dbTunnel';
import type { ResolvedEnvironment } from './environment';
import { releaseTasksOf } from './plan';

/** When the deploy backs up the database: only when needed (default), always, or never. */
export type BackupPolicy = 'auto' | 'always' | 'never';

export interface MigrationCheck {
  /** Greenlight's runner applies database.migrations in this deploy (no database.migrateCommand). */
  readonly builtin: boolean;
  readonly databaseExists: boolean;
  /** Migration files in the project's migrations directory. */
  readonly files: number;
  readonly applied: number;
  /** Files the runner will apply: pending, or failed last time. */
  readonly pending: readonly string[];
  /** Release tasks that run migrations or seeds Greenlight cannot look into (app-managed). */
  readonly opaqueTasks: readonly string[];
  /** Why pending migrations could not be computed, when they could not. */
  readonly problem?: string;
}

export interface BackupDecision {
  readonly take: boolean;
  readonly reason: string;
}

/** The pre-deploy backup policy of seed 002, as a pure function of what the check found. */
export function decideBackup(policy: BackupPolicy, c: MigrationCheck, database: string): BackupDecision {
  if (policy === 'never') return { take: false, reason: 'skipped on request' };
  if (policy === 'always') return { take: true, reason: 'forced on request' };
  if (!c.databaseExists) return { take: false, reason: `database ${database} does not exist yet: nothing to back up` };
  if (c.problem) return { take: true, reason: `could not tell whether migrations are pending (${c.problem}); backing up to be safe` };
  if (c.opaqueTasks.length) {
    return { take: true, reason: `release task${c.opaqueTasks.length > 1 ? 's' : ''} ${c.opaqueTasks.join(', ')} may change the database and Greenlight cannot see what is pending there` };
  }
  if (c.pending.length) {
    const shown = c.pending.slice(0, 5).join(', ') + (c.pending.length > 5 ? `, … (${c.pending.length - 5} more)` : '');
    return { take: true, reason: `${c.pending.length} migration${c.pending.length > 1 ? 's' : ''} pending: ${shown}` };
  }
  if (c.builtin && c.files === 0) return { take: false, reason: `the project has no migration files and no release task changes ${database}` };
  return {
    take: false,
    reason: c.builtin
      ? `no migrations pending on ${database} (all ${c.files} applied, ledger up to date), so nothing this deploy runs changes the database`
      : `no migrations configured for ${database} and no release task changes it`,
  };
}

function noDatabase(e: unknown): boolean {
  return /database "[^"]*" does not exist|\b3D000\b/.test(errorMessage(e));
}

/** One deploy's view of the production database; close() when the deploy ends. */
export class ProductionMigrations {
  #tunnel: DbTunnel | undefined;
  #session: PgSession | undefined;
  #files: MigrationFile[] | undefined;

  private constructor(
    private readonly host: RemoteHost,
    private readonly env: ResolvedEnvironment,
    private readonly config: GreenlightConfig,
    readonly builtin: boolean,
    readonly dir: string | undefined,
  ) {}

  static for(host: RemoteHost, env: ResolvedEnvironment, config: GreenlightConfig): ProductionMigrations {
    const db = config.database;
    const builtin = !!env.backup && db?.kind === 'postgres' && !db.migrateCommand;
    return new ProductionMigrations(host, env, config, builtin, builtin && db ? path.resolve(env.root, db.migrations) : undefined);
  }

  async #migrationFiles(ctx: JobContext): Promise<MigrationFile[]> {
    if (this.#files) return this.#files;
    if (!this.dir) return (this.#files = []);
    if (!existsSync(this.dir)) {
      ctx.log(`migrate: no migrations directory ${this.dir}; nothing to migrate`, 'warn');
      return (this.#files = []);
    }
    return (this.#files = await loadMigrations(this.dir, { kinds: ['sql'] }));
  }

  async #open(): Promise<PgSession> {
    if (this.#session) return this.#session;
    const t = this.env.backup;
    if (!t || t.kind === 'arangodb') throw new Error('the built-in migration runner needs a PostgreSQL database');
    const pg = t.pg;
    const at = await databaseAddress(this.host.docker, pg);
    this.#tunnel ??= await openDbTunnel(this.host, at.host, at.port);
    const url = `postgres://${encodeURIComponent(pg.user)}@${this.#tunnel.host}:${this.#tunnel.port}/${encodeURIComponent(pg.database)}`;
    this.#session = await connectPg(url, { password: pg.password, applicationName: `greenlight deploy (${this.env.name})` });
    return this.#session;
  }

  /** Computes what the deploy will change in the database, without changing anything. */
  async check(ctx: JobContext): Promise<MigrationCheck> {
    const opaqueTasks = releaseTasksOf(this.config, this.env.env).filter((t) => t.migrates).map((t) => t.name);
    const base = { builtin: this.builtin, opaqueTasks, databaseExists: true, files: 0, applied: 0, pending: [] as string[] };
    if (!this.env.backup) return { ...base, databaseExists: false };
    if (this.env.backup.kind === 'arangodb') {
      // Greenlight's runner does not apply ArangoDB migrations in a deploy: what decides the
      // backup is whether the database exists and whether a release task may change it.
      try {
        return { ...base, databaseExists: await probeArango(ctx, this.host, this.env.backup.arango) };
      } catch (e) {
        return { ...base, problem: errorMessage(e) };
      }
    }
    let files: MigrationFile[];
    try {
      files = await this.#migrationFiles(ctx);
    } catch (e) {
      return { ...base, problem: errorMessage(e) };
    }
    if (files.length === 0) {
      // Nothing of ours to apply; existence still decides whether there is anything to back up.
      try {
        await this.#open();
      } catch (e) {
        if (noDatabase(e)) return { ...base, databaseExists: false };
        return { ...base, problem: errorMessage(e) };
      }
      return base;
    }
    try {
      const status = await migrationStatus(new PgBackend(await this.#open()), files);
      const pending = status.entries.filter((e) => e.state === 'pending' || e.state === 'failed').map((e) => e.fileName);
      return { ...base, files: files.length, applied: status.counts.applied, pending };
    } catch (e) {
      if (noDatabase(e)) return { ...base, files: files.length, pending: files.map((f) => f.name), databaseExists: false };
      return { ...base, files: files.length, problem: errorMessage(e) };
    }
  }

  /** Applies the pending migrations with the built-in runner; stops at the first failure. */
  async apply(ctx: JobContext, opts: { imageVersion: string; appliedBy: string }): Promise<UpResult> {
    const files = await this.#migrationFiles(ctx);
    return await migrateUp(new PgBackend(await this.#open()), files, ctx, { imageVersion: opts.imageVersion, appliedBy: opts.appliedBy });
  }

  async close(): Promise<void> {
    await this.#session?.close().catch(() => undefined);
    this.#session = undefined;
    await this.#tunnel?.close();
    this.#tunnel = undefined;
  }
}
