// The migration runner's policy, the same for every database: files in name order, a ledger of
// what ran, a lock so two runners never interleave, a full stop when an applied file changed, and
// a stop at the first failure (which leaves the database and ledger as before that file).
import { InputError, OperationError } from '../common/errors';
import { throwIfCancelled, type JobContext } from '../common/job';
import { acquireLock, currentActor, type MigrationBackend, type MigrationFailure } from './backend';
import type { MigrationFile } from './files';
import type { FailureEntry, LedgerEntry } from './ledger';

export type MigrationState = 'applied' | 'pending' | 'checksum-changed' | 'failed' | 'missing';

/** One row of `migrate status` and of the migration panel. JSON-safe (dates as ISO strings). */
export interface MigrationStatusEntry {
  readonly fileName: string;
  readonly state: MigrationState;
  readonly path?: string;
  readonly checksum?: string;
  readonly ledgerChecksum?: string;
  readonly appliedAt?: string;
  readonly appliedBy?: string;
  readonly durationMs?: number;
  readonly imageVersion?: string;
  readonly baseline?: boolean;
  /** Pending but sorted before the last applied file (a branch merged late). */
  readonly outOfOrder?: boolean;
  readonly noTransaction?: boolean;
  readonly failure?: { readonly at: string; readonly by: string; readonly error: string; readonly statementIndex?: number; readonly partial: boolean };
}

export interface StatusReport {
  readonly database: string;
  readonly ledgerExists: boolean;
  readonly entries: readonly MigrationStatusEntry[];
  readonly counts: Readonly<Record<MigrationState, number>>;
}

export function computeStatus(files: readonly MigrationFile[], ledger: readonly LedgerEntry[], failures: readonly FailureEntry[]): MigrationStatusEntry[] {
  const byName = new Map(ledger.map((l) => [l.fileName, l]));
  const failed = new Map(failures.map((f) => [f.fileName, f]));
  const lastApplied = ledger.map((l) => l.fileName).sort().at(-1);
  const out: MigrationStatusEntry[] = [];
  for (const f of files) {
    const l = byName.get(f.name);
    const base = { fileName: f.name, path: f.path, checksum: f.checksum, noTransaction: f.noTransaction || undefined };
    if (l) {
      out.push({
        ...base,
        state: l.checksum === f.checksum ? 'applied' : 'checksum-changed',
        ledgerChecksum: l.checksum,
        appliedAt: l.appliedAt.toISOString(),
        appliedBy: l.appliedBy,
        durationMs: l.durationMs,
        imageVersion: l.imageVersion,
        baseline: l.baseline || undefined,
      });
      continue;
    }
    const fail = failed.get(f.name);
    // A failure recorded for an older version of the file no longer describes it: it is pending.
    const stillFails = fail && fail.checksum === f.checksum;
    out.push({
      ...base,
      state: stillFails ? 'failed' : 'pending',
      outOfOrder: lastApplied !== undefined && f.name < lastApplied ? true : undefined,
      failure: stillFails
        ? { at: fail.failedAt.toISOString(), by: fail.failedBy, error: fail.error, statementIndex: fail.statementIndex, partial: fail.partial }
        : undefined,
    });
  }
  const onDisk = new Set(files.map((f) => f.name));
  for (const l of ledger) {
    if (!onDisk.has(l.fileName)) {
      out.push({ fileName: l.fileName, state: 'missing', ledgerChecksum: l.checksum, appliedAt: l.appliedAt.toISOString(), appliedBy: l.appliedBy, baseline: l.baseline || undefined });
    }
  }
  return out.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
}

function countStates(entries: readonly MigrationStatusEntry[]): Record<MigrationState, number> {
  const c: Record<MigrationState, number> = { applied: 0, pending: 0, 'checksum-changed': 0, failed: 0, missing: 0 };
  for (const e of entries) c[e.state]++;
  return c;
}

export async function migrationStatus(backend: MigrationBackend, files: readonly MigrationFile[]): Promise<StatusReport> {
  const ledgerExists = await backend.ledgerExists();
  const entries = computeStatus(files, ledgerExists ? await backend.readLedger() : [], ledgerExists ? await backend.readFailures() : []);
  return { database: backend.description, ledgerExists, entries, counts: countStates(entries) };
}

export interface UpOptions {
  readonly imageVersion?: string;
  readonly appliedBy?: string;
  /** How long to wait for another runner's lock (default 60 s). */
  readonly lockTimeoutMs?: number;
  /** Apply pending files up to and including this one only. */
  readonly through?: string;
}

export interface UpResult {
  readonly database: string;
  readonly applied: readonly { readonly fileName: string; readonly durationMs: number }[];
  readonly failure?: MigrationFailure;
  /** Files that were pending after the failure and did not run. */
  readonly notRun: readonly string[];
  /** True when the database had no ledger before this run: seeds treat it as a new database. */
  readonly newDatabase: boolean;
  readonly warnings: readonly string[];
}

export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export function checksumChangedMessage(changed: readonly MigrationStatusEntry[]): string {
  const lines = changed.map(
    (e) => `  ${e.fileName}: applied with sha256 ${e.ledgerChecksum?.slice(0, 12)}…, the file now has ${e.checksum?.slice(0, 12)}…`,
  );
  return [
    `${changed.length === 1 ? 'an applied migration was' : `${changed.length} applied migrations were`} edited after being applied; nothing was run:`,
    ...lines,
    'An applied migration must not change: revert the edit and put the change in a new migration. If the edit is cosmetic (comments, formatting),',
    `accept it with \`greenlight migrate accept-checksum ${changed.map((e) => e.fileName).join(' ')}\`.`,
  ].join('\n');
}

/** Runs every pending migration in order; stops at the first failure. */
export async function migrateUp(backend: MigrationBackend, files: readonly MigrationFile[], ctx: JobContext, opts: UpOptions = {}): Promise<UpResult> {
  for (const f of files) await backend.check(f);
  if (opts.through && !files.some((f) => f.name === opts.through)) throw new InputError(`--through ${opts.through}: no such migration file`);
  const actor = opts.appliedBy ?? currentActor();
  ctx.progress({ step: 'lock', message: backend.description });
  const release = await acquireLock(backend.lock, `greenlight migrate up (${actor}, pid ${process.pid})`, backend.description, {
    timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    signal: ctx.signal,
    onWait: (h) => ctx.log(`waiting for the migration lock held by ${h}`, 'warn'),
  });
  try {
    const newDatabase = !(await backend.ledgerExists());
    await backend.ensureLedger();
    const status = computeStatus(files, await backend.readLedger(), await backend.readFailures());
    const changed = status.filter((e) => e.state === 'checksum-changed');
    if (changed.length) throw new OperationError(checksumChangedMessage(changed));
    const warnings: string[] = [];
    for (const e of status) {
      if (e.state === 'missing') warnings.push(`${e.fileName} is in the ledger but not in the migrations directory (applied ${e.appliedAt} by ${e.appliedBy})`);
      if (e.outOfOrder) warnings.push(`${e.fileName} is pending but sorts before files already applied; it runs now (a branch merged late?)`);
    }
    for (const w of warnings) ctx.log(w, 'warn');
    const pendingNames = new Set(status.filter((e) => e.state === 'pending' || e.state === 'failed').map((e) => e.fileName));
    let pending = files.filter((f) => pendingNames.has(f.name));
    if (opts.through) pending = pending.filter((f) => f.name <= opts.through!);
    const applied: { fileName: string; durationMs: number }[] = [];
    for (let i = 0; i < pending.length; i++) {
      throwIfCancelled(ctx.signal);
      const f = pending[i]!;
      ctx.progress({ step: 'migrate', message: f.name, fraction: i / pending.length });
      const r = await backend.apply(f, { appliedBy: actor, imageVersion: opts.imageVersion }, ctx.signal);
      if (!r.ok) {
        await backend.recordFailure(f, r.failure, actor).catch((e) => ctx.log(`could not record the failure of ${f.name}: ${String(e)}`, 'warn'));
        return { database: backend.description, applied, failure: r.failure, notRun: pending.slice(i + 1).map((p) => p.name), newDatabase, warnings };
      }
      ctx.log(`applied ${f.name} (${Math.round(r.durationMs)} ms)`);
      applied.push({ fileName: f.name, durationMs: r.durationMs });
    }
    return { database: backend.description, applied, notRun: [], newDatabase, warnings };
  } finally {
    await release().catch(() => undefined);
  }
}

/** Accepts the current checksum of applied files that were edited; each must be in the ledger. */
export async function acceptChecksums(backend: MigrationBackend, files: readonly MigrationFile[], names: readonly string[], ctx: JobContext, opts: { lockTimeoutMs?: number; by?: string } = {}): Promise<{ accepted: { fileName: string; from: string; to: string }[] }> {
  if (names.length === 0) throw new InputError('name the files whose new checksum to accept');
  const actor = opts.by ?? currentActor();
  const release = await acquireLock(backend.lock, `greenlight migrate accept-checksum (${actor}, pid ${process.pid})`, backend.description, {
    timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    signal: ctx.signal,
  });
  try {
    const status = computeStatus(files, await backend.readLedger(), []);
    const accepted: { fileName: string; from: string; to: string }[] = [];
    for (const raw of names) {
      const name = raw.replace(/^.*[\\/]/, '');
      const e = status.find((s) => s.fileName === name);
      if (!e) throw new InputError(`${name}: no such migration file`);
      if (e.state === 'pending' || e.state === 'failed') throw new InputError(`${name} has not been applied; there is no checksum to accept`);
      if (e.state === 'missing') throw new InputError(`${name} is in the ledger but not in the migrations directory`);
      if (e.state === 'applied') throw new InputError(`${name}: the checksum has not changed; nothing to accept`);
      accepted.push({ fileName: name, from: e.ledgerChecksum!, to: e.checksum! });
    }
    for (const a of accepted) await backend.acceptChecksum(a.fileName, a.to, actor);
    return { accepted };
  } finally {
    await release().catch(() => undefined);
  }
}
