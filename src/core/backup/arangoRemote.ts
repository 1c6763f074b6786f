// ArangoDB backups of an environment, kept on its production host beside the PostgreSQL dumps.
//
// arangojs reaches the database through a loopback port whose connections ride the operation's
// SSH connection (ship/dbTunnel.ts, the forward the deploy's migration check uses), so the
// database port never has to be reachable from here and no second network path is opened.
//
// The export (arangoBackup.ts) is written into a private temporary directory on this machine,
// read back in full and hashed as it was written; only then is it copied over the same SSH
// connection into the environment's backup directory as `<id>.jsonl.gz.partial`, hashed again
// there by the host's own sha256sum (which must equal the hash taken while writing), made 0600
// and renamed to `<env>_<db>_<YYYYMMDD_HHMMSS>.jsonl.gz` with its `.meta.json` record beside it:
// the same directory, names, mode and metadata as pg_dump backups, so one listing, retention,
// download and delete serve both kinds. Streaming the export straight to the host would save the
// local copy, but the read-back verification would then need the whole file sent back again;
// staging keeps one transfer and proves that the bytes stored are the bytes that were verified.
// Verify and restore fetch the file back the same way and run the same checks on it.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError, OperationError } from '../common/errors';
import { sleep, throwIfCancelled, type JobContext } from '../common/job';
import type { Secret } from '../common/secret';
import type { EnvironmentConfig } from '../config/schema';
import { openDbTunnel } from '../ship/dbTunnel';
import type { RemoteHost } from '../ship/remoteHost';
import { arangoDatabaseExists, connectArangoBackup, type ArangoBackupConnectOptions } from './adapters/arangoAdapter';
import { exportArango, restoreArango, type ArangoBackupMeta, type ArangoDumpDriver, type ArangoRestoreResult } from './arangoBackup';
import { verifyArangoExport } from './arangoFormat';
import type { BackupEntry, CreateBackupOptions, VerifyResult } from './backups';
import { backupId } from './naming';
import type { RetentionPolicy } from './retention';
import { fileCommands } from './pgCommands';

export const ARANGO_DEFAULT_PORT = 8529;

/** The database as the production host sees it. */
export interface ArangoTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password?: Secret;
}

export interface ArangoBackupTarget {
  readonly kind: 'arangodb';
  readonly env: string;
  readonly dir: string;
  readonly arango: ArangoTarget;
  /** The environment's keep-N/GFS policy, applied after every successful backup when set. */
  readonly retention?: RetentionPolicy;
}

export function arangoTargetOf(env: EnvironmentConfig, password?: Secret): ArangoTarget | undefined {
  if (!env.database) return undefined;
  return { host: env.database.host, port: env.database.port ?? ARANGO_DEFAULT_PORT, database: env.database.name, user: env.database.user, password };
}

/** Where an export lives in the host's backup directory. */
export function arangoHostPaths(dir: string, id: string): { file: string; meta: string; partial: string } {
  const file = `${dir}/${id}.jsonl.gz`;
  return { file, meta: `${dir}/${id}.meta.json`, partial: `${file}.partial` };
}

export function describeArango(host: RemoteHost, t: ArangoTarget): string {
  return `ArangoDB database "${t.database}" at ${t.host}:${t.port} on ${host.target.host}`;
}

type Connect = (o: ArangoBackupConnectOptions) => ArangoDumpDriver;

/**
 * Opens one forwarded connection and closes it again: the tunnel can only reset a connection it
 * cannot forward, so this is where "connection refused on the host" gets its own words.
 */
async function assertForwardable(host: RemoteHost, t: ArangoTarget): Promise<void> {
  try {
    (await host.connection.forwardTcp(t.host, t.port)).destroy();
  } catch (e) {
    throw new OperationError(`${describeArango(host, t)} is not reachable: ${(e as Error).message}`);
  }
}

/** Runs fn with an arangojs driver whose connections go through the host's SSH connection. */
export async function withArangoOverSsh<T>(host: RemoteHost, t: ArangoTarget, fn: (driver: ArangoDumpDriver) => Promise<T>, connect: Connect = connectArangoBackup): Promise<T> {
  await assertForwardable(host, t);
  const tunnel = await openDbTunnel(host, t.host, t.port);
  let driver: ArangoDumpDriver | undefined;
  try {
    driver = connect({ url: `http://${tunnel.host}:${tunnel.port}`, database: t.database, username: t.user, password: t.password, description: describeArango(host, t) });
    return await fn(driver);
  } finally {
    await driver?.close().catch(() => undefined);
    await tunnel.close();
  }
}

/**
 * Whether the database exists, asked through the SSH connection. A server that does not answer
 * is retried for up to `retryForMs` (a database still starting); wrong credentials fail at once.
 */
export async function probeArango(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, t: ArangoTarget, retryForMs = 0): Promise<boolean> {
  const until = Date.now() + retryForMs;
  for (;;) {
    const tunnel = await openDbTunnel(host, t.host, t.port);
    try {
      await assertForwardable(host, t);
      return await arangoDatabaseExists({ url: `http://${tunnel.host}:${tunnel.port}`, database: t.database, username: t.user, password: t.password, description: describeArango(host, t) });
    } catch (e) {
      if (/\b401\b|not authori[sz]ed|unauthori[sz]ed/i.test((e as Error).message) || Date.now() > until) throw e;
    } finally {
      await tunnel.close();
    }
    await sleep(1000, ctx.signal);
  }
}

async function sha256On(host: RemoteHost, file: string, ctx: JobContext): Promise<string> {
  const out = await host.run(fileCommands.sha256(file), { signal: ctx.signal });
  const sum = out.trim().split(/\s+/)[0] ?? '';
  if (!/^[0-9a-f]{64}$/.test(sum)) throw new OperationError(`sha256sum on ${host.target.host} printed "${out.trim()}"`);
  return sum;
}

async function statOn(host: RemoteHost, file: string, ctx: JobContext): Promise<{ sizeBytes: number; mode: string }> {
  const [size, mode] = (await host.run(fileCommands.size(file), { signal: ctx.signal })).trim().split(' ');
  return { sizeBytes: Number(size), mode: mode ?? '' };
}

/** Copies a file of the host into `to` over the SSH connection. */
async function fetchFromHost(ctx: JobContext, host: RemoteHost, from: string, to: string): Promise<void> {
  const out = createWriteStream(to, { mode: 0o600, flags: 'wx' });
  const closed = once(out, 'close');
  try {
    const r = await host.exec(fileCommands.cat(from), { stdout: out, signal: ctx.signal });
    if (r.code !== 0) throw new OperationError(`cannot read ${from} on ${host.target.host}: ${r.stderr.trim() || `exit ${r.code ?? r.signal}`}`);
  } finally {
    out.end();
    await closed;
  }
}

async function privateDir(): Promise<string> {
  // mkdtemp makes the directory 0700: nobody else on this machine can read the staged export.
  return await mkdtemp(path.join(os.tmpdir(), 'greenlight-arango-'));
}

export async function createArangoBackup(
  ctx: JobContext,
  host: RemoteHost,
  t: ArangoBackupTarget,
  opts: CreateBackupOptions & { readonly existing: ReadonlySet<string>; readonly connect?: Connect },
): Promise<ArangoBackupMeta> {
  const started = Date.now();
  let at = opts.now ?? new Date();
  // Two backups in the same second would share a name; never overwrite one.
  while (opts.existing.has(backupId(t.env, t.arango.database, at))) at = new Date(at.getTime() + 1000);
  const local = await privateDir();
  let partial: string | undefined;
  try {
    ctx.progress({ step: 'backup', message: `arangojs export of ${describeArango(host, t.arango)} over ssh` });
    const meta = await withArangoOverSsh(
      host,
      t.arango,
      (driver) => exportArango(ctx, driver, { env: t.env, dir: local, reason: opts.reason, deployVersion: opts.deployVersion, deployId: opts.deployId, now: at }),
      opts.connect,
    );
    throwIfCancelled(ctx.signal);
    const p = arangoHostPaths(t.dir, meta.id);
    partial = p.partial;
    ctx.progress({ step: 'backup', message: `copying ${meta.id} (${(meta.sizeBytes / 1e6).toFixed(2)} MB) to ${host.target.host}:${t.dir}` });
    await host.run(fileCommands.mkdir(t.dir), { signal: ctx.signal });
    await host.run(fileCommands.write(p.partial), { stdin: createReadStream(meta.file), signal: ctx.signal });
    const onHost = await statOn(host, p.partial, ctx);
    const sha256 = await sha256On(host, p.partial, ctx);
    if (sha256 !== meta.sha256 || onHost.sizeBytes !== meta.sizeBytes) {
      throw new OperationError(
        `backup ${meta.id}: the copy on ${host.target.host} has sha256 ${sha256} (${onHost.sizeBytes} bytes), the export written here ${meta.sha256} (${meta.sizeBytes} bytes): the copy is damaged and was not kept`,
      );
    }
    await host.run(fileCommands.chmod600(p.partial), { signal: ctx.signal });
    await host.run(fileCommands.move(p.partial, p.file), { signal: ctx.signal });
    const stored: ArangoBackupMeta = { ...meta, file: p.file, durationMs: Date.now() - started };
    await host.run(fileCommands.write(p.meta), { stdin: JSON.stringify(stored) + '\n', signal: ctx.signal });
    ctx.log(`backup: ${meta.id} stored as ${host.target.host}:${p.file} (sha256 checked on the host, mode 0600)`);
    return stored;
  } finally {
    await rm(local, { recursive: true, force: true });
    if (partial && !host.connection.closed) await host.exec(fileCommands.remove(partial)).catch(() => undefined);
  }
}

/** Re-reads an export kept on the host: recorded sha256, every record of the format, mode 0600. */
export async function verifyArangoBackup(ctx: JobContext, host: RemoteHost, entry: BackupEntry): Promise<VerifyResult> {
  const local = await privateDir();
  try {
    const file = path.join(local, `${entry.id}.jsonl.gz`);
    ctx.progress({ step: 'verify', message: `reading ${entry.id} back from ${host.target.host}` });
    await fetchFromHost(ctx, host, entry.file, file);
    const problems: string[] = [];
    if (!entry.meta) problems.push('no metadata record: the sha256 taken at backup time is unknown');
    const v = await verifyArangoExport(file, entry.meta?.sha256);
    problems.push(...v.problems);
    const { mode } = await statOn(host, entry.file, ctx);
    if (mode !== '600') problems.push(`mode is ${mode}, expected 600`);
    return { id: entry.id, ok: problems.length === 0, problems, sha256: v.sha256, collections: v.summary?.collections.length, documents: v.summary?.documents };
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}

/**
 * Restores an export kept on the host into the environment's database. The file is fetched and
 * checked in full (sha256 against the record, every record) before anything is asked or changed;
 * the question names the collections that will be emptied and refilled, as pg_restore --clean
 * replaces the objects of its archive.
 */
export async function restoreArangoBackup(
  ctx: JobContext,
  host: RemoteHost,
  t: ArangoBackupTarget,
  entry: BackupEntry,
  opts: { readonly confirm: (summary: string) => Promise<boolean>; readonly connect?: Connect },
): Promise<ArangoRestoreResult> {
  if (!entry.file.endsWith('.jsonl.gz')) throw new InputError(`${entry.id} is a PostgreSQL dump; environment "${t.env}" has an ArangoDB database`);
  if (!entry.meta) throw new OperationError(`refusing to restore ${entry.id}: no metadata record, so the sha256 taken at backup time is unknown`);
  const local = await privateDir();
  try {
    await fetchFromHost(ctx, host, entry.file, path.join(local, `${entry.id}.jsonl.gz`));
    await writeFile(path.join(local, `${entry.id}.meta.json`), JSON.stringify(entry.meta) + '\n', { mode: 0o600, flag: 'wx' });
    return await withArangoOverSsh(host, t.arango, (driver) => restoreArango(ctx, driver, local, entry.id, { confirm: opts.confirm, replace: true }), opts.connect);
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}
