// The database an image test runs against. Production data is never touched:
//   test-db   (default) a separate, throwaway database: a copy of the local production snapshot
//             database (CREATE DATABASE … TEMPLATE), or loaded from test.snapshot (a pg_dump
//             file); dropped afterwards.
//   snapshot  the tests run on the local database itself, which is copied first and put back
//             afterwards (the copy is renamed over it), so whatever the tests wrote is undone.
//   none      no database.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { InputError, OperationError } from '../common/errors';
import type { JobContext } from '../common/job';
import { Secret } from '../common/secret';
import type { GreenlightConfig } from '../config/schema';
import { connectPgAdmin, type PgAdmin } from './adapters/postgresAdminAdapter';
import { runCommand } from './process';
import { formatStamp } from './version';

export type TestMode = 'test-db' | 'snapshot' | 'none';

export interface TestDatabase {
  /** Connection URL for the containers, password included (hence a Secret). */
  readonly url: Secret;
  readonly name: string;
  /** What the data came from, for the ledger: "database appdb", "file backups/x.sql" or "empty". */
  readonly snapshot: string;
  /** Drops the test database or restores the snapshot; safe to call once, always. */
  release(ctx: JobContext): Promise<void>;
}

/** Names of throwaway databases embed a UTC stamp, so leftovers of crashed runs can be aged. */
export const TEST_DB_MARK = '_gltest_';
export const SNAPSHOT_DB_MARK = '_glsnap_';

export function testDatabaseName(source: string, now: Date, suffix: string): string {
  // PostgreSQL truncates identifiers at 63 bytes; keep the stamp and suffix intact.
  const stamp = formatStamp(now).replace('-', '');
  return `${source.slice(0, 63 - TEST_DB_MARK.length - stamp.length - suffix.length - 1)}${TEST_DB_MARK}${stamp}_${suffix}`;
}

export interface LocalDatabase {
  /** Server URL without password, path = the local production snapshot database. */
  readonly url: URL;
  readonly source: string;
  readonly password?: Secret;
}

export function localDatabase(config: GreenlightConfig, env: NodeJS.ProcessEnv, file: string): LocalDatabase {
  const db = config.database;
  if (!db) throw new InputError(`${file}: the test mode needs a database, but none is declared (add \`database:\` or set test.mode: none)`);
  if (db.kind !== 'postgres') {
    throw new InputError(`${file}: image tests against an isolated ${db.kind} database are not supported yet; set test.mode: none to test without a database`);
  }
  if (!db.local.url) {
    throw new InputError(
      `${file}: test mode ${config.test.mode} needs database.local.url: a PostgreSQL server the test containers reach on 127.0.0.1 (they run with --network host)`,
    );
  }
  let url: URL;
  try {
    url = new URL(db.local.url);
  } catch {
    throw new InputError(`${file}: database.local.url is not a URL`);
  }
  if (url.password) throw new InputError(`${file}: database.local.url must not contain a password; name an environment variable in database.local.passwordEnv`);
  let password: Secret | undefined;
  if (db.local.passwordEnv) {
    const v = env[db.local.passwordEnv];
    if (v === undefined) throw new InputError(`${file}: database.local.passwordEnv names ${db.local.passwordEnv}, which is not set in the environment`);
    password = new Secret(v);
  }
  const source = decodeURIComponent(url.pathname.replace(/^\//, '')) || db.name;
  return { url, source, password };
}

function urlFor(local: LocalDatabase, dbName: string): Secret {
  const u = new URL(local.url.toString());
  u.pathname = `/${encodeURIComponent(dbName)}`;
  if (local.password) u.password = encodeURIComponent(local.password.reveal());
  return new Secret(u.toString());
}

export interface PrepareOptions {
  readonly mode: TestMode;
  readonly config: GreenlightConfig;
  readonly root: string;
  readonly file: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runId: string;
  readonly now: Date;
}

export async function prepareTestDatabase(opts: PrepareOptions, ctx: JobContext): Promise<TestDatabase | undefined> {
  if (opts.mode === 'none') return undefined;
  const local = localDatabase(opts.config, opts.env, opts.file);
  const admin = await connectPgAdmin(local.url.toString(), local.password).catch((e: Error) => {
    throw new OperationError(`cannot reach the local test database server ${local.url.host}: ${e.message}`);
  });
  try {
    return opts.mode === 'test-db' ? await separateDatabase(admin, local, opts, ctx) : await snapshotDatabase(admin, local, opts, ctx);
  } finally {
    await admin.close();
  }
}

async function separateDatabase(admin: PgAdmin, local: LocalDatabase, opts: PrepareOptions, ctx: JobContext): Promise<TestDatabase> {
  const name = testDatabaseName(local.source, opts.now, opts.runId);
  const snapshotFile = opts.config.test.snapshot ? path.resolve(opts.root, opts.config.test.snapshot) : undefined;
  let snapshot: string;
  if (snapshotFile) {
    if (!existsSync(snapshotFile)) throw new InputError(`${opts.file}: test.snapshot ${snapshotFile} does not exist`);
    await admin.createDatabase(name);
    snapshot = `file ${path.relative(opts.root, snapshotFile)}`;
    ctx.log(`test database ${name}: loading ${snapshotFile}`);
    try {
      await loadSnapshotFile(snapshotFile, local, name, ctx);
    } catch (e) {
      await dropQuietly(local, name);
      throw e;
    }
  } else if (await admin.databaseExists(local.source)) {
    ctx.log(`test database ${name}: a copy of ${local.source} (production data stays untouched)`);
    try {
      await admin.createDatabase(name, local.source);
    } catch (e) {
      throw new OperationError(`cannot copy ${local.source} into a test database: ${(e as Error).message}${/being accessed/.test((e as Error).message) ? ' (close other sessions on it; CREATE DATABASE … TEMPLATE needs it idle)' : ''}`);
    }
    snapshot = `database ${local.source}`;
  } else {
    ctx.log(`test database ${name}: empty (no database ${local.source} and no test.snapshot file to copy)`, 'warn');
    await admin.createDatabase(name);
    snapshot = 'empty';
  }
  let released = false;
  return {
    url: urlFor(local, name),
    name,
    snapshot,
    async release(c) {
      if (released) return;
      released = true;
      await dropQuietly(local, name, c);
    },
  };
}

async function snapshotDatabase(admin: PgAdmin, local: LocalDatabase, opts: PrepareOptions, ctx: JobContext): Promise<TestDatabase> {
  const db = local.source;
  if (!(await admin.databaseExists(db))) throw new InputError(`${opts.file}: test mode snapshot runs on database ${db}, which does not exist on ${local.url.host}`);
  const snap = `${db.slice(0, 40)}${SNAPSHOT_DB_MARK}${formatStamp(opts.now).replace('-', '')}_${opts.runId}`;
  ctx.log(`snapshot mode: copying ${db} to ${snap} before the test`);
  try {
    await admin.createDatabase(snap, db);
  } catch (e) {
    throw new OperationError(`cannot snapshot ${db}: ${(e as Error).message}`);
  }
  let released = false;
  return {
    url: urlFor(local, db),
    name: db,
    snapshot: `database ${db} (restored from ${snap} afterwards)`,
    async release(c) {
      if (released) return;
      released = true;
      const a = await connectPgAdmin(local.url.toString(), local.password);
      try {
        // Drop the tested database only once its copy is known to exist: nothing is ever lost.
        if (!(await a.databaseExists(snap))) throw new OperationError(`snapshot ${snap} vanished; ${db} was left as the tests left it`);
        await a.dropDatabase(db);
        await a.renameDatabase(snap, db);
        c.log(`snapshot mode: ${db} restored from ${snap}`);
      } catch (e) {
        c.log(`snapshot mode: restoring ${db} failed: ${(e as Error).message}. The snapshot is kept as ${snap}; rename it to ${db} by hand.`, 'error');
        throw e;
      } finally {
        await a.close();
      }
    },
  };
}

async function dropQuietly(local: LocalDatabase, name: string, ctx?: JobContext): Promise<void> {
  try {
    const a = await connectPgAdmin(local.url.toString(), local.password);
    try {
      await a.dropDatabase(name);
    } finally {
      await a.close();
    }
  } catch (e) {
    ctx?.log(`could not drop test database ${name}: ${(e as Error).message}; it will be removed with the next run's leftovers`, 'warn');
  }
}

/** Loads a pg_dump file: plain SQL through psql, custom/directory/tar format through pg_restore. */
async function loadSnapshotFile(file: string, local: LocalDatabase, dbName: string, ctx: JobContext): Promise<void> {
  const u = new URL(local.url.toString());
  u.pathname = `/${encodeURIComponent(dbName)}`;
  const env = { ...process.env, ...(local.password ? { PGPASSWORD: local.password.reveal() } : {}) };
  const plain = /\.sql$/i.test(file);
  const argv = plain
    ? ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', u.toString(), '-f', file]
    : ['pg_restore', '--no-owner', '--no-acl', '--exit-on-error', '-d', u.toString(), file];
  const r = await runCommand(argv, { cwd: path.dirname(file), env, signal: ctx.signal });
  if (r.exitCode !== 0) throw new OperationError(`loading ${file} into ${dbName} failed (${argv[0]} exited ${r.exitCode}):\n${r.tail.slice(-20).join('\n')}`);
}

/** Drops throwaway test databases older than maxAgeMs (from crashed runs). */
export async function dropLeftoverTestDatabases(config: GreenlightConfig, env: NodeJS.ProcessEnv, file: string, maxAgeMs: number, now: Date, ctx: JobContext): Promise<string[]> {
  let local: LocalDatabase;
  try {
    local = localDatabase(config, env, file);
  } catch {
    return [];
  }
  const admin = await connectPgAdmin(local.url.toString(), local.password);
  const dropped: string[] = [];
  try {
    for (const name of await admin.listDatabases(local.source.slice(0, 20))) {
      const m = new RegExp(`${TEST_DB_MARK}(\\d{14})_`).exec(name);
      if (!m) continue;
      const s = m[1] ?? '';
      const t = Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8)), Number(s.slice(8, 10)), Number(s.slice(10, 12)), Number(s.slice(12, 14)));
      if (now.getTime() - t > maxAgeMs) {
        await admin.dropDatabase(name);
        dropped.push(name);
        ctx.log(`removed leftover test database ${name}`);
      }
    }
  } finally {
    await admin.close();
  }
  return dropped;
}
