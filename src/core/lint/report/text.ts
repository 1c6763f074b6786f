// The human-readable report: one block per finding, the way compilers print them —
// `file:line:col: severity code: message`, the source line with a caret underline, the rule's
// help and fix — then one summary line. Paths are relative to the working directory so they are
// clickable in terminals and editors.
import * as path from 'node:path';
import type { Finding } from '../types';
import { countFindings, plural, type LintReport } from './model';

/** Lines longer than this are shown as a window around the finding. */
const MAX_SHOWN_LINE = 160;

/** Relative to cwd for files below it; absolute otherwise (a path full of ../ helps nobody). */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function formatText(report: LintReport): string {
  const out: string[] = [];
  for (const r of report.results) {
    const text = report.texts.get(r.file);
    // Split once per file, not once per finding: 40,000 findings in one file made the report
    // quadratic (87 s) when every caret line split the whole text again.
    const lines = text === undefined || r.findings.length === 0 ? undefined : text.split('\n');
    const shown = displayPath(r.file, report.cwd);
    for (const f of r.findings) {
      out.push(`${shown}:${f.startPos.line}:${f.startPos.column}: ${f.severity} ${f.code}: ${f.message}`);
      if (lines !== undefined) out.push(...sourceExcerpt(lines, f));
      if (f.help) out.push(`     = help: ${f.help}`);
      if (f.fix) out.push(`     = fix: ${f.fix.title}`);
      out.push('');
    }
  }
  out.push(summaryLine(report));
  return out.join('\n');
}

export function summaryLine(report: Pick<LintReport, 'results'>): string {
  const c = countFindings(report.results);
  const total = c.error + c.warning + c.info;
  if (total === 0) return `No problems in ${plural(c.files, 'file')}.`;
  const parts = [plural(c.error, 'error'), plural(c.warning, 'warning')];
  if (c.info) parts.push(`${c.info} info`);
  return `${plural(total, 'problem')} (${parts.join(', ')}) in ${c.filesWithFindings} of ${plural(c.files, 'file')}.`;
}

/**
 * The finding's first line with a gutter, and a caret line under the reported range. `source` is
 * the file's text or, when many findings share a file, its lines (split on '\n') computed once.
 */
export function sourceExcerpt(source: string | readonly string[], f: Pick<Finding, 'startPos' | 'endPos'>): string[] {
  const lines = typeof source === 'string' ? source.split('\n') : source;
  let line = (lines[f.startPos.line - 1] ?? '').replace(/\r$/, '');
  let from = f.startPos.column - 1;
  let to = f.endPos.line === f.startPos.line ? f.endPos.column - 1 : line.length;
  to = Math.max(from + 1, Math.min(to, Math.max(line.length, from + 1)));
  let prefix = '';
  if (line.length > MAX_SHOWN_LINE) {
    const start = Math.max(0, from - 40);
    const end = Math.min(line.length, start + MAX_SHOWN_LINE);
    prefix = start > 0 ? '…' : '';
    line = prefix + line.slice(start, end) + (end < line.length ? '…' : '');
    from = from - start + prefix.length;
    to = Math.min(to - start + prefix.length, line.length);
    to = Math.max(from + 1, to);
  }
  const gutter = String(f.startPos.line);
  const pad = ' '.repeat(gutter.length);
  // Tabs stay tabs in the caret line's indent so the carets line up with the source above.
  const indent = line.slice(0, from).replace(/[^\t]/g, ' ');
  return [` ${gutter} | ${line}`, ` ${pad} | ${indent}${'^'.repeat(to - from)}`];
}
