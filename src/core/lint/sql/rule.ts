// The shape shared by the SQL rules: meta plus a check called for each statement of the kinds the
// rule cares about, with the file's facts and helpers at hand. One rule per file under rules/sql/.
import type { Fix, Rule, RuleMeta, RuleReport, Span } from '../types';
import { factsOf, type Facts, type FileFacts } from './facts';
import { SqlStmt, type SqlStatement, type SqlUnit } from './parse';

export interface SqlCheck {
  readonly unit: SqlUnit;
  readonly facts: Facts;
  /** Reports on the statement's range (or `span`). */
  report(stmt: SqlStatement, message: string, fix?: Fix, span?: Span): void;
}

type FactName = 'droppedBefore' | 'droppedAfter' | 'createdBefore' | 'createdAfter' | 'freshTable' | 'clearedBefore' | 'clearedAfter' | 'insertsInto' | 'insertTargets';

/** One question a check asked about the file, and the answer it got. */
interface Asked {
  readonly name: FactName;
  readonly key: string | undefined;
  readonly owner: string | undefined;
  readonly answer: boolean | string;
}

/** What a check found on a statement, with positions relative to the statement's start. */
interface Memo {
  readonly asked: readonly Asked[];
  readonly reports: readonly RuleReport[];
}

const shiftReport = (r: RuleReport, delta: number): RuleReport => ({
  start: r.start + delta,
  end: r.end + delta,
  message: r.message,
  fix: r.fix ? { title: r.fix.title, edits: r.fix.edits.map((e) => ({ start: e.start + delta, end: e.end + delta, newText: e.newText })) } : undefined,
});

function ask(facts: FileFacts, q: Asked, index: number): boolean | string {
  switch (q.name) {
    case 'droppedBefore':
    case 'droppedAfter':
      return facts[q.name](q.key!, index, q.owner);
    case 'createdBefore':
    case 'createdAfter':
    case 'freshTable':
    case 'clearedBefore':
    case 'clearedAfter':
      return facts[q.name](q.key!, index);
    case 'insertsInto':
      return facts.insertsInto(q.key!);
    case 'insertTargets':
      return facts.insertTargetsKey();
  }
}

function sameAnswers(memo: Memo, facts: FileFacts, index: number): boolean {
  for (const q of memo.asked) if (ask(facts, q, index) !== q.answer) return false;
  return true;
}

/**
 * The SqlCheck a check runs with: it passes questions and reports through and records them, and
 * notes whether the findings can be kept (see sqlRule).
 */
class RecordingCheck implements SqlCheck, Facts {
  // Made on the first question or report: most checks of most statements have neither.
  asked: Asked[] | undefined;
  reports: RuleReport[] | undefined;

  readonly #unit: SqlUnit;
  readonly #facts: FileFacts;
  readonly #stmt: SqlStatement;
  readonly #report: (r: RuleReport) => void;

  constructor(unit: SqlUnit, facts: FileFacts, stmt: SqlStatement, report: (r: RuleReport) => void, public cacheable: boolean) {
    this.#unit = unit;
    this.#facts = facts;
    this.#stmt = stmt;
    this.#report = report;
  }

  get unit(): SqlUnit {
    this.cacheable = false;
    return this.#unit;
  }

  get facts(): Facts {
    return this;
  }

  report(target: SqlStatement, message: string, fix?: Fix, span?: Span): void {
    if (target !== this.#stmt) this.cacheable = false;
    const s = span ?? target;
    const r: RuleReport = { start: s.start, end: s.end, message, fix: target.dynamic ? undefined : fix };
    (this.reports ??= []).push(r);
    this.#report(r);
  }

  #record<T extends boolean | ReadonlySet<string>>(name: FactName, key: string | undefined, index: number | undefined, owner: string | undefined, answer: T): T {
    // Replayed at the statement's own index: a question about another index is not kept.
    if (index !== undefined && index !== this.#stmt.index) this.cacheable = false;
    if (this.cacheable) (this.asked ??= []).push({ name, key, owner, answer: typeof answer === 'boolean' ? answer : this.#facts.insertTargetsKey() });
    return answer;
  }

  droppedBefore(key: string, index: number, owner?: string): boolean {
    return this.#record('droppedBefore', key, index, owner, this.#facts.droppedBefore(key, index, owner));
  }

  droppedAfter(key: string, index: number, owner?: string): boolean {
    return this.#record('droppedAfter', key, index, owner, this.#facts.droppedAfter(key, index, owner));
  }

  createdBefore(key: string, index: number): boolean {
    return this.#record('createdBefore', key, index, undefined, this.#facts.createdBefore(key, index));
  }

  createdAfter(key: string, index: number): boolean {
    return this.#record('createdAfter', key, index, undefined, this.#facts.createdAfter(key, index));
  }

  freshTable(rel: string, index: number): boolean {
    return this.#record('freshTable', rel, index, undefined, this.#facts.freshTable(rel, index));
  }

  clearedBefore(rel: string, index: number): boolean {
    return this.#record('clearedBefore', rel, index, undefined, this.#facts.clearedBefore(rel, index));
  }

  clearedAfter(rel: string, index: number): boolean {
    return this.#record('clearedAfter', rel, index, undefined, this.#facts.clearedAfter(rel, index));
  }

  insertsInto(rel: string): boolean {
    return this.#record('insertsInto', rel, undefined, undefined, this.#facts.insertsInto(rel));
  }

  insertTargets(): ReadonlySet<string> {
    return this.#record('insertTargets', undefined, undefined, undefined, this.#facts.insertTargets());
  }
}

const kindIndex = new WeakMap<SqlUnit, Map<string, SqlStatement[]>>();

/** The unit's statements by kind, in execution order: built once per file for all the rules. */
function statementsByKind(unit: SqlUnit): Map<string, SqlStatement[]> {
  let m = kindIndex.get(unit);
  if (!m) {
    m = new Map();
    for (const s of unit.statements) {
      const list = m.get(s.kind);
      if (list) list.push(s);
      else m.set(s.kind, [s]);
    }
    kindIndex.set(unit, m);
  }
  return m;
}

/** The memo of a check that asked nothing and found nothing (most of them): one shared object. */
const NOTHING: Memo = { asked: [], reports: [] };

/** Rules are numbered as they are made: a cached statement keeps each rule's findings at its number. */
let ruleCount = 0;

/**
 * A check's findings on a statement depend on the statement and on the answers it got about the
 * rest of the file. In the editor most statements are the same cached ones edit after edit, so
 * each check's findings are kept per cached statement together with the questions it asked;
 * when the file gives the same answers again, the findings are reused (moved to where the
 * statement now is) instead of checking again. A check that reads the whole unit, or reports on
 * another statement, is not kept.
 */
export function sqlRule(
  meta: Omit<RuleMeta, 'language'>,
  kinds: readonly string[],
  check: (stmt: SqlStatement, c: SqlCheck) => void,
): Rule<SqlUnit> {
  const id = ruleCount++;
  return {
    meta: { ...meta, language: 'sql' },
    check(unit, ctx) {
      const facts = factsOf(unit);
      const byKind = statementsByKind(unit);
      const lists = kinds.map((k) => byKind.get(k)).filter((l): l is SqlStatement[] => l !== undefined);
      const stmts = lists.length === 1 ? lists[0]! : lists.flat().sort((a, b) => a.index - b.index);
      const report = (r: RuleReport): void => ctx.report(r);
      for (const stmt of stmts) {
        const origin = stmt instanceof SqlStmt ? stmt.origin : undefined;
        const memo = origin?.memos?.[id] as Memo | undefined;
        if (memo && sameAnswers(memo, facts, stmt.index)) {
          for (const r of memo.reports) ctx.report(shiftReport(r, stmt.start));
          continue;
        }
        const c = new RecordingCheck(unit, facts, stmt, report, origin !== undefined);
        check(stmt, c);
        if (origin) (origin.memos ??= [])[id] = c.cacheable ? memoOf(c, stmt.start) : undefined;
      }
    },
  };
}

function memoOf(c: RecordingCheck, start: number): Memo {
  if (!c.asked && !c.reports) return NOTHING;
  return { asked: c.asked ?? NOTHING.asked, reports: c.reports ? c.reports.map((r) => shiftReport(r, -start)) : NOTHING.reports };
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
 * where nothing can hide a keyword: the statement has no comments, and the text before the
 * match has no quotes or dollar signs. Otherwise it returns undefined and the caller uses the
 * scanner's tokens.
 */
function keywordsByText(stmt: SqlStmt, after: readonly string[]): number | undefined {
  const source = stmt.source;
  if (source === undefined || source.includes('--') || source.includes('/*')) return undefined;
  const m = keywordRun(after).exec(source);
  if (!m) return undefined;
  const matchEnd = m.index + m[0].length;
  if (/['"$]/.test(source.slice(0, matchEnd))) return undefined;
  // The run ends with whitespace in the pattern; the insertion point is right after the last keyword.
  const run = m[1]!;
  const trimmed = run.trimEnd();
  return stmt.start + matchEnd - (run.length - trimmed.length);
}

const keywordRuns = new Map<string, RegExp>();

/** The pattern of a keyword run, made once per run (the rules ask for a handful of runs). */
function keywordRun(after: readonly string[]): RegExp {
  const key = after.join(' ');
  let re = keywordRuns.get(key);
  if (!re) {
    const parts = after.map((w) => (w.endsWith('?') ? `(?:${w.slice(0, -1)}\\s+)?` : `${w}\\s+`));
    // Not global: exec keeps no lastIndex, so the one object serves every call.
    re = new RegExp(`(?:^|[\\s(,;])(${parts.join('')})`, 'i');
    keywordRuns.set(key, re);
  }
  return re;
}

/** A fix that inserts text at an offset. */
export function insertAt(offset: number, newText: string, title: string): Fix {
  return { title, edits: [{ start: offset, end: offset, newText }] };
}

/** Quotes an identifier only when PostgreSQL needs it to. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
