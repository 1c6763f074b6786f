// The Backups view's jobs: list (with a retention preview), create, verify, restore (only with the
// editor's explicit confirmation), delete and download. Listing is a result even when the host
// cannot be reached, so the view shows the reason instead of hanging.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { InputError } from '../../core/common/errors';
import type { JobContext } from '../../core/common/job';
import { createBackup, deleteBackup, downloadBackup, listBackups, restoreBackup, verifyBackup, type BackupEntry, type BackupMeta } from '../../core/backup/backups';
import { planRetention } from '../../core/backup/retention';
import { deploysInProgress } from '../../core/deploy/lock';
import type { BackupRowDto, JobParams, JobResult } from '../protocol';
import { loadWorkspace, unreachable, withEnvironment, type JobSession } from './deploySession';

const LIST_TIMEOUT_MS = 20_000;

function target(s: JobSession): NonNullable<JobSession['environment']['backup']> {
  if (!s.environment.backup) throw new InputError(`environment "${s.environment.name}" has no database in greenlight.yaml: nothing to back up`);
  return s.environment.backup;
}

function rowOf(env: string, b: BackupEntry): BackupRowDto {
  const m = b.meta;
  return {
    id: b.id,
    env,
    file: b.file,
    sizeBytes: b.sizeBytes,
    createdAt: b.createdAt,
    // Verified means unchanged since its last check: a file modified since is not vouched for.
    verified: b.check ? b.check.state === 'unchanged-since-check' : m?.verified === true,
    verifiedAt: b.check?.lastCheckedAt ?? m?.verifiedAt,
    checkNote: b.check?.note,
    sha256: m?.sha256,
    reason: m?.reason,
    deployVersion: m?.deployVersion,
    deployId: m?.deployId,
  };
}

function rowOfMeta(m: BackupMeta): BackupRowDto {
  return rowOf(m.env, { id: m.id, file: m.file, sizeBytes: m.sizeBytes, createdAt: m.createdAt, meta: m });
}

export async function backupListJob(params: JobParams<'backup.list'>, ctx: JobContext): Promise<JobResult<'backup.list'>> {
  const { config } = await loadWorkspace(params.workspaceRoot);
  const e = config.environments[params.env];
  const dir = e?.backups.dir ?? '';
  try {
    return await withEnvironment(ctx, { ...params, timeoutMs: params.timeoutMs ?? LIST_TIMEOUT_MS }, async (s, c) => {
      const t = target(s);
      const list = await listBackups(c, s.host, t.dir);
      const plan = planRetention(list, { keep: s.environment.env.backups.keep, gfs: s.environment.env.backups.gfs });
      return { env: params.env, dir: t.dir, reachable: true, backups: list.map((b) => rowOf(params.env, b)), wouldPrune: plan.remove.map((b) => b.id) };
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { env: params.env, dir, ...unreachable(err), backups: [], wouldPrune: [] };
  }
}

export async function backupCreateJob(params: JobParams<'backup.create'>, ctx: JobContext): Promise<JobResult<'backup.create'>> {
  return await withEnvironment(ctx, params, async (s, c) =>
    rowOfMeta(await createBackup(c, s.host, target(s), { reason: 'manual', protectDeploys: await deploysInProgress(c, s.host, s.environment.env.stateDir) })),
  );
}

export async function backupVerifyJob(params: JobParams<'backup.verify'>, ctx: JobContext): Promise<JobResult<'backup.verify'>> {
  return await withEnvironment(ctx, params, async (s, c) => {
    const t = target(s);
    const v = await verifyBackup(c, s.host, t.dir, params.id, 'pg' in t ? t.pg : undefined);
    c.log(v.ok ? `verify ${v.id}: ok (sha256 ${v.sha256}, ${v.tocEntries} TOC entries)` : `verify ${v.id}: NOT OK: ${v.problems.join('; ')}`, v.ok ? 'info' : 'error');
    return { id: v.id, ok: v.ok, problems: [...v.problems], sha256: v.sha256 };
  });
}

export async function backupRestoreJob(params: JobParams<'backup.restore'>, ctx: JobContext): Promise<JobResult<'backup.restore'>> {
  // The editor asks with a modal dialog before sending this job; without that answer nothing runs.
  if (params.confirmed !== true) throw new InputError(`restore of ${params.id} was not confirmed; nothing changed`);
  return await withEnvironment(ctx, params, async (s, c) => await restoreBackup(c, s.host, target(s), params.id, { confirm: async () => params.confirmed === true }));
}

export async function backupDeleteJob(params: JobParams<'backup.delete'>, ctx: JobContext): Promise<JobResult<'backup.delete'>> {
  return await withEnvironment(ctx, params, async (s, c) => {
    await deleteBackup(c, s.host, target(s).dir, params.id);
    return { deleted: params.id };
  });
}

/** Streams the backup into `<toFile>.partial`, hashing as it goes, and renames it when complete. */
export async function backupDownloadJob(params: JobParams<'backup.download'>, ctx: JobContext): Promise<JobResult<'backup.download'>> {
  return await withEnvironment(ctx, params, async (s, c) => {
    const dir = target(s).dir;
    const entry = (await listBackups(c, s.host, dir)).find((b) => b.id === params.id);
    if (!entry) throw new InputError(`no backup "${params.id}" in ${dir} on ${s.host.target.host}`);
    const partial = `${params.toFile}.partial`;
    const hash = createHash('sha256');
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytes += chunk.length;
        c.progress({ step: 'download', message: `${(bytes / 1e6).toFixed(1)} MB`, fraction: entry.sizeBytes ? Math.min(1, bytes / entry.sizeBytes) : undefined });
        cb(null, chunk);
      },
    });
    const through = new PassThrough();
    const written = pipeline(through, counter, createWriteStream(partial, { mode: 0o600 }));
    try {
      await downloadBackup(c, s.host, dir, params.id, through);
      through.end();
      await written;
    } catch (e) {
      through.destroy();
      await written.catch(() => undefined);
      await rm(partial, { force: true });
      throw e;
    }
    const sha256 = hash.digest('hex');
    const matchesRecord = entry.meta?.sha256 === sha256;
    if (entry.meta && !matchesRecord) {
      await rm(partial, { force: true });
      throw new InputError(`download of ${params.id}: sha256 ${sha256} differs from ${entry.meta.sha256} recorded when the backup was taken; nothing was saved`);
    }
    await rename(partial, params.toFile);
    c.log(`download: ${params.id} → ${params.toFile} (${(bytes / 1e6).toFixed(2)} MB, sha256 ${sha256}${matchesRecord ? ', matches the record' : ', no record to compare'})`);
    return { file: params.toFile, bytes, sha256, matchesRecord };
  });
}
