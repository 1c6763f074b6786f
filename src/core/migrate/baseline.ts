// `greenlight migrate baseline`: for a database whose objects exist although its ledger lacks the
// files that create them (set up by another tool, or migrations squashed/reset). It never marks
// a file applied on trust: each candidate runs on a scratch database first to learn exactly which
// objects it creates or changes, and only when the target has all of them, with the same
// definitions, are the files recorded as applied (marked "baseline" in the ledger).
import { InputError, OperationError } from '../common/errors';
import type { JobContext } from '../common/job';
import { acquireLock, currentActor } from './backend';
import type { MigrationFile } from './files';
import { schemaObjects } from './fingerprint';
import { PgBackend } from './pgBackend';
import { computeStatus, DEFAULT_LOCK_TIMEOUT_MS } from './runner';
import type { ScratchProvider } from './session';

export interface BaselineFile {
  readonly fileName: string;
  /** Objects the file creates or changes, as found on the scratch database. */
  readonly objects: number;
  /** Objects the target lacks or has with another definition. */
  readonly problems: readonly string[];
}

export interface BaselineResult {
  readonly database: string;
  readonly marked: readonly string[];
  readonly checked: readonly BaselineFile[];
}

export async function baseline(
  backend: PgBackend,
  files: readonly MigrationFile[],
  provider: ScratchProvider,
  ctx: JobContext,
  opts: { through?: string; lockTimeoutMs?: number; imageVersion?: string; dryRun?: boolean } = {},
): Promise<BaselineResult> {
  for (const f of files) await backend.check(f);
  if (opts.through && !files.some((f) => f.name === opts.through)) throw new InputError(`--through ${opts.through}: no such migration file`);
  const actor = currentActor();
  const release = await acquireLock(backend.lock, `greenlight migrate baseline (${actor}, pid ${process.pid})`, backend.description, {
    timeoutMs: opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
    signal: ctx.signal,
  });
  try {
    await backend.ensureLedger();
    const status = computeStatus(files, await backend.readLedger(), []);
    const appliedNames = new Set(status.filter((s) => s.state === 'applied' || s.state === 'checksum-changed').map((s) => s.fileName));
    let candidates = files.filter((f) => !appliedNames.has(f.name));
    if (opts.through) candidates = candidates.filter((f) => f.name <= opts.through!);
    if (candidates.length === 0) throw new InputError('nothing to baseline: no pending migrations' + (opts.through ? ` up to ${opts.through}` : ''));
    const target = await schemaObjects(backend.db);
    const scratch = await provider.create('baseline');
    const checked: BaselineFile[] = [];
    try {
      const sb = new PgBackend(scratch.session);
      await sb.ensureLedger();
      // The scratch database first gets what the target already has recorded, in file order.
      for (const f of files) {
        if (!appliedNames.has(f.name)) continue;
        const r = await sb.apply(f, { appliedBy: 'greenlight baseline' }, ctx.signal);
        if (!r.ok) throw new OperationError(`cannot rebuild the recorded state on a scratch database: ${f.name} fails there: ${r.failure.message}`, r.failure.location);
      }
      for (const f of candidates) {
        ctx.progress({ step: 'baseline', message: f.name });
        const before = await schemaObjects(scratch.session);
        const r = await sb.apply(f, { appliedBy: 'greenlight baseline' }, ctx.signal);
        if (!r.ok) throw new OperationError(`${f.name} fails on a scratch database, so it cannot be verified for a baseline: ${r.failure.message}`, r.failure.location);
        const after = await schemaObjects(scratch.session);
        const touched = [...after].filter(([k, v]) => before.get(k) !== v);
        const problems = touched
          .filter(([k, v]) => target.get(k) !== v)
          .map(([k, v]) => (target.has(k) ? `${k}: the database has ${target.get(k)}; the file makes ${v}` : `${k}: not in the database`));
        for (const k of before.keys()) if (!after.has(k) && target.has(k)) problems.push(`${k}: the file drops it, the database still has it`);
        checked.push({ fileName: f.name, objects: touched.length, problems });
      }
    } finally {
      await scratch.dispose();
    }
    let marked: BaselineFile[];
    if (opts.through) {
      const bad = checked.filter((c) => c.problems.length);
      if (bad.length) throw new OperationError(baselineRefusal(bad));
      marked = checked;
    } else {
      // The longest run of verified files; trailing files that create nothing (data only) are
      // left pending because nothing shows whether they ran.
      const firstBad = checked.findIndex((c) => c.problems.length);
      let prefix = firstBad < 0 ? checked : checked.slice(0, firstBad);
      while (prefix.length && prefix.at(-1)!.objects === 0) prefix = prefix.slice(0, -1);
      if (prefix.length === 0) {
        throw new OperationError(firstBad >= 0 ? baselineRefusal([checked[firstBad]!]) : 'nothing to baseline: the pending files create no schema objects, so nothing shows whether they ran; use --through to name the last file');
      }
      marked = prefix;
    }
    if (!opts.dryRun) {
      const byName = new Map(files.map((f) => [f.name, f]));
      await backend.markApplied(marked.map((m) => byName.get(m.fileName)!), { appliedBy: actor, imageVersion: opts.imageVersion }, true);
    }
    return { database: backend.description, marked: marked.map((m) => m.fileName), checked };
  } finally {
    await release().catch(() => undefined);
  }
}

function baselineRefusal(bad: readonly BaselineFile[]): string {
  const lines = bad.flatMap((b) => [`  ${b.fileName}:`, ...b.problems.slice(0, 10).map((p) => `    ${p}`)]);
  return ['baseline refused: the database does not have what these files create, so they must run instead:', ...lines].join('\n');
}
