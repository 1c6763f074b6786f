// Where a migrate command reads files from and which database it talks to, from the command
// line and greenlight.yaml: --dir beats database.migrations (and works without a config file);
// --database beats database.local.url; with neither, PostgreSQL projects use PGlite (a scratch
// instance for verify/drift, a persistent one in .greenlight/pglite for up/status).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../common/errors';
import { Secret } from '../common/secret';
import { CONFIG_FILE_NAME, formatProblem, loadConfig } from '../config/load';
import type { DatabaseConfig } from '../config/schema';
import { openPgliteDir, pgliteScratchProvider } from './adapters/pgliteAdapter';
import { connectPg, serverScratchProvider } from './adapters/pgAdapter';
import { connectArango } from './adapters/arangoAdapter';
import { ArangoBackend } from './arango/arangoBackend';
import { currentActor, type MigrationBackend } from './backend';
import { PgBackend } from './pgBackend';
import { loadMigrations, type MigrationFile } from './files';
import type { PgSession, ScratchProvider } from './session';

export interface TargetOptions {
  /** Directory greenlight.yaml is looked up in (the workspace root or the CLI's cwd). */
  readonly root: string;
  /** -c/--config: explicit project file. */
  readonly configFile?: string;
  readonly dir?: string;
  readonly database?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Do not read greenlight.yaml (scripts that name the directory and database themselves). */
  readonly ignoreConfig?: boolean;
}

export interface MigrateTarget {
  readonly root: string;
  readonly dir: string;
  readonly kind: 'postgres' | 'arangodb';
  readonly database?: DatabaseConfig;
  /** The server URL (without password) when one is used. */
  readonly url?: string;
  readonly password?: Secret;
}

export async function resolveTarget(o: TargetOptions): Promise<MigrateTarget> {
  const file = path.resolve(o.root, o.configFile ?? CONFIG_FILE_NAME);
  let database: DatabaseConfig | undefined;
  let root = o.root;
  if (o.configFile || (!o.ignoreConfig && existsSync(file))) {
    const loaded = await loadConfig(file);
    if (!loaded.ok) throw new InputError(`${loaded.problems.map(formatProblem).join('\n')}`);
    database = loaded.config.database;
    root = loaded.root;
  }
  const dir = o.dir ? path.resolve(o.root, o.dir) : path.resolve(root, database?.migrations ?? 'migrations');
  if (!existsSync(dir)) {
    throw new InputError(o.dir ? `${dir}: migrations directory not found` : `${dir}: migrations directory not found (set database.migrations in ${CONFIG_FILE_NAME}, or pass --dir)`);
  }
  const kind = database?.kind ?? (o.database && /^https?:|^arangodb/.test(o.database) ? 'arangodb' : 'postgres');
  let url = o.database ?? database?.local.url;
  let password: Secret | undefined;
  if (url) {
    const u = parseUrl(url);
    if (u.password) password = new Secret(decodeURIComponent(u.password));
    else if (!o.database && database?.local.passwordEnv) {
      const v = o.env[database.local.passwordEnv];
      if (v === undefined) throw new InputError(`${database.local.passwordEnv} is not set (database.local.passwordEnv in ${CONFIG_FILE_NAME})`);
      password = new Secret(v);
    } else if (o.env.PGPASSWORD) password = new Secret(o.env.PGPASSWORD);
    u.password = '';
    url = u.toString();
  }
  return { root, dir, kind, database, url, password };
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new InputError(`--database: not a URL (expected postgres://user@host:port/database)`);
  }
}

export async function targetMigrations(t: MigrateTarget): Promise<MigrationFile[]> {
  return loadMigrations(t.dir, { kinds: t.kind === 'postgres' ? ['sql'] : ['aql', 'arango-json'] });
}

/** Scratch databases for verify, drift and baseline: the server when one is given, else PGlite. */
export async function scratchProviderFor(t: MigrateTarget): Promise<ScratchProvider> {
  requirePostgres(t);
  return t.url ? serverScratchProvider(t.url, { password: t.password, applicationName: 'greenlight verify' }) : pgliteScratchProvider();
}

export function requirePostgres(t: MigrateTarget): void {
  if (t.kind !== 'postgres') throw new InputError('this command works on PostgreSQL migrations; ArangoDB projects use `greenlight migrate up|status` with an ArangoDB URL');
}

/** A session on the target database itself: the server, or the project's local PGlite database. */
export async function openTargetSession(t: MigrateTarget, verb: string): Promise<PgSession> {
  requirePostgres(t);
  if (t.url) return connectPg(t.url, { password: t.password, applicationName: `greenlight migrate ${verb} (${currentActor()}, pid ${process.pid})` });
  return openLocalPglite(t.root, verb);
}

/** The verbs whose sessions may change the local database (status, drift and dry runs only read or roll back). */
const LOCAL_WRITING_VERBS = new Set(['up', 'baseline', 'accept-checksum']);

/**
 * Written next to the local PGlite database whenever a session that may have changed it closes.
 * An editor shows migration states of this database; a `greenlight migrate up` in a terminal
 * changes them behind its back, and a file that stays on disk is an event no file watcher can
 * miss (a pid file that lives for a second can be created and deleted inside one batch of
 * events, which watchers coalesce into nothing).
 */
export const LOCAL_DATABASE_CHANGED_FILE = 'pglite.changed';

/** The path of LOCAL_DATABASE_CHANGED_FILE for a project root. */
export function localDatabaseChangedPath(root: string): string {
  return path.join(root, '.greenlight', LOCAL_DATABASE_CHANGED_FILE);
}

/**
 * The project's local PGlite database. PGlite runs inside one process, so a pid file keeps a
 * second process (the CLI while the editor's service has it open) from opening it at once.
 */
async function openLocalPglite(root: string, verb: string): Promise<PgSession> {
  const dir = path.join(root, '.greenlight', 'pglite');
  await mkdir(path.dirname(dir), { recursive: true });
  const pidFile = `${dir}.pid`;
  if (existsSync(pidFile)) {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    if (pid && pid !== process.pid && isAlive(pid)) throw new InputError(`${dir}: the local PGlite database is open in process ${pid}; close it there or pass --database`);
  }
  await writeFile(pidFile, String(process.pid));
  const session = await openPgliteDir(dir);
  const close = session.close.bind(session);
  return Object.assign(session, {
    close: async () => {
      try {
        await close();
      } finally {
        // Even a failed `up` may have applied some migrations before it stopped.
        if (LOCAL_WRITING_VERBS.has(verb)) await writeFile(localDatabaseChangedPath(root), `${JSON.stringify({ verb, pid: process.pid, at: new Date().toISOString() })}\n`);
        await rm(pidFile, { force: true });
      }
    },
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The runner backend for up/status/accept-checksum: PostgreSQL (server or local PGlite) or ArangoDB. */
export async function openBackend(t: MigrateTarget, verb: string): Promise<{ backend: MigrationBackend; pg?: PgBackend; close(): Promise<void> }> {
  if (t.kind === 'arangodb') {
    if (!t.url) throw new InputError('ArangoDB migrations need --database http://user@host:8529/<database> (or database.local.url)');
    const u = new URL(t.url);
    const dbName = decodeURIComponent(u.pathname.replace(/^\//, '')) || t.database?.name || '_system';
    const username = decodeURIComponent(u.username) || undefined;
    u.username = '';
    u.pathname = '/';
    const driver = connectArango({ url: u.toString().replace(/\/$/, ''), database: dbName, username, password: t.password });
    return { backend: new ArangoBackend(driver), close: () => driver.close() };
  }
  const session = await openTargetSession(t, verb);
  const pg = new PgBackend(session);
  return { backend: pg, pg, close: () => session.close() };
}
