// The ArangoDB side of the runner. .aql files are one AQL query each, run in a stream transaction
// together with the ledger document, so a failing query leaves data and ledger as before. .json
// schema migrations apply their operations one by one (ArangoDB has no transactional DDL; every
// operation is idempotent by contract, so re-running a partly applied file is safe), then record
// the ledger document. The lock is a document with holder and expiry, renewed while held.
import { createHash, randomBytes } from 'node:crypto';
import { sleep } from '../../common/job';
import type { ArangoDriver } from '../adapters/arangoAdapter';
import type { ApplyRecord, ApplyResult, MigrationBackend, MigrationFailure } from '../backend';
import type { MigrationFile } from '../files';
import { FAILURE_TABLE, LEDGER_TABLE, type FailureEntry, type LedgerEntry } from '../ledger';
import type { LockHolder, LockProvider } from '../session';
import { ARANGO_LOCK_TTL_MS, newLockDocument, TAKE_LOCK_AQL, type LockDocument } from './lockDecision';
import { parseSchemaOps } from './schemaOps';

export const ARANGO_LOCK_COLLECTION = '_schema_migrations_lock';

/** Document keys allow only some characters; the file name is kept in a field. */
export function ledgerKey(fileName: string): string {
  return createHash('sha256').update(fileName).digest('hex').slice(0, 40);
}

export function ledgerDocument(file: MigrationFile, record: ApplyRecord, durationMs: number, now: Date, baseline = false): Record<string, unknown> {
  return {
    _key: ledgerKey(file.name),
    file_name: file.name,
    checksum: file.checksum,
    applied_at: now.toISOString(),
    duration_ms: Math.round(durationMs),
    applied_by: record.appliedBy,
    image_version: record.imageVersion ?? null,
    baseline,
  };
}

export class ArangoBackend implements MigrationBackend {
  readonly dialect = 'arangodb' as const;
  readonly kinds = ['aql', 'arango-json'] as const;
  readonly lock: LockProvider;

  constructor(private readonly db: ArangoDriver) {
    const token = randomBytes(12).toString('hex');
    let renew: AbortController | undefined;
    const take = async (holder: string): Promise<LockDocument | undefined> => {
      const now = new Date();
      const rows = (await db.query(TAKE_LOCK_AQL, { key: 'migrate', doc: newLockDocument(holder, token, now), now: now.toISOString(), '@coll': ARANGO_LOCK_COLLECTION })) as LockDocument[];
      return rows[0];
    };
    this.lock = {
      tryAcquire: async (holder) => {
        await db.createCollection(ARANGO_LOCK_COLLECTION, { isSystem: true });
        const doc = await take(holder);
        if (doc?.token !== token) return false;
        renew = new AbortController();
        const signal = renew.signal;
        void (async () => {
          while (!signal.aborted) {
            await sleep(ARANGO_LOCK_TTL_MS / 3, signal).catch(() => undefined);
            if (!signal.aborted) await take(holder).catch(() => undefined);
          }
        })();
        return true;
      },
      release: async () => {
        renew?.abort();
        await db.query(`FOR d IN @@coll FILTER d._key == 'migrate' AND d.token == @token REMOVE d IN @@coll`, { '@coll': ARANGO_LOCK_COLLECTION, token });
      },
      holder: async (): Promise<LockHolder | undefined> => {
        const rows = (await db.query(`FOR d IN @@coll FILTER d._key == 'migrate' RETURN d`, { '@coll': ARANGO_LOCK_COLLECTION })) as LockDocument[];
        const d = rows[0];
        return d && d.token !== token ? { description: `${d.holder} (lock expires ${d.expiresAt})`, since: new Date(d.acquiredAt) } : undefined;
      },
    };
  }

  get description(): string {
    return this.db.description;
  }

  async check(file: MigrationFile): Promise<void> {
    if (file.kind === 'arango-json') parseSchemaOps(file.text, file.path);
  }

  ledgerExists(): Promise<boolean> {
    return this.db.collectionExists(LEDGER_TABLE);
  }

  async ensureLedger(): Promise<void> {
    await this.db.createCollection(LEDGER_TABLE, { isSystem: true });
    await this.db.createCollection(FAILURE_TABLE, { isSystem: true });
  }

  async readLedger(): Promise<LedgerEntry[]> {
    if (!(await this.ledgerExists())) return [];
    const rows = (await this.db.query(`FOR d IN @@c SORT d.file_name RETURN d`, { '@c': LEDGER_TABLE })) as Record<string, unknown>[];
    return rows.map((r) => ({
      fileName: String(r.file_name),
      checksum: String(r.checksum),
      appliedAt: new Date(String(r.applied_at)),
      durationMs: Number(r.duration_ms ?? 0),
      appliedBy: String(r.applied_by ?? ''),
      imageVersion: r.image_version == null ? undefined : String(r.image_version),
      baseline: r.baseline === true,
      acceptedFrom: r.accepted_from == null ? undefined : String(r.accepted_from),
    }));
  }

  async readFailures(): Promise<FailureEntry[]> {
    if (!(await this.db.collectionExists(FAILURE_TABLE))) return [];
    const rows = (await this.db.query(`FOR d IN @@c RETURN d`, { '@c': FAILURE_TABLE })) as Record<string, unknown>[];
    return rows.map((r) => ({
      fileName: String(r.file_name),
      checksum: String(r.checksum),
      failedAt: new Date(String(r.failed_at)),
      failedBy: String(r.failed_by ?? ''),
      statementIndex: r.statement_index == null ? undefined : Number(r.statement_index),
      error: String(r.error),
      partial: r.partial === true,
    }));
  }

  async apply(file: MigrationFile, record: ApplyRecord): Promise<ApplyResult> {
    const started = performance.now();
    const insertLedger = `INSERT @doc INTO @@ledger`;
    const ledger = (ms: number): Record<string, unknown> => ({ doc: ledgerDocument(file, record, ms, new Date()), '@ledger': LEDGER_TABLE });
    const fail = (e: unknown, index: number | undefined, partial: boolean, line?: number): ApplyResult => ({
      ok: false,
      failure: {
        fileName: file.name,
        message: (e as Error).message ?? String(e),
        code: (e as { errorNum?: number }).errorNum !== undefined ? String((e as { errorNum: number }).errorNum) : undefined,
        statementIndex: index,
        location: { file: file.path, line: line ?? 1, column: 1 },
        partial,
      } satisfies MigrationFailure,
    });
    if (file.kind === 'aql') {
      try {
        const collections = await this.db.collectionsOf(file.text);
        await this.db.transaction([...collections, LEDGER_TABLE], async (q) => {
          await q(file.text);
          await q(insertLedger, ledger(performance.now() - started));
        });
        return { ok: true, durationMs: performance.now() - started };
      } catch (e) {
        return fail(e, 0, false);
      }
    }
    const ops = parseSchemaOps(file.text, file.path);
    for (const { op, index, line } of ops) {
      try {
        if (op.type === 'aql') {
          const collections = await this.db.collectionsOf(op.query);
          await this.db.transaction(collections, (q) => q(op.query, op.bindVars));
        } else await this.db.applySchemaOp(op);
      } catch (e) {
        return fail(e, index, index > 0, line);
      }
    }
    await this.db.query(insertLedger, ledger(performance.now() - started));
    return { ok: true, durationMs: performance.now() - started };
  }

  async recordFailure(file: MigrationFile, f: MigrationFailure, by: string): Promise<void> {
    await this.db.query(`UPSERT { _key: @key } INSERT @doc UPDATE @doc IN @@c`, {
      key: ledgerKey(file.name),
      doc: { _key: ledgerKey(file.name), file_name: file.name, checksum: file.checksum, failed_at: new Date().toISOString(), failed_by: by, statement_index: f.statementIndex ?? null, error: f.message, partial: f.partial },
      '@c': FAILURE_TABLE,
    });
  }

  async markApplied(files: readonly MigrationFile[], record: ApplyRecord, baseline: boolean): Promise<void> {
    for (const f of files) await this.db.query(`INSERT @doc INTO @@c`, { doc: ledgerDocument(f, record, 0, new Date(), baseline), '@c': LEDGER_TABLE });
  }

  async acceptChecksum(fileName: string, checksum: string, by: string): Promise<void> {
    await this.db.query(
      `FOR d IN @@c FILTER d.file_name == @name UPDATE d WITH { accepted_from: d.checksum, checksum: @checksum, accepted_at: DATE_ISO8601(DATE_NOW()), accepted_by: @by } IN @@c`,
      { '@c': LEDGER_TABLE, name: fileName, checksum, by },
    );
  }
}
