// `greenlight migrate drift`: compares a database's schema with the schema that a fresh migrate
// produces from the files the database's ledger says were applied (all files when it has no
// ledger). The fresh migrate runs on a scratch database of the same engine, so both sides are
// printed by the same server version. Differences are reported per object.
import type { JobContext } from '../common/job';
import type { MigrationFile } from './files';
import { schemaObjects } from './fingerprint';
import { PgBackend } from './pgBackend';
import type { PgSession, ScratchProvider } from './session';
import { OperationError } from '../common/errors';

export interface DriftItem {
  readonly object: string;
  /** missing: the migrations create it, the database lacks it; extra: the reverse; differs: both have it. */
  readonly kind: 'missing' | 'extra' | 'differs';
  readonly detail?: string;
}

export interface DriftReport {
  readonly target: string;
  readonly reference: string;
  readonly comparedFiles: number;
  readonly note?: string;
  readonly differences: readonly DriftItem[];
}

export function compareSchemas(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): DriftItem[] {
  const out: DriftItem[] = [];
  for (const k of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
    const e = expected.get(k);
    const a = actual.get(k);
    if (e === a) continue;
    if (a === undefined) out.push({ object: k, kind: 'missing', detail: e ? `expected ${e}` : undefined });
    else if (e === undefined) out.push({ object: k, kind: 'extra', detail: a || undefined });
    else out.push({ object: k, kind: 'differs', detail: `expected ${e}; found ${a}` });
  }
  return out;
}

export async function schemaDrift(
  target: PgSession,
  files: readonly MigrationFile[],
  provider: ScratchProvider,
  ctx: JobContext,
  opts: { targetDescription?: string } = {},
): Promise<DriftReport> {
  const targetBackend = new PgBackend(target);
  const ledger = await targetBackend.readLedger();
  const applied = new Set(ledger.map((l) => l.fileName));
  const chosen = ledger.length ? files.filter((f) => applied.has(f.name)) : files;
  const notes: string[] = [];
  if (!ledger.length) notes.push(`${target.description} has no migration ledger; compared with all ${files.length} files`);
  const pending = files.filter((f) => !applied.has(f.name)).length;
  if (ledger.length && pending) notes.push(`${pending} pending file${pending === 1 ? '' : 's'} left out (not applied to the database yet)`);
  const missingFiles = ledger.filter((l) => !files.some((f) => f.name === l.fileName)).map((l) => l.fileName);
  if (missingFiles.length) notes.push(`the ledger lists files that are not in the directory: ${missingFiles.join(', ')}`);
  ctx.progress({ step: 'drift', message: `fresh migrate on ${provider.description}` });
  const scratch = await provider.create('drift');
  try {
    const backend = new PgBackend(scratch.session);
    await backend.ensureLedger();
    for (const f of chosen) {
      const r = await backend.apply(f, { appliedBy: 'greenlight drift' }, ctx.signal);
      if (!r.ok) throw new OperationError(`the fresh migrate for the comparison failed at ${f.name}: ${r.failure.message}`, r.failure.location);
    }
    const expected = await schemaObjects(scratch.session);
    const actual = await schemaObjects(target);
    const [mine, theirs] = [await majorVersion(scratch.session), await majorVersion(target)];
    if (mine !== theirs) notes.push(`the fresh migrate ran on PostgreSQL ${mine}, the database is PostgreSQL ${theirs}: definitions are printed by different server versions`);
    return {
      target: opts.targetDescription ?? target.description,
      reference: provider.description,
      comparedFiles: chosen.length,
      note: notes.join('; ') || undefined,
      differences: compareSchemas(expected, actual),
    };
  } finally {
    await scratch.dispose();
  }
}

async function majorVersion(db: PgSession): Promise<number> {
  const r = await db.query(`select current_setting('server_version_num')::int / 10000 as v`);
  return Number(r.rows[0]?.v ?? 0);
}
