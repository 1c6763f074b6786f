// The migration ledger: which files were applied, with which checksum, when, how long it took,
// by whom and from which image version. PostgreSQL keeps it in public._schema_migrations (and
// the last failure of each file in public._schema_migration_failures, which is written after the
// failed migration has been rolled back, so the ledger itself is never touched by a failure);
// ArangoDB keeps the same documents in collections of the same names.

export const LEDGER_TABLE = '_schema_migrations';
export const FAILURE_TABLE = '_schema_migration_failures';
export const LEDGER_TABLES: readonly string[] = [LEDGER_TABLE, FAILURE_TABLE];

export interface LedgerEntry {
  readonly fileName: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly durationMs: number;
  readonly appliedBy: string;
  readonly imageVersion?: string;
  /** Marked applied by `greenlight migrate baseline` after its objects were found, not run. */
  readonly baseline: boolean;
  /** When a changed checksum was accepted: the checksum it replaced. */
  readonly acceptedFrom?: string;
}

export interface FailureEntry {
  readonly fileName: string;
  readonly checksum: string;
  readonly failedAt: Date;
  readonly failedBy: string;
  readonly statementIndex?: number;
  readonly error: string;
  /** A no-transaction file whose earlier statements stayed committed. */
  readonly partial: boolean;
}

export const PG_LEDGER_DDL = `
create table if not exists public.${LEDGER_TABLE} (
  file_name text primary key,
  checksum text not null,
  applied_at timestamptz not null default now(),
  duration_ms integer not null,
  applied_by text not null,
  image_version text,
  baseline boolean not null default false,
  accepted_from text,
  accepted_at timestamptz,
  accepted_by text
);
create table if not exists public.${FAILURE_TABLE} (
  file_name text primary key,
  checksum text not null,
  failed_at timestamptz not null default now(),
  failed_by text not null,
  statement_index integer,
  error text not null,
  partial boolean not null default false
)`;

export function ledgerEntryFromRow(r: Record<string, unknown>): LedgerEntry {
  return {
    fileName: String(r.file_name),
    checksum: String(r.checksum),
    appliedAt: r.applied_at instanceof Date ? r.applied_at : new Date(String(r.applied_at)),
    durationMs: Number(r.duration_ms),
    appliedBy: String(r.applied_by),
    imageVersion: r.image_version == null ? undefined : String(r.image_version),
    baseline: r.baseline === true,
    acceptedFrom: r.accepted_from == null ? undefined : String(r.accepted_from),
  };
}

export function failureEntryFromRow(r: Record<string, unknown>): FailureEntry {
  return {
    fileName: String(r.file_name),
    checksum: String(r.checksum),
    failedAt: r.failed_at instanceof Date ? r.failed_at : new Date(String(r.failed_at)),
    failedBy: String(r.failed_by),
    statementIndex: r.statement_index == null ? undefined : Number(r.statement_index),
    error: String(r.error),
    partial: r.partial === true,
  };
}
