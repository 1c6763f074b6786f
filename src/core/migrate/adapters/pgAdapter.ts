// PostgreSQL servers through `pg`: sessions for the runner (with the advisory migration lock),
// and scratch databases (CREATE DATABASE with a random name, copies through TEMPLATE, restores of
// pg_dump files through psql/pg_restore). The only file of src/core/migrate that imports pg.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { InputError, OperationError } from '../../common/errors';
import { redact, Secret } from '../../common/secret';
import { cleanPlainDump, isCustomFormatDump } from '../restore';
import { quoteIdent, toPgErrorInfo, type LockHolder, type LockProvider, type PgResult, type PgSession, type ScratchDatabase, type ScratchProvider } from '../session';

/** The advisory lock key pair: "Gl" and "mi" as int4s. Advisory locks are per database already. */
export const MIGRATION_LOCK_KEY: readonly [number, number] = [0x476c, 0x6d69];

export interface PgConnectOptions {
  /** Overrides the URL's password; the URL itself may carry none. */
  readonly password?: Secret;
  /** Shown in pg_stat_activity, which is how a waiting runner names the lock holder. */
  readonly applicationName?: string;
}

function connectionString(url: string, password?: Secret): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`not a PostgreSQL URL: ${redact(url)} (expected postgres://user@host:port/database)`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new InputError(`not a PostgreSQL URL: ${redact(url)} (expected postgres://…)`);
  if (password) u.password = encodeURIComponent(password.reveal());
  return u.toString();
}

export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** The URL for messages: no password, ever. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return redact(url);
  }
}

class PgServerSession implements PgSession {
  readonly engine = 'server' as const;
  readonly locks: LockProvider;
  #client: pg.Client;

  constructor(
    client: pg.Client,
    private readonly cs: string,
    private readonly appName: string,
    readonly description: string,
    readonly database: string,
  ) {
    this.#client = client;
    this.locks = new AdvisoryLock(this);
  }

  static async open(cs: string, appName: string, description: string, database: string): Promise<PgServerSession> {
    return new PgServerSession(await connectClient(cs, appName, description), cs, appName, description, database);
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<PgResult> {
    const r = await this.#client.query(sql, params as unknown[]);
    return { rows: r.rows, rowCount: r.rowCount ?? undefined };
  }

  async exec(sql: string): Promise<PgResult[]> {
    const r = (await this.#client.query(sql)) as pg.QueryResult | pg.QueryResult[];
    const list = Array.isArray(r) ? r : [r];
    return list.map((x) => ({ rows: x.rows ?? [], rowCount: x.command && /^(INSERT|UPDATE|DELETE|MERGE)$/.test(x.command) ? (x.rowCount ?? 0) : undefined }));
  }

  /** Closes and reopens the connection: CREATE DATABASE … TEMPLATE needs the source idle. */
  async reconnectAround<T>(fn: () => Promise<T>): Promise<T> {
    await this.#client.end();
    try {
      return await fn();
    } finally {
      this.#client = await connectClient(this.cs, this.appName, this.description);
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => undefined);
  }
}

async function connectClient(cs: string, appName: string, description: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: cs, application_name: appName.slice(0, 63), connectionTimeoutMillis: 10_000 });
  // An idle connection that the server drops must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw new OperationError(`cannot connect to ${description}: ${redact(toPgErrorInfo(e).message)}`);
  }
  return client;
}

class AdvisoryLock implements LockProvider {
  constructor(private readonly s: PgServerSession) {}

  async tryAcquire(): Promise<boolean> {
    const r = await this.s.query('select pg_try_advisory_lock($1, $2) as ok', [...MIGRATION_LOCK_KEY]);
    return r.rows[0]?.ok === true;
  }

  async release(): Promise<void> {
    await this.s.query('select pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK_KEY]);
  }

  async holder(): Promise<LockHolder | undefined> {
    const r = await this.s.query(
      `select a.pid, a.application_name, a.usename, coalesce(host(a.client_addr), 'local socket') as client, a.backend_start
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.objsubid = 2 and l.granted
          and l.database = (select oid from pg_database where datname = current_database())
          and l.pid <> pg_backend_pid()`,
      [...MIGRATION_LOCK_KEY],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const app = String(row.application_name || 'an unnamed client');
    return { description: `${app} (server pid ${row.pid}, role ${row.usename}, from ${row.client})`, since: row.backend_start as Date };
  }
}

/** Opens a session on the database in the URL. */
export async function connectPg(url: string, opts: PgConnectOptions = {}): Promise<PgSession> {
  const cs = connectionString(url, opts.password);
  const database = databaseNameOf(url);
  return PgServerSession.open(cs, opts.applicationName ?? 'greenlight', `PostgreSQL ${describeUrl(url)}`, database);
}

/**
 * Scratch databases on a server: the URL names any database the role can connect to; scratch
 * databases are created next to it (the role needs CREATEDB) and dropped by dispose().
 */
export async function serverScratchProvider(url: string, opts: PgConnectOptions = {}): Promise<ScratchProvider> {
  const cs = connectionString(url, opts.password);
  const admin = await connectClient(cs, 'greenlight scratch admin', describeUrl(url));
  const server = new URL(describeUrl(url));
  server.pathname = '/';
  const created = new Set<string>();
  const drop = async (name: string): Promise<void> => {
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    await admin.query(`drop database if exists ${quoteIdent(name)}`);
    created.delete(name);
  };
  const newName = (label: string): string => `gl_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(5).toString('hex')}`;
  const open = async (name: string): Promise<ScratchDatabase> => {
    const u = new URL(cs);
    u.pathname = `/${encodeURIComponent(name)}`;
    const session = await PgServerSession.open(u.toString(), opts.applicationName ?? 'greenlight verify', `PostgreSQL ${server.host}/${name}`, name);
    const db: ScratchDatabase = {
      session,
      copy: async () => {
        const copyName = newName('copy');
        await session.reconnectAround(async () => {
          await admin.query(`create database ${quoteIdent(copyName)} template ${quoteIdent(name)}`);
          created.add(copyName);
        });
        return open(copyName);
      },
      dispose: async () => {
        await session.close();
        await drop(name);
      },
    };
    return db;
  };
  const createEmpty = async (label: string): Promise<string> => {
    const name = newName(label);
    try {
      // template0 keeps whatever was added to template1 out of the comparison.
      await admin.query(`create database ${quoteIdent(name)} template template0`);
    } catch (e) {
      const info = toPgErrorInfo(e);
      const why = info.code === '42501' ? ' (the role needs the CREATEDB privilege)' : '';
      throw new OperationError(`cannot create a scratch database on ${server.host}: ${info.message}${why}`);
    }
    created.add(name);
    return name;
  };
  return {
    engine: 'server',
    description: `PostgreSQL ${server.host}`,
    create: async (label) => open(await createEmpty(label)),
    restore: async (label, dumpFile) => {
      const name = await createEmpty(label);
      const target = new URL(cs);
      target.pathname = `/${encodeURIComponent(name)}`;
      try {
        await restoreWithTools(target, dumpFile);
      } catch (e) {
        await drop(name).catch(() => undefined);
        throw e;
      }
      return open(name);
    },
    close: async () => {
      for (const name of [...created]) await drop(name).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

/**
 * Restores a dump with the PostgreSQL client tools. The password travels in PGPASSWORD, never on
 * the command line; ownership and privileges are left out because the roles of the production
 * server need not exist here.
 */
async function restoreWithTools(target: URL, dumpFile: string): Promise<void> {
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(target.password) };
  const urlNoPw = new URL(target.toString());
  urlNoPw.password = '';
  let head: Buffer;
  try {
    head = await readFile(dumpFile);
  } catch (e) {
    throw new InputError(`${dumpFile}: cannot read the dump (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (isCustomFormatDump(head)) {
    await run('pg_restore', ['--no-owner', '--no-acl', '--exit-on-error', '-d', urlNoPw.toString(), dumpFile], env, dumpFile);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'greenlight-restore-'));
  try {
    const cleaned = path.join(dir, 'dump.sql');
    await writeFile(cleaned, cleanPlainDump(head.toString('utf8')), { mode: 0o600 });
    await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', urlNoPw.toString(), '-f', cleaned], env, dumpFile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, dumpFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new OperationError(`cannot run ${cmd} to restore ${dumpFile}: ${e.message} (install the PostgreSQL client tools)`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new OperationError(`restoring ${dumpFile} failed (${cmd} exit ${code}): ${redact(err.trim().split('\n').slice(-3).join(' | '))}`));
    });
  });
}

/** Converts a custom-format dump to plain SQL (for PGlite, which cannot run pg_restore itself). */
export async function customDumpToSql(dumpFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pg_restore', ['--no-owner', '--no-acl', '-f', '-', dumpFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(new OperationError(`cannot run pg_restore to read ${dumpFile}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new OperationError(`pg_restore could not read ${dumpFile}: ${err.trim()}`))));
  });
}
