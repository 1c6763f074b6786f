// What the migration engine needs from a PostgreSQL connection, whether a server reached with
// `pg` or an embedded PGlite instance. The drivers live in adapters/; everything else in this
// folder talks to this interface, so runner, verifier and oracle behave the same on both.

export type PgEngine = 'server' | 'pglite';

export interface PgResult {
  readonly rows: Record<string, unknown>[];
  /** Rows affected for INSERT/UPDATE/DELETE/MERGE; undefined for other statements. */
  readonly rowCount?: number;
}

/** A server error with the fields the runner maps back to files. */
export interface PgErrorInfo {
  readonly message: string;
  /** SQLSTATE, e.g. 42P07 (duplicate table). */
  readonly code?: string;
  /** 1-based character position in the statement text. */
  readonly position?: number;
  readonly detail?: string;
  readonly hint?: string;
}

export interface PgSession {
  readonly engine: PgEngine;
  /** For messages and reports; never contains a password. */
  readonly description: string;
  /** The database name the session is connected to. */
  readonly database: string;
  /** One statement, extended protocol, with parameters. */
  query(sql: string, params?: readonly unknown[]): Promise<PgResult>;
  /** One or more statements, simple protocol; one result per statement. */
  exec(sql: string): Promise<PgResult[]>;
  /** Cooperative lock among runners that share this database (see lock.ts). */
  readonly locks: LockProvider;
  close(): Promise<void>;
}

export interface LockHolder {
  /** e.g. "greenlight migrate up (alice@laptop, pid 4242)". */
  readonly description: string;
  readonly since?: Date;
}

export interface LockProvider {
  /** Takes the lock if free; returns false when someone else holds it. */
  tryAcquire(holder: string): Promise<boolean>;
  release(): Promise<void>;
  /** Who holds the lock now, if anyone can tell. */
  holder(): Promise<LockHolder | undefined>;
}

/** A database that exists only for a verification, the oracle or drift, and is dropped afterwards. */
export interface ScratchDatabase {
  readonly session: PgSession;
  /** A copy of this database in its current state (PGlite clone; server CREATE DATABASE … TEMPLATE). */
  copy(): Promise<ScratchDatabase>;
  dispose(): Promise<void>;
}

/** Makes scratch databases on one engine: a PostgreSQL server, or PGlite. */
export interface ScratchProvider {
  readonly engine: PgEngine;
  readonly description: string;
  create(label: string): Promise<ScratchDatabase>;
  /** Loads a pg_dump file (plain SQL or custom format) into a new scratch database. */
  restore(label: string, dumpFile: string): Promise<ScratchDatabase>;
  close(): Promise<void>;
}

export function toPgErrorInfo(e: unknown): PgErrorInfo {
  const x = e as { message?: string; code?: string; position?: string | number; detail?: string; hint?: string };
  const pos = x.position !== undefined ? Number(x.position) : undefined;
  return {
    message: x.message ?? String(e),
    code: typeof x.code === 'string' ? x.code : undefined,
    position: pos !== undefined && Number.isFinite(pos) ? pos : undefined,
    detail: x.detail || undefined,
    hint: x.hint || undefined,
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
