// `greenlight migrate verify`: proves a migration chain on an isolated database.
//   fresh    an empty database, every migration in order, then structure checks (and, when
//            given, a comparison with an expected schema written as SQL);
//   existing a copy of production restored from a pg_dump file, the pending migrations, then
//            integrity checks (no rows lost, foreign keys satisfied, no invalid index);
//   rerun    after each migration, the same migration again (rolled back, or on a copy) with
//            schema and data fingerprints compared; a difference or error names file and statement.
// Nothing here touches a database that is not a scratch database of the provider.
import { readFile } from 'node:fs/promises';
import { InputError } from '../common/errors';
import { throwIfCancelled, type JobContext } from '../common/job';
import type { MigrationFailure } from './backend';
import type { MigrationFile } from './files';
import { diffFingerprints, fingerprint, schemaObjects, tableData } from './fingerprint';
import { foreignKeysValid, indexesValid, rowsNotLost, type CheckResult } from './integrity';
import { describePgError, PgBackend, runStatements } from './pgBackend';
import { rerunCheck } from './rerun';
import type { ScratchDatabase, ScratchProvider } from './session';
import { errorLocation, splitSql } from './statements';

export interface VerifyOptions {
  readonly fresh?: boolean;
  readonly rerun?: boolean;
  /** A pg_dump file (plain or custom format) to verify the pending migrations against. */
  readonly existing?: string;
  /** A SQL file with the schema the chain must produce (e.g. db/structure.sql). */
  readonly expectSchema?: string;
  /** Probe rows for DML on empty tables (default true). */
  readonly probe?: boolean;
  /** Shown in the report, e.g. the migrations directory. */
  readonly source?: string;
}

export type VerdictStatus = 'ok' | 'failed' | 'not-idempotent' | 'not-run' | 'already-applied';

export interface RerunVerdict {
  readonly idempotent: boolean;
  readonly reason?: string;
  readonly statementIndex?: number;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number };
  readonly differences?: readonly string[];
  readonly note?: string;
}

export interface MigrationVerdict {
  readonly fileName: string;
  readonly path: string;
  readonly status: VerdictStatus;
  readonly durationMs?: number;
  readonly failure?: MigrationFailure;
  readonly rerun?: RerunVerdict;
}

export interface VerifyRun {
  readonly mode: 'fresh' | 'existing';
  readonly from?: string;
  readonly ok: boolean;
  readonly migrations: readonly MigrationVerdict[];
  readonly checks: readonly CheckResult[];
  readonly durationMs: number;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly engine: 'server' | 'pglite';
  readonly database: string;
  readonly serverVersion: string;
  readonly source?: string;
  readonly rerun: boolean;
  readonly runs: readonly VerifyRun[];
  readonly durationMs: number;
  /** Counts over every run, for one-line summaries. */
  readonly totals: { readonly migrations: number; readonly failed: number; readonly notIdempotent: number; readonly checksFailed: number };
}

export async function verifyMigrations(files: readonly MigrationFile[], provider: ScratchProvider, ctx: JobContext, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const rerun = opts.rerun ?? true;
  const fresh = opts.fresh ?? !opts.existing;
  if (!fresh && !opts.existing) throw new InputError('nothing to verify: choose fresh and/or an existing database dump');
  // A syntax error anywhere is an input error (exit 2) before any database work starts.
  for (const f of files) await splitSql(f.text, f.path);
  const runs: VerifyRun[] = [];
  let serverVersion = '';
  if (fresh) {
    ctx.progress({ step: 'verify fresh', message: provider.description });
    const db = await provider.create('verify');
    try {
      serverVersion = await versionOf(db);
      runs.push(await runChain('fresh', db, files, ctx, { ...opts, rerun }));
      const last = runs.at(-1)!;
      if (opts.expectSchema && last.migrations.every((m) => m.status !== 'failed')) (last.checks as CheckResult[]).push(await compareExpected(db, provider, opts.expectSchema));
      if (opts.expectSchema) runs[runs.length - 1] = { ...last, ok: last.ok && last.checks.every((c) => c.ok) };
    } finally {
      await db.dispose();
    }
  }
  if (opts.existing) {
    throwIfCancelled(ctx.signal);
    ctx.progress({ step: 'verify existing', message: `restoring ${opts.existing}` });
    const db = await provider.restore('existing', opts.existing);
    try {
      serverVersion ||= await versionOf(db);
      runs.push(await runChain('existing', db, files, ctx, { ...opts, rerun }));
    } finally {
      await db.dispose();
    }
  }
  const all = runs.flatMap((r) => r.migrations);
  const totals = {
    migrations: files.length,
    failed: all.filter((m) => m.status === 'failed').length,
    notIdempotent: all.filter((m) => m.status === 'not-idempotent').length,
    checksFailed: runs.flatMap((r) => r.checks).filter((c) => !c.ok).length,
  };
  return {
    ok: runs.every((r) => r.ok),
    engine: provider.engine,
    database: provider.description,
    serverVersion,
    source: opts.source,
    rerun,
    runs,
    durationMs: performance.now() - started,
    totals,
  };
}

async function versionOf(db: ScratchDatabase): Promise<string> {
  const r = await db.session.query(`select current_setting('server_version') as v`);
  return String(r.rows[0]?.v ?? '');
}

async function runChain(mode: 'fresh' | 'existing', db: ScratchDatabase, files: readonly MigrationFile[], ctx: JobContext, opts: VerifyOptions & { rerun: boolean }): Promise<VerifyRun> {
  const started = performance.now();
  const backend = new PgBackend(db.session);
  const alreadyApplied = new Set((await backend.readLedger()).map((l) => l.fileName));
  const before = mode === 'existing' ? await tableData(db.session) : undefined;
  await backend.ensureLedger();
  const verdicts: MigrationVerdict[] = [];
  let stopped = false;
  for (let i = 0; i < files.length; i++) {
    throwIfCancelled(ctx.signal);
    const f = files[i]!;
    if (alreadyApplied.has(f.name)) {
      verdicts.push({ fileName: f.name, path: f.path, status: 'already-applied' });
      continue;
    }
    if (stopped) {
      verdicts.push({ fileName: f.name, path: f.path, status: 'not-run' });
      continue;
    }
    ctx.progress({ step: `verify ${mode}`, message: f.name, fraction: i / files.length });
    const applied = await backend.apply(f, { appliedBy: 'greenlight verify' }, ctx.signal);
    if (!applied.ok) {
      verdicts.push({ fileName: f.name, path: f.path, status: 'failed', failure: applied.failure });
      stopped = true;
      continue;
    }
    let rerun: RerunVerdict | undefined;
    if (opts.rerun) {
      const statements = await backend.statements(f);
      let outcome;
      if (f.noTransaction) {
        const copy = await db.copy();
        try {
          outcome = await rerunCheck(copy.session, statements, { isolation: 'direct', signal: ctx.signal });
        } finally {
          await copy.dispose();
        }
      } else {
        outcome = await rerunCheck(db.session, statements, { isolation: 'transaction', probe: opts.probe, signal: ctx.signal });
      }
      const stmt = statements.find((s) => s.index === outcome.statementIndex);
      rerun = {
        idempotent: outcome.idempotent,
        reason: outcome.reason,
        statementIndex: outcome.statementIndex,
        location: stmt ? errorLocation(f, stmt, outcome.error?.position) : undefined,
        differences: outcome.differences?.map((d) => d.text),
        note: outcome.note,
      };
      if (!outcome.idempotent) ctx.log(`${f.name}: not idempotent — ${outcome.reason}`, 'warn');
    }
    verdicts.push({ fileName: f.name, path: f.path, status: rerun && !rerun.idempotent ? 'not-idempotent' : 'ok', durationMs: applied.durationMs, rerun });
  }
  const checks: CheckResult[] = [];
  if (!stopped) {
    const fp = await fingerprint(db.session, { data: mode === 'existing' });
    checks.push(indexesValid(fp));
    if (mode === 'existing') {
      checks.push(rowsNotLost(before!, fp.data!));
      checks.push(await foreignKeysValid(db.session));
    }
  }
  const ok = verdicts.every((v) => v.status === 'ok' || v.status === 'already-applied') && checks.every((c) => c.ok);
  return { mode, from: mode === 'existing' ? opts.existing : undefined, ok, migrations: verdicts, checks, durationMs: performance.now() - started };
}

/** Applies the expected schema SQL to another scratch database and compares the two schemas. */
async function compareExpected(db: ScratchDatabase, provider: ScratchProvider, file: string): Promise<CheckResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read the expected schema (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const expected = await provider.create('expected');
  try {
    const statements = await splitSql(text, file);
    const r = await runStatements(expected.session, statements);
    if (!r.ok) {
      const s = statements.find((x) => x.index === r.failedIndex)!;
      throw new InputError(`the expected schema does not apply: ${describePgError(r.error!)}`, errorLocation({ path: file, text }, s, r.error!.position));
    }
    const diffs = diffFingerprints({ objects: await schemaObjects(expected.session) }, { objects: await schemaObjects(db.session) });
    return diffs.length
      ? { name: 'expected schema', ok: false, message: `${diffs.length} difference${diffs.length === 1 ? '' : 's'} from ${file} (expected → migrated)`, details: diffs.map((d) => d.text) }
      : { name: 'expected schema', ok: true, message: `matches ${file}` };
  } finally {
    await expected.dispose();
  }
}
