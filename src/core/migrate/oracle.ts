// The idempotency oracle: does running this SQL twice leave the database as running it once?
// Shared by `migrate verify` (through rerun.ts) and the linter's corpus labelling. It executes on
// PostgreSQL for real: PGlite by default, or a server given by URL. The setup SQL (the schema the
// snippet expects) is applied once per oracle; a check first runs both passes inside one
// transaction that is rolled back, so one prepared database serves any number of checks. Its
// verdict must agree with `migrate verify`, which commits the first run: when the second run
// wrote something and still matched (possibly only because now() is the same within one
// transaction), the check is repeated on a copy with the first run committed. SQL that cannot run
// in a transaction block (CREATE INDEX CONCURRENTLY, a file marked -- greenlight:no-transaction,
// or a file with its own BEGIN/COMMIT) runs as written on a copy of the prepared database.
//
//   const oracle = await createOracle({ setupSql: 'create table t (id int primary key)' });
//   await oracle.check('insert into t values (1)');   // { idempotent: false, statementIndex: 0, … }
//   await oracle.close();
//
//   await checkIdempotent('create table if not exists t (id int)');   // { idempotent: true }
import { GreenlightError, InputError } from '../common/errors';
import type { Secret } from '../common/secret';
import { pgliteScratchProvider } from './adapters/pgliteAdapter';
import { serverScratchProvider } from './adapters/pgAdapter';
import { hasNoTransactionDirective } from './files';
import { fingerprint } from './fingerprint';
import { describePgError, runStatements, type StatementRun } from './pgBackend';
import { rerunCheck, type RerunOutcome } from './rerun';
import type { ScratchDatabase, ScratchProvider } from './session';
import { splitSql, type SqlStatement } from './statements';

export interface OracleOptions {
  /** SQL that prepares the database before each check (tables the snippet expects, sample rows). */
  readonly setupSql?: string;
  /** A PostgreSQL server URL (the role needs CREATEDB); absent = PGlite in this process. */
  readonly database?: string;
  readonly password?: Secret;
  /** Probe rows for DML on empty tables (default true). */
  readonly probe?: boolean;
}

export interface OracleResult {
  readonly idempotent: boolean;
  readonly reason?: string;
  /** 0-based index of the statement to blame. */
  readonly statementIndex?: number;
  /** Where the verdict came from: the SQL could not be parsed, the setup or first run failed, or the rerun. */
  readonly phase: 'parse' | 'setup' | 'first-run' | 'rerun';
  readonly differences?: readonly string[];
  readonly note?: string;
}

export interface IdempotencyOracle {
  readonly engine: 'server' | 'pglite';
  check(sql: string, opts?: { noTransaction?: boolean }): Promise<OracleResult>;
  close(): Promise<void>;
}

const CANNOT_RUN_IN_TRANSACTION = '25001';

export async function createOracle(opts: OracleOptions = {}): Promise<IdempotencyOracle> {
  const provider: ScratchProvider = opts.database ? await serverScratchProvider(opts.database, { password: opts.password, applicationName: 'greenlight oracle' }) : pgliteScratchProvider();
  let prepared: ScratchDatabase;
  try {
    prepared = await provider.create('oracle');
    if (opts.setupSql) {
      const statements = await splitSql(opts.setupSql, '<setup>');
      const r = await runStatements(prepared.session, statements);
      if (!r.ok) throw new InputError(`the setup SQL failed at statement ${r.failedIndex! + 1}: ${describePgError(r.error!)}`);
    }
  } catch (e) {
    await provider.close();
    throw e;
  }
  const db = prepared.session;
  let queue: Promise<unknown> = Promise.resolve();

  const firstRunFailed = (first: StatementRun): OracleResult => ({
    idempotent: false,
    phase: 'first-run',
    statementIndex: first.failedIndex,
    reason: `the first run failed at statement ${first.failedIndex! + 1}: ${describePgError(first.error!)}`,
  });
  const verdict = (r: RerunOutcome): OracleResult => ({ idempotent: r.idempotent, reason: r.reason, statementIndex: r.statementIndex, phase: 'rerun', differences: r.differences?.map((d) => d.text), note: r.note });

  /**
   * SQL that refuses a transaction block, or brings its own BEGIN/COMMIT, runs as written on a
   * throwaway copy of the prepared database, each run committed, with full fingerprints.
   */
  const direct = async (statements: readonly SqlStatement[]): Promise<OracleResult> => {
    const copy = await prepared.copy();
    try {
      const first = await runStatements(copy.session, statements);
      if (!first.ok) return firstRunFailed(first);
      return verdict(await rerunCheck(copy.session, statements, { isolation: 'direct', before: await fingerprint(copy.session) }));
    } finally {
      await copy.dispose();
    }
  };

  /**
   * The first run committed (as the runner applies a migration), the second in a transaction
   * rolled back, on a throwaway copy: `now()` differs between the runs exactly as in
   * `migrate verify`.
   */
  const committed = async (statements: readonly SqlStatement[]): Promise<OracleResult> => {
    const copy = await prepared.copy();
    try {
      await copy.session.exec('begin');
      const first = await runStatements(copy.session, statements);
      await copy.session.exec(first.ok ? 'commit' : 'rollback');
      if (!first.ok) return firstRunFailed(first);
      return verdict(await rerunCheck(copy.session, statements, { isolation: 'transaction', probe: opts.probe }));
    } finally {
      await copy.dispose();
    }
  };

  const checkOnce = async (sql: string, noTransaction: boolean): Promise<OracleResult> => {
    let statements: SqlStatement[];
    try {
      statements = await splitSql(sql, '<sql>');
    } catch (e) {
      return { idempotent: false, phase: 'parse', reason: e instanceof GreenlightError ? e.message : String(e) };
    }
    // BEGIN/COMMIT of the file's own would end the oracle's transaction (and its savepoints).
    if (noTransaction || statements.some((s) => s.nodeType === 'TransactionStmt')) return direct(statements);
    // The fast path: both runs in one transaction on the prepared database, rolled back.
    let fast: RerunOutcome | undefined;
    await db.exec('begin');
    try {
      const first = await runStatements(db, statements);
      if (first.ok) fast = await rerunCheck(db, statements, { isolation: 'savepoint', probe: opts.probe });
      else if (first.error?.code !== CANNOT_RUN_IN_TRANSACTION) return firstRunFailed(first);
    } finally {
      await db.exec('rollback').catch(() => undefined);
    }
    // Statements that refuse a transaction block (CREATE INDEX CONCURRENTLY) run as written.
    if (!fast) return direct(statements);
    // A second run that wrote and still matched may have matched only because now() was the same
    // in both runs (an updated_at set by a trigger, SET ts = now()): confirm it committed.
    if (fast.idempotent && fast.wrote) return committed(statements);
    return verdict(fast);
  };

  return {
    engine: provider.engine,
    // Checks share one session, so they run one at a time.
    check: (sql, o = {}) => {
      const next = queue.then(() => checkOnce(sql, o.noTransaction ?? hasNoTransactionDirective(sql)));
      queue = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      await queue;
      await prepared.dispose();
      await provider.close();
    },
  };
}

/** One check on a fresh database (with setupSql applied first, when given). */
export async function checkIdempotent(sql: string, opts: OracleOptions = {}): Promise<OracleResult> {
  const oracle = await createOracle(opts);
  try {
    return await oracle.check(sql);
  } finally {
    await oracle.close();
  }
}
