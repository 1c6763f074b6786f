// What the runner needs from a database kind. PostgreSQL (pgBackend.ts, on a server or PGlite)
// and ArangoDB (arango/arangoBackend.ts) implement it; the runner (runner.ts) holds the policy:
// order, checksums, lock, stop at the first failure.
import * as os from 'node:os';
import { OperationError, type SourceLocation } from '../common/errors';
import { sleep, throwIfCancelled } from '../common/job';
import type { MigrationFile, MigrationKind } from './files';
import type { FailureEntry, LedgerEntry } from './ledger';
import type { LockProvider } from './session';

export interface MigrationFailure {
  readonly fileName: string;
  readonly message: string;
  /** SQLSTATE or ArangoDB error number. */
  readonly code?: string;
  /** 0-based statement (PostgreSQL) or operation (ArangoDB JSON) index. */
  readonly statementIndex?: number;
  readonly location?: SourceLocation;
  /** Earlier statements of a no-transaction file stayed committed. */
  readonly partial: boolean;
  /** What the user can do about it (e.g. the baseline advice for "already exists"). */
  readonly hint?: string;
}

export type ApplyResult = { readonly ok: true; readonly durationMs: number } | { readonly ok: false; readonly failure: MigrationFailure };

export interface ApplyRecord {
  readonly appliedBy: string;
  readonly imageVersion?: string;
}

export interface MigrationBackend {
  readonly dialect: 'postgres' | 'arangodb';
  /** Never contains a password. */
  readonly description: string;
  readonly kinds: readonly MigrationKind[];
  readonly lock: LockProvider;
  /** Parses every file up front, so a syntax error stops the run before anything is applied. */
  check(file: MigrationFile): Promise<void>;
  ledgerExists(): Promise<boolean>;
  ensureLedger(): Promise<void>;
  readLedger(): Promise<LedgerEntry[]>;
  readFailures(): Promise<FailureEntry[]>;
  /** Runs one file and records it in the ledger, atomically where the database allows. */
  apply(file: MigrationFile, record: ApplyRecord, signal: AbortSignal): Promise<ApplyResult>;
  recordFailure(file: MigrationFile, failure: MigrationFailure, by: string): Promise<void>;
  markApplied(files: readonly MigrationFile[], record: ApplyRecord, baseline: boolean): Promise<void>;
  acceptChecksum(fileName: string, checksum: string, by: string): Promise<void>;
}

/** user@host pid N: who applied a migration, and who holds the lock. */
export function currentActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // Containers without a passwd entry have no user name.
  }
  return `${user}@${os.hostname()}`;
}

export interface LockWait {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly onWait?: (holder: string) => void;
  readonly pollMs?: number;
}

/**
 * Takes the migration lock, waiting up to timeoutMs while another runner holds it; then fails
 * naming the holder. Polling (instead of a blocking pg_advisory_lock) keeps the wait cancellable.
 */
export async function acquireLock(lock: LockProvider, holder: string, target: string, wait: LockWait): Promise<() => Promise<void>> {
  const started = Date.now();
  let told = false;
  for (;;) {
    throwIfCancelled(wait.signal);
    if (await lock.tryAcquire(holder)) return () => lock.release();
    const h = await lock.holder();
    if (!told) {
      wait.onWait?.(h?.description ?? 'another runner');
      told = true;
    }
    if (Date.now() - started >= wait.timeoutMs) {
      const since = h?.since ? ` since ${h.since.toISOString()}` : '';
      throw new OperationError(
        `the migration lock on ${target} is held by ${h?.description ?? 'another runner'}${since}; gave up after ${Math.round(wait.timeoutMs / 1000)} s (raise --lock-timeout, or wait for that run to end)`,
      );
    }
    await sleep(Math.min(wait.pollMs ?? 250, Math.max(10, wait.timeoutMs - (Date.now() - started))), wait.signal);
  }
}
