// `greenlight migrate dry-run`: the plan (pending files in order) and, on PostgreSQL with
// --execute, every pending migration run inside one transaction that is rolled back at the end,
// so errors show up with file:line:column and nothing is committed.
import { throwIfCancelled, type JobContext } from '../common/job';
import { acquireLock, currentActor, type MigrationFailure } from './backend';
import type { MigrationFile } from './files';
import { failureOf, runStatements, type PgBackend } from './pgBackend';
import { computeStatus, DEFAULT_LOCK_TIMEOUT_MS } from './runner';

export interface DryRunItem {
  readonly fileName: string;
  readonly outcome: 'planned' | 'ok' | 'failed' | 'skipped' | 'not-run';
  readonly failure?: MigrationFailure;
  readonly note?: string;
}

export interface DryRunReport {
  readonly database: string;
  readonly executed: boolean;
  readonly ok: boolean;
  readonly pending: readonly DryRunItem[];
  /** Applied files edited since: a real run would stop on them. */
  readonly checksumChanged: readonly string[];
}

export async function dryRun(backend: PgBackend, files: readonly MigrationFile[], ctx: JobContext, opts: { execute?: boolean; lockTimeoutMs?: number } = {}): Promise<DryRunReport> {
  for (const f of files) await backend.check(f);
  const exists = await backend.ledgerExists();
  const status = computeStatus(files, exists ? await backend.readLedger() : [], exists ? await backend.readFailures() : []);
  const changed = status.filter((s) => s.state === 'checksum-changed').map((s) => s.fileName);
  const pendingNames = new Set(status.filter((s) => s.state === 'pending' || s.state === 'failed').map((s) => s.fileName));
  const pending = files.filter((f) => pendingNames.has(f.name));
  if (!opts.execute) {
    return {
      database: backend.description,
      executed: false,
      ok: changed.length === 0,
      pending: pending.map((f) => ({ fileName: f.name, outcome: 'planned', note: f.noTransaction ? 'no-transaction' : undefined })),
      checksumChanged: changed,
    };
  }
  const release = await acquireLock(backend.lock, `greenlight migrate dry-run (${currentActor()}, pid ${process.pid})`, backend.description, {
    timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    signal: ctx.signal,
  });
  const items: DryRunItem[] = [];
  try {
    await backend.db.exec('begin');
    try {
      let failed = false;
      for (const f of pending) {
        throwIfCancelled(ctx.signal);
        if (failed) {
          items.push({ fileName: f.name, outcome: 'not-run', note: 'after an earlier failure' });
          continue;
        }
        if (f.noTransaction) {
          items.push({ fileName: f.name, outcome: 'skipped', note: 'no-transaction file: it cannot run inside a transaction that is rolled back' });
          continue;
        }
        ctx.progress({ step: 'dry run', message: f.name });
        const statements = await backend.statements(f);
        const run = await runStatements(backend.db, statements, ctx.signal);
        if (run.ok) items.push({ fileName: f.name, outcome: 'ok' });
        else {
          items.push({ fileName: f.name, outcome: 'failed', failure: failureOf(f, statements, run, false) });
          failed = true;
        }
      }
    } finally {
      await backend.db.exec('rollback').catch(() => undefined);
    }
  } finally {
    await release().catch(() => undefined);
  }
  return { database: backend.description, executed: true, ok: changed.length === 0 && items.every((i) => i.outcome !== 'failed'), pending: items, checksumChanged: changed };
}
