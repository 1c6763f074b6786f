// The PostgreSQL side of the runner, on a server or PGlite. A file runs statement by statement
// (so a failure names its statement and file:line:column) inside one transaction together with
// its ledger row; a file that declares `-- greenlight:no-transaction` runs in autocommit, for
// statements such as CREATE INDEX CONCURRENTLY that refuse a transaction block.
import { throwIfCancelled } from '../common/job';
import type { ApplyRecord, ApplyResult, MigrationBackend, MigrationFailure } from './backend';
import type { MigrationFile } from './files';
import { FAILURE_TABLE, LEDGER_TABLE, PG_LEDGER_DDL, failureEntryFromRow, ledgerEntryFromRow, type FailureEntry, type LedgerEntry } from './ledger';
import { withoutRowValues } from './rowValues';
import { errorLocation, splitSql, type SqlStatement } from './statements';
import { toPgErrorInfo, type PgErrorInfo, type PgSession } from './session';

/** SQLSTATEs that mean "the object is already there". */
const ALREADY_EXISTS = new Set(['42P07', '42701', '42710', '42P06', '42723', '42P04', '42P05', '42712', '42P16']);

export interface StatementRun {
  readonly ok: boolean;
  /** Rows affected per executed statement (undefined for DDL). */
  readonly rowCounts: (number | undefined)[];
  readonly failedIndex?: number;
  readonly error?: PgErrorInfo;
}

/** Executes statements in order and stops at the first error. */
export async function runStatements(db: PgSession, statements: readonly SqlStatement[], signal?: AbortSignal): Promise<StatementRun> {
  const rowCounts: (number | undefined)[] = [];
  for (const s of statements) {
    if (signal) throwIfCancelled(signal);
    try {
      const rs = await db.exec(s.text);
      rowCounts.push(rs.reduce<number | undefined>((sum, r) => (r.rowCount === undefined ? sum : (sum ?? 0) + r.rowCount), undefined));
    } catch (e) {
      return { ok: false, rowCounts, failedIndex: s.index, error: toPgErrorInfo(e) };
    }
  }
  return { ok: true, rowCounts };
}

/** The error as one line for reports, the audit log and the failure ledger: without row values (see rowValues.ts). */
export function describePgError(error: PgErrorInfo): string {
  const e = withoutRowValues(error);
  return `${e.message}${e.code ? ` [${e.code}]` : ''}${e.detail ? ` — ${e.detail}` : ''}${e.hint ? ` (hint: ${e.hint})` : ''}`;
}

export function failureOf(file: MigrationFile, statements: readonly SqlStatement[], run: StatementRun, partial: boolean, ledgerHasFile = false): MigrationFailure {
  const stmt = statements.find((s) => s.index === run.failedIndex);
  const err = run.error!;
  const hint =
    err.code && ALREADY_EXISTS.has(err.code) && !ledgerHasFile
      ? `the object already exists although the ledger has no record of ${file.name}: the database was probably set up by another tool, or migrations were squashed or reset. If the existing objects are the ones this file creates, run \`greenlight migrate baseline --through ${file.name}\`: it checks that they exist and then marks the files applied.`
      : undefined;
  return {
    fileName: file.name,
    message: describePgError(err),
    code: err.code,
    statementIndex: run.failedIndex,
    location: stmt ? errorLocation(file, stmt, err.position) : undefined,
    partial,
    hint,
  };
}

export class PgBackend implements MigrationBackend {
  readonly dialect = 'postgres' as const;
  readonly kinds = ['sql'] as const;
  readonly #parsed = new Map<string, SqlStatement[]>();

  constructor(readonly db: PgSession) {}

  get description(): string {
    return this.db.description;
  }

  get lock() {
    return this.db.locks;
  }

  async statements(file: MigrationFile): Promise<SqlStatement[]> {
    const key = `${file.path}\0${file.checksum}`;
    let s = this.#parsed.get(key);
    if (!s) {
      s = await splitSql(file.text, file.path);
      this.#parsed.set(key, s);
    }
    return s;
  }

  async check(file: MigrationFile): Promise<void> {
    await this.statements(file);
  }

  async ledgerExists(): Promise<boolean> {
    const r = await this.db.query(`select to_regclass('public.${LEDGER_TABLE}') is not null as ok`);
    return r.rows[0]?.ok === true;
  }

  async ensureLedger(): Promise<void> {
    await this.db.exec(PG_LEDGER_DDL);
  }

  async readLedger(): Promise<LedgerEntry[]> {
    if (!(await this.ledgerExists())) return [];
    const r = await this.db.query(`select * from public.${LEDGER_TABLE} order by file_name`);
    return r.rows.map(ledgerEntryFromRow);
  }

  async readFailures(): Promise<FailureEntry[]> {
    const r = await this.db.query(`select to_regclass('public.${FAILURE_TABLE}') is not null as ok`);
    if (r.rows[0]?.ok !== true) return [];
    return (await this.db.query(`select * from public.${FAILURE_TABLE} order by file_name`)).rows.map(failureEntryFromRow);
  }

  async apply(file: MigrationFile, record: ApplyRecord, signal: AbortSignal): Promise<ApplyResult> {
    const statements = await this.statements(file);
    const started = performance.now();
    const insert = (ms: number): Promise<unknown> =>
      this.db.query(
        `insert into public.${LEDGER_TABLE} (file_name, checksum, duration_ms, applied_by, image_version) values ($1, $2, $3, $4, $5)`,
        [file.name, file.checksum, Math.round(ms), record.appliedBy, record.imageVersion ?? null],
      );
    if (file.noTransaction) {
      const run = await runStatements(this.db, statements, signal);
      if (!run.ok) return { ok: false, failure: failureOf(file, statements, run, (run.failedIndex ?? 0) > 0) };
      const ms = performance.now() - started;
      await this.db.exec('begin');
      await insert(ms);
      await this.db.query(`delete from public.${FAILURE_TABLE} where file_name = $1`, [file.name]);
      await this.db.exec('commit');
      return { ok: true, durationMs: ms };
    }
    await this.db.exec('begin');
    let committed = false;
    try {
      const run = await runStatements(this.db, statements, signal);
      if (!run.ok) return { ok: false, failure: failureOf(file, statements, run, false) };
      const ms = performance.now() - started;
      await insert(ms);
      await this.db.query(`delete from public.${FAILURE_TABLE} where file_name = $1`, [file.name]);
      await this.db.exec('commit');
      committed = true;
      return { ok: true, durationMs: ms };
    } finally {
      if (!committed) await this.db.exec('rollback').catch(() => undefined);
    }
  }

  async recordFailure(file: MigrationFile, failure: MigrationFailure, by: string): Promise<void> {
    await this.db.query(
      `insert into public.${FAILURE_TABLE} (file_name, checksum, failed_by, statement_index, error, partial) values ($1, $2, $3, $4, $5, $6)
       on conflict (file_name) do update set checksum = excluded.checksum, failed_at = now(), failed_by = excluded.failed_by,
         statement_index = excluded.statement_index, error = excluded.error, partial = excluded.partial`,
      [file.name, file.checksum, by, failure.statementIndex ?? null, failure.message, failure.partial],
    );
  }

  async markApplied(files: readonly MigrationFile[], record: ApplyRecord, baseline: boolean): Promise<void> {
    await this.db.exec('begin');
    try {
      for (const f of files) {
        await this.db.query(
          `insert into public.${LEDGER_TABLE} (file_name, checksum, duration_ms, applied_by, image_version, baseline) values ($1, $2, 0, $3, $4, $5)`,
          [f.name, f.checksum, record.appliedBy, record.imageVersion ?? null, baseline],
        );
        await this.db.query(`delete from public.${FAILURE_TABLE} where file_name = $1`, [f.name]);
      }
      await this.db.exec('commit');
    } catch (e) {
      await this.db.exec('rollback').catch(() => undefined);
      throw e;
    }
  }

  async acceptChecksum(fileName: string, checksum: string, by: string): Promise<void> {
    await this.db.query(
      `update public.${LEDGER_TABLE} set accepted_from = checksum, checksum = $2, accepted_at = now(), accepted_by = $3 where file_name = $1`,
      [fileName, checksum, by],
    );
  }
}
