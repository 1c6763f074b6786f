// The idempotency oracle: does running this SQL twice leave the database as running it once?
// Shared by `migrate verify` (through rerun.ts) and the linter's corpus labelling. It executes on
// PostgreSQL for real: PGlite by default, or a server given by URL. The setup SQL (the schema the
// snippet expects) is applied once per oracle; every check runs inside a transaction that is
// rolled back, so one prepared database serves any number of checks. SQL that cannot run in a
// transaction block (CREATE INDEX CONCURRENTLY, or a file marked -- greenlight:no-transaction)
// runs on a copy of the prepared database instead.
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
import { describePgError, runStatements } from './pgBackend';
import { rerunCheck } from './rerun';
import type { ScratchDatabase, ScratchProvider } from './session';
import { splitSql } from './statements';

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

  const checkOnce = async (sql: string, noTransaction: boolean): Promise<OracleResult> => {
    let statements;
    try {
      statements = await splitSql(sql, '<sql>');
    } catch (e) {
      return { idempotent: false, phase: 'parse', reason: e instanceof GreenlightError ? e.message : String(e) };
    }
    if (!noTransaction) {
      await db.exec('begin');
      try {
        const first = await runStatements(db, statements);
        if (first.ok) {
          const r = await rerunCheck(db, statements, { isolation: 'savepoint', probe: opts.probe });
          return { idempotent: r.idempotent, reason: r.reason, statementIndex: r.statementIndex, phase: 'rerun', differences: r.differences?.map((d) => d.text), note: r.note };
        }
        if (first.error?.code !== CANNOT_RUN_IN_TRANSACTION) {
          return { idempotent: false, phase: 'first-run', statementIndex: first.failedIndex, reason: `the first run failed at statement ${first.failedIndex! + 1}: ${describePgError(first.error!)}` };
        }
      } finally {
        await db.exec('rollback').catch(() => undefined);
      }
    }
    // Statements that refuse a transaction block run on a throwaway copy of the prepared database.
    const copy = await prepared.copy();
    try {
      const first = await runStatements(copy.session, statements);
      if (!first.ok) return { idempotent: false, phase: 'first-run', statementIndex: first.failedIndex, reason: `the first run failed at statement ${first.failedIndex! + 1}: ${describePgError(first.error!)}` };
      const r = await rerunCheck(copy.session, statements, { isolation: 'direct', before: await fingerprint(copy.session) });
      return { idempotent: r.idempotent, reason: r.reason, statementIndex: r.statementIndex, phase: 'rerun', differences: r.differences?.map((d) => d.text), note: r.note };
    } finally {
      await copy.dispose();
    }
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
