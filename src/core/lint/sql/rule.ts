// The shape shared by the SQL rules: meta plus a check called for each statement of the kinds the
// rule cares about, with the file's facts and helpers at hand. One rule per file under rules/sql/.
import type { Fix, Rule, RuleMeta, Span } from '../types';
import { factsOf, type FileFacts } from './facts';
import { SqlStmt, type SqlStatement, type SqlUnit } from './parse';

export interface SqlCheck {
  readonly unit: SqlUnit;
  readonly facts: FileFacts;
  /** Reports on the statement's range (or `span`). */
  report(stmt: SqlStatement, message: string, fix?: Fix, span?: Span): void;
}

export function sqlRule(
  meta: Omit<RuleMeta, 'language'>,
  kinds: readonly string[],
  check: (stmt: SqlStatement, c: SqlCheck) => void,
): Rule<SqlUnit> {
  const wanted = new Set(kinds);
  return {
    meta: { ...meta, language: 'sql' },
    check(unit, ctx) {
      const facts = factsOf(unit);
      const c: SqlCheck = {
        unit,
        facts,
        report(stmt, message, fix, span) {
          const s = span ?? stmt;
          ctx.report({ start: s.start, end: s.end, message, fix: stmt.dynamic ? undefined : fix });
        },
      };
      for (const stmt of unit.statements) if (wanted.has(stmt.kind)) check(stmt, c);
    },
  };
}

/**
 * Whether a statement inside a DO block is protected on a second run: it sits in a branch that
 * checks the current state, or an enclosing EXCEPTION handler catches the error it would raise.
 */
export function guardedByBlock(stmt: SqlStatement, errors: readonly string[]): boolean {
  const b = stmt.block;
  if (!b) return false;
  if (b.conditional) return true;
  if (b.caught.has('others')) return true;
  return errors.some((e) => b.caught.has(e));
}

/** A short, single-line rendering of the statement for messages. */
export function excerpt(text: string, stmt: SqlStatement, max = 60): string {
  const s = text.slice(stmt.start, stmt.end).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * A fix that inserts ` words` after the first run of keyword tokens matching `after` (each entry
 * one keyword; `?` suffix makes it optional), e.g. ['CREATE', 'UNIQUE?', 'INDEX', 'CONCURRENTLY?'].
 */
export function insertAfterKeywords(stmt: SqlStatement, after: readonly string[], words: string, title: string): Fix | undefined {
  const fast = stmt instanceof SqlStmt && !stmt.scanned && !stmt.dynamic ? keywordsByText(stmt, after) : undefined;
  if (fast !== undefined) return { title, edits: [{ start: fast, end: fast, newText: ` ${words}` }] };
  const toks = stmt.tokens;
  for (let i = 0; i < toks.length; i++) {
    let j = i;
    let last = -1;
    let ok = true;
    for (const w of after) {
      const optional = w.endsWith('?');
      const want = optional ? w.slice(0, -1) : w;
      if (j < toks.length && toks[j]!.keyword && toks[j]!.text === want) {
        last = j;
        j++;
      } else if (!optional) {
        ok = false;
        break;
      }
    }
    if (ok && last >= 0) return { title, edits: [{ start: toks[last]!.end, end: toks[last]!.end, newText: ` ${words}` }] };
  }
  return undefined;
}

/**
 * Finds the keyword run in the statement's text without calling the scanner. This is exact only
 * where nothing can hide a keyword: the statement has no comments (a statement with comments is
 * scanned when parsed), and the text before the match has no quotes or dollar signs. Otherwise
 * it returns undefined and the caller uses the scanner's tokens.
 */
function keywordsByText(stmt: SqlStmt, after: readonly string[]): number | undefined {
  const source = stmt.source;
  if (source === undefined) return undefined;
  const parts = after.map((w) => (w.endsWith('?') ? `(?:${w.slice(0, -1)}\\s+)?` : `${w}\\s+`));
  const m = new RegExp(`(?:^|[\\s(,;])(${parts.join('')})`, 'i').exec(source);
  if (!m) return undefined;
  const matchEnd = m.index + m[0].length;
  if (/['"$]/.test(source.slice(0, matchEnd))) return undefined;
  // The run ends with whitespace in the pattern; the insertion point is right after the last keyword.
  const run = m[1]!;
  const trimmed = run.trimEnd();
  return stmt.start + matchEnd - (run.length - trimmed.length);
}

/** A fix that inserts text at an offset. */
export function insertAt(offset: number, newText: string, title: string): Fix {
  return { title, edits: [{ start: offset, end: offset, newText }] };
}

/** Quotes an identifier only when PostgreSQL needs it to. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
