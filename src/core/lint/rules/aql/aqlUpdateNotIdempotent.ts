// UPDATE/REPLACE (and UPSERT's update part) whose new values depend on what the migration itself
// writes — `count: doc.count + 1`, `name: doc.oldName` next to `oldName: null`, `DATE_NOW()` — change
// the data again on every rerun. A FILTER that looks at one of the written attributes (the usual
// `FILTER doc.schemaVersion < 2` or `FILTER !HAS(doc, "newName")`) skips documents already migrated.
// Constant updates are left alone: rerunning them changes nothing.
import type { Rule } from '../../types';
import type { AqlUnit, AqlOp, TokenRange } from '../../aql/parser';
import type { AqlToken } from '../../aql/tokenizer';
import { allOps, attrRefs, calls, loopVariables, objectEntries, opsBefore, VOLATILE_FUNCTIONS } from '../../aql/analysis';

/** Calls that build a new value out of the old one (so a rerun builds on the result again). */
const TRANSFORMING = new Set(['CONCAT', 'CONCAT_SEPARATOR', 'PUSH', 'APPEND', 'UNSHIFT', 'UNION', 'SUBSTRING', 'SUBSTR', 'LEFT', 'RIGHT', 'REVERSE', 'SHIFT', 'POP', 'OUTERSECTION']);
/** Calls whose result no longer changes once applied. */
const SETLIKE = new Set(['UNION_DISTINCT', 'UNIQUE', 'SORTED_UNIQUE']);
const SYSTEM = new Set(['_key', '_id', '_rev']);

interface Written {
  readonly key: string;
  readonly keyToken: AqlToken;
  readonly value?: TokenRange;
}

function writtenBy(tokens: readonly AqlToken[], r: TokenRange): Written[] {
  const direct = objectEntries(tokens, r);
  if (direct) return direct.filter((e) => !SYSTEM.has(e.key));
  const out: Written[] = [];
  for (const c of calls(tokens, r)) {
    if (c.name === 'MERGE' || c.name === 'MERGE_RECURSIVE') {
      for (const a of c.args) for (const e of objectEntries(tokens, a) ?? []) if (!SYSTEM.has(e.key)) out.push(e);
    } else if (c.name === 'UNSET' || c.name === 'UNSET_RECURSIVE') {
      for (const a of c.args.slice(1)) {
        const t = tokens[a.from]!;
        if (a.to - a.from === 1 && t.kind === 'string') out.push({ key: t.value, keyToken: t });
      }
    }
  }
  return out;
}

function hasArith(tokens: readonly AqlToken[], r: TokenRange): boolean {
  for (let j = r.from; j < r.to; j++) {
    const t = tokens[j]!;
    if (t.kind === 'op' && ['+', '-', '*', '/', '%'].includes(t.value)) {
      // A leading minus is a negative number, not arithmetic on the old value.
      if (t.value === '-' && (j === r.from || tokens[j - 1]!.kind === 'op' || tokens[j - 1]!.kind === 'punct')) continue;
      return true;
    }
  }
  return false;
}

export interface Problem {
  readonly at: { start: number; end: number };
  readonly message: string;
}

/** Why rerunning this change modifies the data again, or undefined when it would not. */
export function changeProblem(tokens: readonly AqlToken[], change: TokenRange, vars: ReadonlySet<string>, verb: string): { problem?: Problem; written: Written[] } {
  const written = writtenBy(tokens, change);
  const names = new Set(written.map((w) => w.key));
  for (const w of written) {
    if (!w.value) continue;
    const at = { start: w.keyToken.start, end: tokens[w.value.to - 1]!.end };
    const fnCalls = calls(tokens, w.value);
    const volatile = fnCalls.find((c) => VOLATILE_FUNCTIONS.has(c.name));
    if (volatile) return { written, problem: { at, message: `${verb} sets "${w.key}" with ${volatile.token.value}(), which differs on every run.` } };
    const refs = attrRefs(tokens, w.value, vars).filter((r) => names.has(r.attr));
    const self = refs.some((r) => r.attr === w.key);
    const other = refs.find((r) => r.attr !== w.key);
    if (other && !self) {
      return { written, problem: { at, message: `${verb} sets "${w.key}" from "${other.variable}.${other.attr}", which the same ${verb} also changes; a rerun reads the changed value.` } };
    }
    if (self) {
      const top = fnCalls[0];
      const uniqueFlag = fnCalls.some((c) => (c.name === 'APPEND' || c.name === 'PUSH') && c.args.length >= 3 && tokens[c.args[c.args.length - 1]!.from]!.value === 'TRUE');
      const setLike = top && SETLIKE.has(top.name) && top.token === tokens[w.value.from];
      const transforms = hasArith(tokens, w.value) || fnCalls.some((c) => TRANSFORMING.has(c.name));
      if (transforms && !uniqueFlag && !setLike) {
        return { written, problem: { at, message: `${verb} computes "${w.key}" from its own current value; every rerun changes it again.` } };
      }
    }
  }
  return { written };
}

function guarded(unit: AqlUnit, before: readonly AqlOp[], written: readonly Written[], vars: ReadonlySet<string>): boolean {
  const names = new Set(written.map((w) => w.key));
  for (const op of before) {
    if (op.kind !== 'FILTER') continue;
    if (attrRefs(unit.tokens, op.body, vars).some((r) => names.has(r.attr))) return true;
    for (const c of calls(unit.tokens, op.body)) {
      if ((c.name === 'HAS' || c.name === 'IS_NULL') && c.args.some((a) => a.to - a.from === 1 && names.has(unit.tokens[a.from]!.value))) return true;
    }
  }
  return false;
}

export const aqlUpdateNotIdempotent: Rule<AqlUnit> = {
  meta: {
    code: 'aql-update-not-idempotent',
    language: 'aql',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'UPDATE/REPLACE computes new values from what it changes (or from DATE_NOW()/UUID()/RAND()) without a FILTER that skips documents already migrated.',
    help: 'Add a FILTER on one of the attributes this operation writes (e.g. FILTER doc.schemaVersion < 2, FILTER !HAS(doc, "newName")), or write constant values.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const { query, op } of allOps(unit)) {
      let change: TokenRange | undefined;
      const vars = new Set(loopVariables(query, op).keys());
      if (op.kind === 'UPDATE' || op.kind === 'REPLACE') change = op.with ?? op.doc;
      else if (op.kind === 'UPSERT') {
        change = op.upsertChange;
        vars.add('OLD');
      }
      if (!change) continue;
      const verb = op.kind === 'UPSERT' ? `UPSERT … ${op.upsertMode}` : op.kind;
      const { problem, written } = changeProblem(unit.tokens, change, vars, verb);
      if (!problem) continue;
      if (op.kind !== 'UPSERT' && guarded(unit, opsBefore(query, op), written, vars)) continue;
      ctx.report({ ...problem.at, message: `${problem.message} Add a FILTER that skips documents already migrated.` });
    }
  },
};
