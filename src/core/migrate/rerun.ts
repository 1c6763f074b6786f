// The rerun check at the heart of `migrate verify` and of the idempotency oracle: with a
// migration already applied, run it again and compare fingerprints. An error on the second run,
// or any difference in schema or data, means the migration is not idempotent; the statement to
// blame is found by fingerprinting after each statement of a second pass. The second run always
// happens inside a transaction (or savepoint) that is rolled back, or on a throwaway copy.
import { CATALOGS_NOT_FINGERPRINTED, diffFingerprints, fingerprint, sameFingerprint, tableData, type Difference, type Fingerprint } from './fingerprint';
import { describePgError, runStatements } from './pgBackend';
import { insertProbeRow, resolveTable, tableIsEmpty } from './probe';
import type { PgErrorInfo, PgSession } from './session';
import type { SqlStatement } from './statements';

export interface RerunOutcome {
  readonly idempotent: boolean;
  /** Why not, in one sentence. */
  readonly reason?: string;
  /** 0-based index of the statement to blame. */
  readonly statementIndex?: number;
  readonly error?: PgErrorInfo;
  readonly differences?: readonly Difference[];
  /** The tables that received probe rows, when the verdict depended on them. */
  readonly probedTables?: readonly string[];
  /** Set when the check could not decide something (kept with idempotent: true). */
  readonly note?: string;
  /**
   * The second run wrote rows or catalog entries, even if the result matched. Such a verdict
   * can depend on the transaction's clock (now() is the same in one transaction): the oracle
   * confirms it with the first run committed, as `migrate verify` runs it.
   */
  readonly wrote?: boolean;
}

/**
 * How the second run is isolated: 'transaction' opens and rolls back a transaction (the session
 * is outside one); 'savepoint' uses a savepoint (the session is inside one); 'direct' runs as is,
 * for no-transaction migrations on a copy that is thrown away afterwards.
 */
export type RerunIsolation = 'transaction' | 'savepoint' | 'direct';

export interface RerunOptions {
  readonly isolation: RerunIsolation;
  /** The fingerprint after the first run, when the caller has it already. */
  readonly before?: Fingerprint;
  /** Put probe rows into empty tables touched by DML (default true; not with 'direct'). */
  readonly probe?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Waits until the server's clock has moved on from the first run. A real rerun happens later, so
 * its now() differs; PGlite's clock ticks in milliseconds, and two transactions a moment apart
 * share one now() more often than not (measured: 127 of 200 back-to-back pairs), which would let
 * `SET touched_at = now()` look idempotent. Only for a second run in its own transaction.
 */
async function afterClockTick(db: PgSession): Promise<void> {
  const seen = (await db.query('select clock_timestamp()::text as t')).rows[0] as { t: string };
  for (let i = 0; i < 1000; i++) {
    const r = (await db.query('select clock_timestamp() > $1::timestamptz as later', [seen.t])).rows[0] as { later: boolean };
    if (r.later) return;
  }
}

async function begin(db: PgSession, iso: RerunIsolation): Promise<void> {
  if (iso === 'transaction') {
    await afterClockTick(db);
    await db.exec('begin');
  }
  else if (iso === 'savepoint') await db.exec('savepoint gl_rerun');
}

async function undo(db: PgSession, iso: RerunIsolation): Promise<void> {
  if (iso === 'transaction') await db.exec('rollback');
  else if (iso === 'savepoint') await db.exec('rollback to savepoint gl_rerun; release savepoint gl_rerun');
}

function errorOutcome(statements: readonly SqlStatement[], index: number, error: PgErrorInfo, prefix: string): RerunOutcome {
  const s = statements.find((x) => x.index === index);
  return {
    idempotent: false,
    statementIndex: index,
    error,
    reason: `${prefix}statement ${index + 1}${s ? ` (line ${s.line})` : ''} failed: ${describePgError(error)}`,
  };
}

/**
 * Finds the statement after which the state never returned to `target`: run the statements one
 * by one, fingerprinting after each. Runs inside the caller's isolation and leaves it open.
 */
async function blame(db: PgSession, statements: readonly SqlStatement[], target: Fingerprint): Promise<number | undefined> {
  let lastEqual = -1;
  for (const s of statements) {
    const r = await runStatements(db, [s]);
    if (!r.ok) return s.index;
    if (sameFingerprint(target, await fingerprint(db))) lastEqual = s.index;
  }
  const culprit = statements.find((s) => s.index > lastEqual);
  return culprit?.index;
}

function differenceOutcome(statements: readonly SqlStatement[], differences: Difference[], index: number | undefined, probed?: string[]): RerunOutcome {
  const s = index === undefined ? undefined : statements.find((x) => x.index === index);
  const where = s ? `statement ${s.index + 1} (line ${s.line})` : 'the migration';
  const first = differences.slice(0, 3).map((d) => d.text).join('; ');
  const more = differences.length > 3 ? ` (and ${differences.length - 3} more)` : '';
  const probe = probed?.length ? ` [with a probe row in ${probed.join(', ')}]` : '';
  return { idempotent: false, statementIndex: index, differences, probedTables: probed, reason: `a second run changed the database at ${where}: ${first}${more}${probe}` };
}

/**
 * Tuples written per table in the current transaction. The difference between two readings in one
 * transaction tells exactly which tables (user tables and system catalogs) a run wrote to, which
 * spares the full fingerprints when a second run wrote nothing or only to a few tables. It reads
 * the three counters straight from pg_class (the pg_stat_xact_all_tables view also joins
 * pg_index and groups, which made this reading cost as much as a small fingerprint on PGlite).
 * TOAST tables are left out: a write to one is also a write to its table, and counting
 * pg_toast as a catalog made every large value look like DDL.
 */
type Counters = Map<string, { n: number; system: boolean }>;

async function writeCounters(db: PgSession): Promise<Counters> {
  const r = await db.query(
    `select k, n::text as n, system from (
       select n.nspname || '.' || c.relname as k, n.nspname in ('pg_catalog', 'information_schema', 'pg_toast') as system,
              pg_stat_get_xact_tuples_inserted(c.oid) + pg_stat_get_xact_tuples_updated(c.oid) + pg_stat_get_xact_tuples_deleted(c.oid) as n
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm', 'p') offset 0) w
      where n > 0`,
  );
  return new Map(r.rows.map((x) => [String(x.k), { n: Number(x.n), system: x.system === true }]));
}

interface Written {
  /** A catalog that the schema fingerprint reads was written: compare schema and data. */
  readonly catalogs: boolean;
  /** User tables written ("schema.table"). */
  readonly tables: string[];
  /** Anything at all, including catalogs the fingerprint does not read. */
  readonly wroteAny: boolean;
}

function writtenBetween(a: Counters, b: Counters): Written {
  let catalogs = false;
  let wroteAny = false;
  const tables: string[] = [];
  for (const [k, v] of b) {
    if (v.n === (a.get(k)?.n ?? 0)) continue;
    wroteAny = true;
    if (!v.system) tables.push(k);
    else if (!CATALOGS_NOT_FINGERPRINTED.has(k)) catalogs = true;
  }
  return { catalogs, tables, wroteAny };
}

/**
 * The state after a run and the state it is rolled back to, compared on what the run wrote:
 * everything when it touched the schema catalogs, the written tables' rows when it only wrote
 * data, nothing when it wrote nothing. `undo` rolls the run back; the caller reads the counters
 * before the run (c0) inside the same transaction.
 */
async function differencesOfRun(db: PgSession, c0: Counters, undo: () => Promise<void>): Promise<{ differences: Difference[]; wrote: boolean }> {
  const written = writtenBetween(c0, await writeCounters(db));
  if (written.catalogs) {
    const after = await fingerprint(db);
    await undo();
    return { differences: diffFingerprints(await fingerprint(db), after), wrote: true };
  }
  if (written.tables.length) {
    const after = await tableData(db, written.tables);
    await undo();
    return { differences: diffFingerprints({ objects: new Map(), data: await tableData(db, written.tables) }, { objects: new Map(), data: after }), wrote: true };
  }
  await undo();
  return { differences: [], wrote: written.wroteAny };
}

export async function rerunCheck(db: PgSession, statements: readonly SqlStatement[], opts: RerunOptions): Promise<RerunOutcome> {
  const iso = opts.isolation;
  if (iso === 'direct') return directRerun(db, statements, opts);
  let open = false;
  let wroteOnRerun = false;
  try {
    await begin(db, iso);
    open = true;
    const c0 = await writeCounters(db);
    const run = await runStatements(db, statements, opts.signal);
    if (!run.ok) return errorOutcome(statements, run.failedIndex!, run.error!, 'the second run failed: ');
    const { differences, wrote } = await differencesOfRun(db, c0, async () => {
      open = false;
      await undo(db, iso);
    });
    wroteOnRerun = wrote;
    if (differences.length) {
      const before = await fingerprint(db);
      await begin(db, iso);
      open = true;
      return differenceOutcome(statements, differences, await blame(db, statements, before));
    }
  } finally {
    if (open) await undo(db, iso).catch(() => undefined);
  }
  if (opts.probe === false) return { idempotent: true, wrote: wroteOnRerun };
  const probed = await probeCheck(db, statements, iso);
  return probed.idempotent ? { ...probed, wrote: wroteOnRerun || probed.wrote } : probed;
}

/** No-transaction migrations on a throwaway copy: no rollback, so full fingerprints before and after. */
async function directRerun(db: PgSession, statements: readonly SqlStatement[], opts: RerunOptions): Promise<RerunOutcome> {
  const before = opts.before ?? (await fingerprint(db));
  await afterClockTick(db);
  const run = await runStatements(db, statements, opts.signal);
  if (!run.ok) return errorOutcome(statements, run.failedIndex!, run.error!, 'the second run failed: ');
  const differences = diffFingerprints(before, await fingerprint(db));
  return differences.length ? differenceOutcome(statements, differences, undefined) : { idempotent: true };
}

/**
 * The second look for DML on empty tables: with probe rows in place, run the migration once more
 * (its state is the reference) and then again; the two must match. Probe rows go into every empty
 * table the DML writes or reads. When they break the migration itself (most often a row in the
 * table it fills colliding with a row it inserts), the look is repeated with probe rows only in
 * the tables it reads and never writes: the source of an INSERT … SELECT or UPDATE … FROM holding
 * data is the case where such a statement repeats itself.
 */
async function probeCheck(db: PgSession, statements: readonly SqlStatement[], iso: RerunIsolation): Promise<RerunOutcome> {
  const candidates: string[] = [];
  const written = new Set<string>();
  for (const s of statements) {
    for (const t of s.dmlTargets) {
      const full = await resolveTable(db, t);
      if (!full) continue;
      if (s.dmlWrites.includes(t)) written.add(full);
      if (!candidates.includes(full) && (await tableIsEmpty(db, full))) candidates.push(full);
    }
  }
  if (candidates.length === 0) return { idempotent: true };
  const all = await probeWith(db, statements, iso, candidates);
  if (!all.referenceFailed) return all.outcome;
  const sources = candidates.filter((t) => !written.has(t));
  if (sources.length === 0 || sources.length === candidates.length) return all.outcome;
  const read = await probeWith(db, statements, iso, sources);
  if (read.referenceFailed) return all.outcome;
  if (!read.outcome.idempotent) return read.outcome;
  return { ...read.outcome, note: [all.outcome.note, read.outcome.note].filter(Boolean).join('; ') || undefined };
}

/**
 * One probe look with probe rows in `tables`. `referenceFailed` says the run that makes the
 * reference state failed with the probe rows in place, so this look gave no verdict.
 */
async function probeWith(db: PgSession, statements: readonly SqlStatement[], iso: RerunIsolation, tables: readonly string[]): Promise<{ outcome: RerunOutcome; referenceFailed?: boolean }> {
  await begin(db, iso);
  try {
    const probed: string[] = [];
    for (const t of tables) if (await insertProbeRow(db, t)) probed.push(t);
    const missing = tables.filter((t) => !probed.includes(t));
    const note = missing.length ? `no probe row could be made for ${missing.join(', ')}; DML on them was checked on empty tables only` : undefined;
    if (probed.length === 0) return { outcome: { idempotent: true, note } };
    await db.exec('savepoint gl_probe_ref');
    const second = await runStatements(db, statements);
    if (!second.ok) {
      // The probe row itself may break the migration (a constraint it did not expect): no verdict.
      return { referenceFailed: true, outcome: { idempotent: true, note: `with probe rows in ${probed.join(', ')} the migration failed (${second.error!.message}); DML was checked on empty tables only` } };
    }
    await db.exec('savepoint gl_probe_third');
    const c0 = await writeCounters(db);
    const third = await runStatements(db, statements);
    if (!third.ok) return { outcome: { ...errorOutcome(statements, third.failedIndex!, third.error!, 'with a probe row in place, a repeated run failed: '), probedTables: probed } };
    // The reference is the state after the second run: the third is rolled back to reach it.
    const { differences, wrote } = await differencesOfRun(db, c0, () => db.exec('rollback to savepoint gl_probe_third').then(() => undefined));
    if (differences.length === 0) return { outcome: { idempotent: true, note, wrote } };
    return { outcome: differenceOutcome(statements, differences, await blame(db, statements, await fingerprint(db)), probed) };
  } finally {
    await undo(db, iso).catch(() => undefined);
  }
}
