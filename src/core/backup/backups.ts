// Backups on the production host. A PostgreSQL backup is `pg_dump --format=custom` run on the
// host into the environment's backup directory: written under a .partial name with mode 0600,
// verified (readable TOC, every data block readable, non-empty), hashed, then renamed to its
// final name with a metadata record beside it. Restores re-check the sha256 first and refuse a
// backup that changed; a restore drill proves a backup restores, into a scratch database.
// An ArangoDB environment's backups are arangojs exports kept in the same directory with the same
// names, mode and metadata (arangoRemote.ts): create, verify and restore take the kind from the
// target or the file, so every caller handles both kinds through these functions.
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { InputError, OperationError } from '../common/errors';
import { throwIfCancelled, type JobContext } from '../common/job';
import type { Secret } from '../common/secret';
import type { RemoteHost } from '../ship/remoteHost';
import { createArangoBackup, restoreArangoBackup, verifyArangoBackup, type ArangoBackupTarget } from './arangoRemote';
import { assertBackupId, backupId, parseBackupId } from './naming';
import { fileCommands, pgCommands, type PgCommand, type PgTarget } from './pgCommands';
import { describePolicy, planRetention, planRetentionAfterBackup, type RetentionPlan, type RetentionPolicy } from './retention';

export interface BackupMeta {
  readonly id: string;
  readonly env: string;
  readonly database: string;
  readonly kind: 'postgres' | 'arangodb';
  readonly file: string;
  readonly createdAt: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly verified: boolean;
  readonly verifiedAt?: string;
  /** Entries in the archive's table of contents. */
  readonly tocEntries?: number;
  readonly reason: 'manual' | 'pre-deploy' | 'pre-restore';
  /** The deploy this backup was taken for: its version and deploy id. */
  readonly deployVersion?: string;
  readonly deployId?: string;
  readonly durationMs: number;
}

/** A backup file found in the directory, with or without its metadata record. */
export interface BackupEntry {
  readonly id: string;
  readonly file: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly meta?: BackupMeta;
  /** What is known about the file now, from the listing alone (see checkOf). */
  readonly check?: BackupCheck;
}

/**
 * A backup's verification as the listing can state it: a verification at creation vouches only
 * for the bytes it read, so a file whose size or modification time changed since is `changed`,
 * and one without its metadata record was never checked as far as anyone can tell. Only
 * `greenlight backup verify` re-reads the bytes.
 */
export interface BackupCheck {
  readonly state: 'unchanged-since-check' | 'changed-since-check' | 'failed-check' | 'never-checked';
  /** When the bytes were last read back and checked (the verification at creation). */
  readonly lastCheckedAt?: string;
  readonly note: string;
}

/** The listing's check state of a file of `sizeBytes` last modified at `mtimeMs`, against its metadata. */
export function checkOf(meta: BackupMeta | undefined, sizeBytes: number, mtimeMs: number): BackupCheck {
  if (!meta) return { state: 'never-checked', note: 'no metadata record: never checked (run backup verify)' };
  const at = meta.verifiedAt;
  if (!meta.verified || !at) return { state: 'failed-check', lastCheckedAt: at, note: 'not verified when it was taken' };
  if (meta.sizeBytes !== sizeBytes) return { state: 'changed-since-check', lastCheckedAt: at, note: `CHANGED since its check at ${at}: ${sizeBytes} bytes, ${meta.sizeBytes} when checked (run backup verify)` };
  // The archive is written, then verified, then renamed (a rename keeps the mtime); an ArangoDB
  // export is verified here, then copied and its sha256 checked on the host before its record is
  // written. Either way the file's last write precedes the end of the backup: a later mtime is a later write.
  const checkedBy = Math.max(Date.parse(at), Date.parse(meta.createdAt) + meta.durationMs);
  if (Number.isFinite(mtimeMs) && mtimeMs > checkedBy + 1000) return { state: 'changed-since-check', lastCheckedAt: at, note: `CHANGED since its check at ${at}: modified ${new Date(mtimeMs).toISOString()} (run backup verify)` };
  return { state: 'unchanged-since-check', lastCheckedAt: at, note: `last checked ${at} (at creation); size and mtime unchanged since` };
}

/** A PostgreSQL environment's backups (pg_dump on the host). */
export interface BackupTarget {
  readonly kind?: 'postgres';
  readonly env: string;
  readonly dir: string;
  readonly pg: PgTarget;
  /** The environment's keep-N/GFS policy, applied after every successful backup when set. */
  readonly retention?: RetentionPolicy;
}

/** An environment's backups, of the kind of its database. */
export type AnyBackupTarget = BackupTarget | ArangoBackupTarget;

export function backupDatabase(t: AnyBackupTarget): string {
  return t.kind === 'arangodb' ? t.arango.database : t.pg.database;
}

const ARANGO_FILE = /\.jsonl\.gz$/;

function paths(dir: string, id: string): { dump: string; meta: string; partial: string } {
  return { dump: `${dir}/${id}.dump`, meta: `${dir}/${id}.meta.json`, partial: `${dir}/${id}.dump.partial` };
}

async function runPg(host: RemoteHost, cmd: PgCommand, ctx: JobContext, secrets: readonly Secret[]): Promise<string> {
  return await host.run(cmd.argv, { stdin: cmd.stdin, signal: ctx.signal, secrets });
}

function secretsOf(t: PgTarget): Secret[] {
  return t.password ? [t.password] : [];
}

async function sha256On(host: RemoteHost, file: string, ctx: JobContext): Promise<string> {
  const out = await host.run(fileCommands.sha256(file), { signal: ctx.signal });
  const sum = out.trim().split(/\s+/)[0] ?? '';
  if (!/^[0-9a-f]{64}$/.test(sum)) throw new OperationError(`sha256sum on ${host.target.host} printed "${out.trim()}"`);
  return sum;
}

/**
 * Verifies an archive file on the host: readable TOC with entries, every data block readable.
 * `tools` says where pg_restore runs: the database's container when it has one, else the host.
 */
async function verifyArchive(host: RemoteHost, file: string, ctx: JobContext, tools?: PgTarget): Promise<{ tocEntries: number; sizeBytes: number; mode: string }> {
  const [size, mode] = (await host.run(fileCommands.size(file), { signal: ctx.signal })).trim().split(' ');
  const sizeBytes = Number(size);
  if (!(sizeBytes > 0)) throw new OperationError(`backup ${file} on ${host.target.host} is empty`);
  const reader: PgTarget = tools ?? { host: '', port: 0, database: '', user: '' };
  const list = await host.exec(pgCommands.list(reader, file).argv, { signal: ctx.signal });
  if (list.code !== 0) throw new OperationError(`backup ${file} on ${host.target.host} is not a readable pg_dump archive: ${list.stderr.trim().split('\n').slice(-2).join(' ')}`);
  const tocEntries = list.stdout.toString('utf8').split('\n').filter((l) => l.trim() && !l.startsWith(';')).length;
  const all = await host.exec(pgCommands.readAll(reader, file).argv, { signal: ctx.signal });
  if (all.code !== 0) throw new OperationError(`backup ${file} on ${host.target.host} is damaged: ${all.stderr.trim().split('\n').slice(-2).join(' ')}`);
  return { tocEntries, sizeBytes, mode: mode ?? '' };
}

async function writeMeta(host: RemoteHost, dir: string, meta: BackupMeta, ctx: JobContext): Promise<void> {
  await host.run(fileCommands.write(paths(dir, meta.id).meta), { stdin: JSON.stringify(meta) + '\n', signal: ctx.signal });
}

export interface CreateBackupOptions {
  readonly reason?: BackupMeta['reason'];
  readonly deployVersion?: string;
  readonly deployId?: string;
  readonly now?: Date;
  /** Deploy ids in progress (the lock's holder): their backups survive the retention pass. */
  readonly protectDeploys?: readonly string[];
}

/**
 * Takes a verified backup, then applies the environment's retention (t.retention) and logs what it
 * removed. The backup just taken and the backups of the deploys in progress (opts.deployId,
 * opts.protectDeploys) are never removed. A retention pass that fails leaves the new backup in place
 * and says so: the backup itself succeeded.
 */
export async function createBackup(ctx: JobContext, host: RemoteHost, t: AnyBackupTarget, opts: CreateBackupOptions = {}): Promise<BackupMeta> {
  const meta = await takeBackup(ctx, host, t, opts);
  if (t.retention) await retainAfterBackup(ctx, host, t.dir, t.retention, meta, opts);
  return meta;
}

async function retainAfterBackup(ctx: JobContext, host: RemoteHost, dir: string, policy: RetentionPolicy, taken: BackupMeta, opts: CreateBackupOptions): Promise<void> {
  try {
    const list = await listBackups(ctx, host, dir);
    const deploys = new Set([opts.deployId, ...(opts.protectDeploys ?? [])].filter((d): d is string => Boolean(d)));
    const protect = new Map<string, string>([[taken.id, 'just taken']]);
    for (const b of list) {
      const d = b.meta?.deployId;
      if (d && deploys.has(d) && b.id !== taken.id) protect.set(b.id, `backup of deploy ${d}, in progress`);
    }
    const plan = planRetentionAfterBackup(list, policy, protect);
    if (plan.remove.length === 0) {
      ctx.log(`backup: retention (${describePolicy(policy)}): ${list.length} backup${list.length === 1 ? '' : 's'} in ${dir}, none to remove`);
      return;
    }
    ctx.log(`backup: retention (${describePolicy(policy)}): removing ${plan.remove.length} of ${list.length}: ${plan.remove.map((b) => `${b.id} (${b.createdAt})`).join(', ')}`);
    for (const b of plan.remove) await deleteBackup(ctx, host, dir, b.id);
  } catch (e) {
    throwIfCancelled(ctx.signal);
    ctx.log(`backup: ${taken.id} is kept, but retention (${describePolicy(policy)}) was not applied: ${e instanceof Error ? e.message : String(e)}`, 'warn');
  }
}

async function takeBackup(ctx: JobContext, host: RemoteHost, t: AnyBackupTarget, opts: CreateBackupOptions): Promise<BackupMeta> {
  const started = Date.now();
  let at = opts.now ?? new Date();
  // Two backups in the same second would share a name; never overwrite one.
  const existing = new Set((await listBackups(ctx, host, t.dir)).map((b) => b.id));
  if (t.kind === 'arangodb') return await createArangoBackup(ctx, host, t, { ...opts, existing });
  while (existing.has(backupId(t.env, t.pg.database, at))) at = new Date(at.getTime() + 1000);
  const id = backupId(t.env, t.pg.database, at);
  const p = paths(t.dir, id);
  const secrets = secretsOf(t.pg);
  ctx.progress({ step: 'backup', message: `pg_dump ${t.pg.database} on ${host.target.host} → ${p.dump}` });
  await host.run(fileCommands.mkdir(t.dir), { signal: ctx.signal });
  try {
    await runPg(host, pgCommands.dump(t.pg, p.partial), ctx, secrets);
    throwIfCancelled(ctx.signal);
    ctx.progress({ step: 'backup', message: `verifying ${id}` });
    const v = await verifyArchive(host, p.partial, ctx, t.pg);
    const sha256 = await sha256On(host, p.partial, ctx);
    await host.run(fileCommands.chmod600(p.partial), { signal: ctx.signal });
    await host.run(fileCommands.move(p.partial, p.dump), { signal: ctx.signal });
    const meta: BackupMeta = {
      id,
      env: t.env,
      database: t.pg.database,
      kind: 'postgres',
      file: p.dump,
      createdAt: at.toISOString(),
      sizeBytes: v.sizeBytes,
      sha256,
      verified: true,
      verifiedAt: new Date().toISOString(),
      tocEntries: v.tocEntries,
      reason: opts.reason ?? 'manual',
      deployVersion: opts.deployVersion,
      deployId: opts.deployId,
      durationMs: Date.now() - started,
    };
    await writeMeta(host, t.dir, meta, ctx);
    ctx.log(`backup: ${id} (${(v.sizeBytes / 1e6).toFixed(2)} MB, ${v.tocEntries} TOC entries, sha256 ${sha256.slice(0, 16)}…) verified, mode 0600`);
    return meta;
  } finally {
    if (!host.connection.closed) await host.exec(fileCommands.remove(p.partial)).catch(() => undefined);
  }
}

export async function listBackups(ctx: JobContext, host: RemoteHost, dir: string): Promise<BackupEntry[]> {
  const files = await host.exec(fileCommands.listDumps(dir), { signal: ctx.signal });
  if (files.code !== 0) {
    if (/No such file/.test(files.stderr)) return [];
    throw new OperationError(`cannot list ${dir} on ${host.target.host} (exit ${files.code ?? files.signal}): ${files.stderr.trim()}`);
  }
  const metas = new Map<string, BackupMeta>();
  const metaOut = await host.exec(fileCommands.readMeta(dir), { signal: ctx.signal });
  for (const line of metaOut.stdout.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as BackupMeta;
      if (m.id) metas.set(m.id, m);
    } catch {
      // A damaged metadata record leaves its backup listed as unverified.
    }
  }
  const out: BackupEntry[] = [];
  for (const line of files.stdout.toString('utf8').split('\n')) {
    const [name, size, mtime] = line.split('\t');
    if (!name || !size || !mtime) continue;
    const id = name.replace(/\.(dump|jsonl\.gz)$/, '');
    const parsed = parseBackupId(id);
    if (!parsed) continue;
    const meta = metas.get(id);
    out.push({ id, file: `${dir}/${name}`, sizeBytes: Number(size), createdAt: meta?.createdAt ?? parsed.at.toISOString(), meta, check: checkOf(meta, Number(size), Number(mtime) * 1000) });
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export interface VerifyResult {
  readonly id: string;
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly sha256: string;
  readonly tocEntries?: number;
  /** ArangoDB exports: collections and documents read back. */
  readonly collections?: number;
  readonly documents?: number;
}

/**
 * Re-hashes and re-reads a backup; a backup whose bytes changed or cannot be read is not ok.
 * `tools`: the PostgreSQL target whose pg_restore reads the archive (its container, when it runs
 * in one); without it the host's own.
 */
export async function verifyBackup(ctx: JobContext, host: RemoteHost, dir: string, id: string, tools?: PgTarget): Promise<VerifyResult> {
  const entry = await findBackup(ctx, host, dir, id);
  if (ARANGO_FILE.test(entry.file)) return await verifyArangoBackup(ctx, host, entry);
  return await verifyDump(ctx, host, entry, tools);
}

/** The listed backup `id`, or an error that names the directory and host. */
async function findBackup(ctx: JobContext, host: RemoteHost, dir: string, id: string): Promise<BackupEntry> {
  assertBackupId(id);
  const entry = (await listBackups(ctx, host, dir)).find((b) => b.id === id);
  if (!entry) throw new InputError(`no backup "${id}" in ${dir} on ${host.target.host}`);
  return entry;
}

/** Re-hashes and re-reads a pg_dump archive already listed. */
async function verifyDump(ctx: JobContext, host: RemoteHost, entry: BackupEntry, tools?: PgTarget): Promise<VerifyResult> {
  const id = entry.id;
  const problems: string[] = [];
  const sha256 = await sha256On(host, entry.file, ctx);
  if (!entry.meta) problems.push('no metadata record: the sha256 taken at backup time is unknown');
  else if (entry.meta.sha256 !== sha256) problems.push(`sha256 is ${sha256}, but ${entry.meta.sha256} was recorded when the backup was taken: the file changed or is corrupt`);
  let tocEntries: number | undefined;
  try {
    const v = await verifyArchive(host, entry.file, ctx, tools);
    tocEntries = v.tocEntries;
    if (v.mode !== '600') problems.push(`mode is ${v.mode}, expected 600`);
  } catch (e) {
    problems.push((e as Error).message);
  }
  return { id, ok: problems.length === 0, problems, sha256, tocEntries };
}

export interface RestoreOptions {
  /** Asked before anything is changed; restoring proceeds only when it resolves true. */
  readonly confirm: (summary: string) => Promise<boolean>;
}

export async function restoreBackup(ctx: JobContext, host: RemoteHost, t: AnyBackupTarget, id: string, opts: RestoreOptions): Promise<{ restored: boolean; durationMs: number }> {
  const entry = await findBackup(ctx, host, t.dir, id);
  if (t.kind === 'arangodb') return await restoreArangoBackup(ctx, host, t, entry, opts);
  if (ARANGO_FILE.test(entry.file)) throw new InputError(`${id} is an ArangoDB export; environment "${t.env}" has a PostgreSQL database`);
  const v = await verifyDump(ctx, host, entry, t.pg);
  if (!v.ok) throw new OperationError(`refusing to restore ${id}: ${v.problems.join('; ')}`);
  const summary = `Restore backup ${id} into database "${t.pg.database}" on ${host.target.host}? This replaces the current contents of every object in the backup.`;
  if (!(await opts.confirm(summary))) {
    ctx.log(`restore of ${id} not confirmed; nothing changed`);
    return { restored: false, durationMs: 0 };
  }
  const started = Date.now();
  ctx.progress({ step: 'restore', message: `pg_restore ${id} → ${t.pg.database}` });
  await runPg(host, pgCommands.restore(t.pg, paths(t.dir, id).dump), ctx, secretsOf(t.pg));
  ctx.log(`restore: ${id} restored into ${t.pg.database} in ${((Date.now() - started) / 1000).toFixed(1)} s (single transaction)`);
  return { restored: true, durationMs: Date.now() - started };
}

export interface DrillResult {
  readonly id: string;
  readonly scratchDatabase: string;
  readonly tables: number;
  readonly durationMs: number;
}

/** Restores a backup into a throwaway database, counts its tables, and drops it again. */
export async function restoreDrill(ctx: JobContext, host: RemoteHost, t: AnyBackupTarget, id: string): Promise<DrillResult> {
  if (t.kind === 'arangodb') {
    throw new InputError(`the restore drill restores PostgreSQL dumps into a scratch database; environment "${t.env}" has an ArangoDB database: "verify" reads every record of its export back and checks the recorded sha256`);
  }
  const v = await verifyBackup(ctx, host, t.dir, id, t.pg);
  if (!v.ok) throw new OperationError(`refusing to drill ${id}: ${v.problems.join('; ')}`);
  const started = Date.now();
  const scratch = `${t.pg.database}_gl_drill_${randomBytes(4).toString('hex')}`.slice(0, 63);
  const secrets = secretsOf(t.pg);
  ctx.progress({ step: 'restore drill', message: `restoring ${id} into scratch database ${scratch}` });
  try {
    await runPg(host, pgCommands.createDb(t.pg, scratch), ctx, secrets).catch((e: Error) => {
      throw new OperationError(`restore drill: cannot create scratch database ${scratch} (the role ${t.pg.user} needs CREATEDB): ${e.message}`);
    });
    await runPg(host, pgCommands.restoreInto(t.pg, paths(t.dir, id).dump, scratch), ctx, secrets);
    const tables = Number((await runPg(host, pgCommands.countTables(t.pg, scratch), ctx, secrets)).trim());
    ctx.log(`restore drill: ${id} restored into ${scratch}: ${tables} tables`);
    return { id, scratchDatabase: scratch, tables, durationMs: Date.now() - started };
  } finally {
    const drop = pgCommands.dropDb(t.pg, scratch);
    if (!host.connection.closed) await host.exec(drop.argv, { stdin: drop.stdin }).catch(() => undefined);
  }
}

export async function previewRetention(ctx: JobContext, host: RemoteHost, dir: string, policy: RetentionPolicy): Promise<RetentionPlan<BackupEntry>> {
  return planRetention(await listBackups(ctx, host, dir), policy);
}

/** Deletes what the retention plan removes. Returns the plan that was applied. */
export async function applyRetention(ctx: JobContext, host: RemoteHost, dir: string, policy: RetentionPolicy): Promise<RetentionPlan<BackupEntry>> {
  const plan = await previewRetention(ctx, host, dir, policy);
  for (const b of plan.remove) await deleteBackup(ctx, host, dir, b.id);
  return plan;
}

export async function deleteBackup(ctx: JobContext, host: RemoteHost, dir: string, id: string): Promise<void> {
  assertBackupId(id);
  const p = paths(dir, id);
  await host.run(fileCommands.remove(p.dump, p.meta, `${dir}/${id}.jsonl.gz`), { signal: ctx.signal });
  ctx.log(`backup: deleted ${id}`);
}

/** Streams a backup file from the host into `out` (for "Download"). */
export async function downloadBackup(ctx: JobContext, host: RemoteHost, dir: string, id: string, out: Writable): Promise<void> {
  assertBackupId(id);
  const entry = (await listBackups(ctx, host, dir)).find((b) => b.id === id);
  if (!entry) throw new InputError(`no backup "${id}" in ${dir} on ${host.target.host}`);
  const r = await host.exec(fileCommands.cat(entry.file), { stdout: out, signal: ctx.signal });
  if (r.code !== 0) throw new OperationError(`download ${id}: ${r.stderr.trim()}`);
}
