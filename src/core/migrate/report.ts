// Human-readable reports for the CLI and the demo. JSON reports are the engine's result objects
// as they are (they are JSON-safe), so scripts and the editor read the same data.
import { formatLocation } from '../common/errors';
import type { MigrationFailure } from './backend';
import type { DriftReport } from './drift';
import type { DryRunReport } from './dryRun';
import type { StatusReport } from './runner';
import type { UpResult } from './runner';
import type { VerifyReport } from './verify';

const ms = (n: number | undefined): string => (n === undefined ? '' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);

export function formatFailure(f: MigrationFailure, indent = '    '): string[] {
  const lines = [`${indent}${f.location ? `${formatLocation(f.location)}: ` : ''}${f.statementIndex !== undefined ? `statement ${f.statementIndex + 1}: ` : ''}${f.message}`];
  if (f.partial) lines.push(`${indent}earlier statements of this no-transaction file stayed committed; fix the file and check the database before running it again`);
  if (f.hint) lines.push(`${indent}hint: ${f.hint}`);
  return lines;
}

export function formatVerifyReport(r: VerifyReport): string {
  const out: string[] = [];
  const modes = [...r.runs.map((x) => x.mode), ...(r.rerun ? ['rerun'] : [])].join(' + ');
  out.push(`greenlight migrate verify — ${modes} on ${r.database}${r.serverVersion ? `, PostgreSQL ${r.serverVersion}` : ''}${r.source ? `, ${r.source}` : ''}`);
  const width = Math.min(60, Math.max(10, ...r.runs.flatMap((x) => x.migrations.map((m) => m.fileName.length))));
  for (const run of r.runs) {
    out.push('');
    out.push(`${run.mode}${run.from ? ` (from ${run.from})` : ''}: ${run.migrations.length} migration${run.migrations.length === 1 ? '' : 's'}, ${ms(run.durationMs)}`);
    for (const m of run.migrations) {
      const mark = m.status === 'ok' ? '✓' : m.status === 'failed' || m.status === 'not-idempotent' ? '✗' : '·';
      const rerun = m.rerun ? (m.rerun.idempotent ? 'rerun: same result' : 'rerun: NOT IDEMPOTENT') : '';
      const status = m.status === 'ok' ? rerun || 'applied' : m.status === 'not-idempotent' ? rerun : m.status;
      out.push(`  ${mark} ${m.fileName.padEnd(width)}  ${ms(m.durationMs).padStart(7)}  ${status}`);
      if (m.failure) out.push(...formatFailure(m.failure));
      if (m.rerun && !m.rerun.idempotent) {
        out.push(`    ${m.rerun.location ? `${formatLocation(m.rerun.location)}: ` : ''}${m.rerun.reason}`);
        for (const d of (m.rerun.differences ?? []).slice(3, 8)) out.push(`      ${d}`);
      }
      if (m.rerun?.note) out.push(`    note: ${m.rerun.note}`);
    }
    for (const c of run.checks) {
      out.push(`  ${c.ok ? '✓' : '✗'} check: ${c.name} — ${c.message}`);
      if (!c.ok) for (const d of (c.details ?? []).slice(0, 20)) out.push(`      ${d}`);
    }
  }
  out.push('');
  const t = r.totals;
  if (r.ok) out.push(`verify passed: ${t.migrations} migration${t.migrations === 1 ? '' : 's'}${r.rerun ? ', each run twice with the same result' : ''} (${ms(r.durationMs)})`);
  else {
    const parts = [
      t.failed ? `${t.failed} failed` : '',
      t.notIdempotent ? `${t.notIdempotent} not idempotent` : '',
      t.checksFailed ? `${t.checksFailed} check${t.checksFailed === 1 ? '' : 's'} failed` : '',
    ].filter(Boolean);
    out.push(`verify FAILED: ${parts.join(', ')} (${ms(r.durationMs)})`);
  }
  return out.join('\n');
}

export function formatStatus(r: StatusReport): string {
  const out = [`migrations on ${r.database}${r.ledgerExists ? '' : ' (no ledger yet: nothing applied)'}`];
  const width = Math.min(60, Math.max(10, ...r.entries.map((e) => e.fileName.length)));
  for (const e of r.entries) {
    const extra =
      e.state === 'applied' || e.state === 'checksum-changed'
        ? `${e.appliedAt?.replace('T', ' ').replace(/\.\d+Z$/, 'Z')} by ${e.appliedBy}${e.imageVersion ? `, image ${e.imageVersion}` : ''}${e.baseline ? ', baseline' : ''}`
        : e.state === 'failed'
          ? `${e.failure?.error}`
          : e.outOfOrder
            ? 'out of order'
            : '';
    out.push(`  ${e.state.padEnd(16)} ${e.fileName.padEnd(width)}  ${extra}`.trimEnd());
  }
  const c = r.counts;
  out.push(`${c.applied} applied, ${c.pending} pending${c['checksum-changed'] ? `, ${c['checksum-changed']} checksum changed` : ''}${c.failed ? `, ${c.failed} failed` : ''}${c.missing ? `, ${c.missing} missing` : ''}`);
  return out.join('\n');
}

export function formatUp(r: UpResult): string {
  const out: string[] = [];
  for (const a of r.applied) out.push(`  applied ${a.fileName} (${ms(a.durationMs)})`);
  if (r.failure) {
    out.push(`  FAILED  ${r.failure.fileName}`);
    out.push(...formatFailure(r.failure));
    out.push(`  the database and ledger are as before ${r.failure.fileName}${r.failure.partial ? ' (except the committed statements noted above)' : ''}`);
    if (r.notRun.length) out.push(`  not run: ${r.notRun.join(', ')}`);
  }
  out.push(
    r.failure
      ? `migrate failed on ${r.database}: ${r.applied.length} applied before the failure`
      : r.applied.length
        ? `${r.applied.length} migration${r.applied.length === 1 ? '' : 's'} applied to ${r.database}`
        : `${r.database} is up to date`,
  );
  return out.join('\n');
}

export function formatDryRun(r: DryRunReport): string {
  const out = [`dry run on ${r.database}: ${r.pending.length} pending migration${r.pending.length === 1 ? '' : 's'}${r.executed ? ', executed in a transaction that was rolled back' : ''}`];
  for (const p of r.pending) {
    out.push(`  ${p.outcome === 'ok' ? '✓' : p.outcome === 'failed' ? '✗' : '·'} ${p.fileName}${p.outcome === 'planned' ? '' : `  ${p.outcome}`}${p.note ? ` (${p.note})` : ''}`);
    if (p.failure) out.push(...formatFailure(p.failure));
  }
  out.push(r.ok ? (r.executed ? 'dry run passed; nothing was committed' : 'plan only; nothing was run') : 'dry run FAILED; nothing was committed');
  return out.join('\n');
}

export function formatDrift(r: DriftReport): string {
  const out = [`schema drift: ${r.target} compared with a fresh migrate of ${r.comparedFiles} file${r.comparedFiles === 1 ? '' : 's'} on ${r.reference}`];
  if (r.note) out.push(`  note: ${r.note}`);
  for (const d of r.differences) out.push(`  ${d.kind.padEnd(9)} ${d.object}${d.detail ? `: ${d.detail}` : ''}`);
  out.push(r.differences.length ? `${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}` : 'no drift: the schema matches the migrations');
  return out.join('\n');
}
