// The shape shared by the SQL rules: meta plus a check called for each statement of the kinds the
// rule cares about, with the file's facts and helpers at hand. One rule per file under rules/sql/.
import type { Fix, Rule, RuleMeta, Span } from '../types';
import { factsOf, type FileFacts } from './facts';
import type { SqlStatement, SqlUnit } from './parse';

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

/** A fix that inserts text at an offset. */
export function insertAt(offset: number, newText: string, title: string): Fix {
  return { title, edits: [{ start: offset, end: offset, newText }] };
}

/** Quotes an identifier only when PostgreSQL needs it to. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
