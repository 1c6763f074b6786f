// ArangoDB backups through arangojs (adapters/arangoAdapter.ts): every non-system collection with
// its type, schema, key options and indexes, and its documents, streamed into the export file of
// arangoFormat.ts. The file is written under a .partial name with mode 0600, read back in full
// (verified) and hashed before it gets its name `<env>_<db>_<YYYYMMDD_HHMMSS>.jsonl.gz` and a
// metadata record beside it, as PostgreSQL backups get theirs. Each collection is read by one
// AQL cursor, i.e. from one snapshot of that collection; writes that land between two
// collections are a reason to export before a deploy starts, not during one.
// A restore checks the sha256 and the whole file first, refuses to mix into collections that
// hold documents unless told to replace them, and asks before it changes anything.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError, OperationError } from '../common/errors';
import { throwIfCancelled, type JobContext } from '../common/job';
import { ArangoExportWriter, readArangoExport, verifyArangoExport, type ArangoIndexSpec, type ExportSummary } from './arangoFormat';
import type { BackupMeta } from './backups';
import { assertBackupId, backupId } from './naming';

/** The few calls a backup makes, implemented with arangojs in adapters/arangoAdapter.ts. */
export interface ArangoDumpDriver {
  readonly description: string;
  readonly database: string;
  /** Non-system collections. */
  listCollections(): Promise<{ name: string; collectionType: 'document' | 'edge' }[]>;
  /** Schema, key options and the user-defined indexes (not the primary and edge indexes). */
  collectionInfo(name: string): Promise<{ schema?: unknown; keyOptions?: unknown; indexes: ArangoIndexSpec[] }>;
  /** Every document of the collection, in batches, from one snapshot. */
  documents(name: string, batchSize: number): AsyncIterable<Record<string, unknown>[]>;
  collectionExists(name: string): Promise<boolean>;
  count(name: string): Promise<number>;
  createCollection(name: string, opts: { collectionType: 'document' | 'edge'; schema?: unknown; keyOptions?: unknown }): Promise<void>;
  ensureIndex(name: string, spec: ArangoIndexSpec): Promise<void>;
  truncate(name: string): Promise<void>;
  /** Inserts documents with their _key; a duplicate key is an error, never an overwrite. */
  importDocuments(name: string, docs: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

export interface ArangoExportOptions {
  readonly env: string;
  /** Local directory the export is written to. */
  readonly dir: string;
  readonly reason?: BackupMeta['reason'];
  readonly deployVersion?: string;
  readonly deployId?: string;
  readonly now?: Date;
  readonly batchSize?: number;
}

export interface ArangoBackupMeta extends BackupMeta {
  readonly kind: 'arangodb';
  readonly collections: ExportSummary['collections'];
  readonly documents: number;
}

export function arangoExportPaths(dir: string, id: string): { file: string; meta: string } {
  return { file: path.join(dir, `${id}.jsonl.gz`), meta: path.join(dir, `${id}.meta.json`) };
}

export async function exportArango(ctx: JobContext, driver: ArangoDumpDriver, opts: ArangoExportOptions): Promise<ArangoBackupMeta> {
  const started = Date.now();
  let at = opts.now ?? new Date();
  // Two exports in the same second would share a name; never overwrite one.
  while (existsSync(arangoExportPaths(opts.dir, backupId(opts.env, driver.database, at)).file)) at = new Date(at.getTime() + 1000);
  const id = backupId(opts.env, driver.database, at);
  const p = arangoExportPaths(opts.dir, id);
  const collections = (await driver.listCollections()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const writer = new ArangoExportWriter(p.file);
  try {
    await writer.header(driver.database, collections.map((c) => c.name), at);
    for (const [i, c] of collections.entries()) {
      throwIfCancelled(ctx.signal);
      ctx.progress({ step: 'backup', message: `exporting ${c.name} (${i + 1} of ${collections.length})`, fraction: i / Math.max(1, collections.length) });
      const info = await driver.collectionInfo(c.name);
      await writer.collection({ name: c.name, collectionType: c.collectionType, schema: info.schema ?? null, keyOptions: info.keyOptions ?? null, indexes: info.indexes });
      for await (const batch of driver.documents(c.name, opts.batchSize ?? 1000)) {
        throwIfCancelled(ctx.signal);
        for (const d of batch) await writer.document(d);
      }
      const n = await writer.endCollection();
      ctx.log(`backup: ${c.name}: ${n} ${c.collectionType === 'edge' ? 'edges' : 'documents'}, ${info.indexes.length} index(es)`);
    }
    const done = await writer.finish();
    ctx.progress({ step: 'backup', message: `verifying ${id}` });
    const v = await verifyArangoExport(done.file, done.sha256);
    if (!v.ok) throw new OperationError(`export ${id} does not read back: ${v.problems.join('; ')}`);
    const meta: ArangoBackupMeta = {
      id,
      env: opts.env,
      database: driver.database,
      kind: 'arangodb',
      file: done.file,
      createdAt: at.toISOString(),
      sizeBytes: done.bytes,
      sha256: done.sha256,
      verified: true,
      verifiedAt: new Date().toISOString(),
      reason: opts.reason ?? 'manual',
      deployVersion: opts.deployVersion,
      deployId: opts.deployId,
      durationMs: Date.now() - started,
      collections: v.summary!.collections,
      documents: v.summary!.documents,
    };
    await writeFile(p.meta, JSON.stringify(meta) + '\n', { mode: 0o600, flag: 'wx' });
    ctx.log(`backup: ${id} (${(done.bytes / 1e6).toFixed(2)} MB, ${collections.length} collections, ${done.documents} documents, sha256 ${done.sha256.slice(0, 16)}…) verified, mode 0600`);
    return meta;
  } catch (e) {
    await writer.abort().catch(() => undefined);
    throw e;
  }
}

/** Reads the metadata record of an export; undefined when there is none. */
export async function readArangoMeta(dir: string, id: string): Promise<ArangoBackupMeta | undefined> {
  assertBackupId(id);
  try {
    return JSON.parse(await readFile(arangoExportPaths(dir, id).meta, 'utf8')) as ArangoBackupMeta;
  } catch {
    return undefined;
  }
}

export interface ArangoRestoreOptions {
  /** Asked before anything is changed; the restore proceeds only when it resolves true. */
  readonly confirm: (summary: string) => Promise<boolean>;
  /** Empty (truncate) collections that already hold documents; otherwise they are refused. */
  readonly replace?: boolean;
  readonly batchSize?: number;
}

export interface ArangoRestoreResult {
  readonly restored: boolean;
  readonly collections: number;
  readonly documents: number;
  readonly durationMs: number;
}

export async function restoreArango(ctx: JobContext, driver: ArangoDumpDriver, dir: string, id: string, opts: ArangoRestoreOptions): Promise<ArangoRestoreResult> {
  const p = arangoExportPaths(dir, id);
  const meta = await readArangoMeta(dir, id);
  if (!existsSync(p.file)) throw new InputError(`no export "${id}" in ${dir}`);
  if (!meta) throw new OperationError(`refusing to restore ${id}: no metadata record, so the sha256 taken at export time is unknown`);
  const v = await verifyArangoExport(p.file, meta.sha256);
  if (!v.ok || !v.summary) throw new OperationError(`refusing to restore ${id}: ${v.problems.join('; ')}`);
  const occupied: string[] = [];
  for (const c of v.summary.collections) {
    if (await driver.collectionExists(c.name)) {
      const n = await driver.count(c.name);
      if (n > 0) occupied.push(`${c.name} (${n} documents)`);
    }
  }
  if (occupied.length && !opts.replace) {
    throw new OperationError(`refusing to restore ${id} into ${driver.description}: ${occupied.join(', ')} already hold documents. Restore into an empty database, or replace them (this empties those collections first).`);
  }
  const summary =
    `Restore export ${id} (${v.summary.collections.length} collections, ${v.summary.documents} documents) into ${driver.description}?` +
    (occupied.length ? ` This first EMPTIES ${occupied.join(', ')}.` : '');
  if (!(await opts.confirm(summary))) {
    ctx.log(`restore of ${id} not confirmed; nothing changed`);
    return { restored: false, collections: 0, documents: 0, durationMs: 0 };
  }
  const started = Date.now();
  let documents = 0;
  let batch: Record<string, unknown>[] = [];
  let current: string | undefined;
  const flush = async (): Promise<void> => {
    if (current && batch.length) await driver.importDocuments(current, batch);
    documents += batch.length;
    batch = [];
  };
  for await (const rec of readArangoExport(p.file)) {
    throwIfCancelled(ctx.signal);
    if (rec.type === 'collection') {
      current = rec.name;
      ctx.progress({ step: 'restore', message: rec.name });
      if (!(await driver.collectionExists(rec.name))) await driver.createCollection(rec.name, { collectionType: rec.collectionType, schema: rec.schema ?? undefined, keyOptions: rec.keyOptions ?? undefined });
      else if (occupied.some((o) => o.startsWith(`${rec.name} (`))) await driver.truncate(rec.name);
      for (const ix of rec.indexes) await driver.ensureIndex(rec.name, ix);
    } else if (rec.type === 'doc') {
      batch.push(rec.d);
      if (batch.length >= (opts.batchSize ?? 1000)) await flush();
    } else if (rec.type === 'end') {
      await flush();
      const n = await driver.count(rec.c);
      if (n !== rec.count) throw new OperationError(`restore ${id}: ${rec.c} holds ${n} documents after the restore, the export has ${rec.count}`);
    }
  }
  ctx.log(`restore: ${id} restored into ${driver.description}: ${v.summary.collections.length} collections, ${documents} documents in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { restored: true, collections: v.summary.collections.length, documents, durationMs: Date.now() - started };
}
