// Small helpers over AQL token ranges that the rules share: object-literal keys, attribute
// references (`doc.attr`, `doc["attr"]`), function calls and OPTIONS values. They look at tokens,
// never at raw text, so words inside strings and comments never count.
import type { AqlToken } from './tokenizer';
import type { AqlOp, AqlQuery, AqlUnit, TokenRange } from './parser';

export interface ObjectEntry {
  readonly key: string;
  readonly keyToken: AqlToken;
  /** The value's tokens; for shorthand `{ a }` it is the key token itself. */
  readonly value: TokenRange;
}

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);

function isOpen(t: AqlToken): boolean {
  return t.kind === 'punct' && OPEN.has(t.value);
}
function isClose(t: AqlToken): boolean {
  return t.kind === 'punct' && CLOSE.has(t.value);
}

/** Top-level entries of an object literal that spans exactly `r`; undefined when `r` is not one. */
export function objectEntries(tokens: readonly AqlToken[], r: TokenRange): ObjectEntry[] | undefined {
  if (r.to - r.from < 2) return undefined;
  const first = tokens[r.from]!;
  const last = tokens[r.to - 1]!;
  if (!(first.kind === 'punct' && first.value === '{' && last.kind === 'punct' && last.value === '}')) return undefined;
  // The braces must match each other, not `{…} + {…}`.
  let depth = 0;
  for (let j = r.from; j < r.to; j++) {
    if (isOpen(tokens[j]!)) depth++;
    else if (isClose(tokens[j]!)) depth--;
    if (depth === 0 && j < r.to - 1) return undefined;
  }
  const entries: ObjectEntry[] = [];
  let j = r.from + 1;
  while (j < r.to - 1) {
    const start = j;
    depth = 0;
    let colon = -1;
    while (j < r.to - 1) {
      const t = tokens[j]!;
      if (isOpen(t)) depth++;
      else if (isClose(t)) depth--;
      else if (depth === 0 && t.kind === 'punct' && t.value === ',') break;
      else if (depth === 0 && colon < 0 && t.kind === 'op' && t.value === ':') colon = j;
      j++;
    }
    const keyToken = tokens[start]!;
    if (colon === start + 1 && ['ident', 'string', 'number', 'keyword'].includes(keyToken.kind)) {
      entries.push({ key: keyToken.value, keyToken, value: { from: colon + 1, to: j } });
    } else if (colon < 0 && j === start + 1 && keyToken.kind === 'ident') {
      entries.push({ key: keyToken.value, keyToken, value: { from: start, to: j } });
    }
    j++;
  }
  return entries;
}

export interface AttrRef {
  readonly variable: string;
  readonly attr: string;
  readonly token: AqlToken;
}

/** `v.attr` and `v["attr"]` references inside `r`, for variables in `vars` (all when undefined). */
export function attrRefs(tokens: readonly AqlToken[], r: TokenRange, vars?: ReadonlySet<string>): AttrRef[] {
  const out: AttrRef[] = [];
  for (let j = r.from; j < r.to; j++) {
    const t = tokens[j]!;
    if (t.kind !== 'ident' || (vars && !vars.has(t.value))) continue;
    const prev = tokens[j - 1];
    if (prev && prev.kind === 'op' && prev.value === '.') continue;
    const a = tokens[j + 1];
    const b = tokens[j + 2];
    if (a?.kind === 'op' && a.value === '.' && b && (b.kind === 'ident' || b.kind === 'keyword')) out.push({ variable: t.value, attr: b.kind === 'keyword' ? text(b) : b.value, token: t });
    else if (a?.kind === 'punct' && a.value === '[' && b?.kind === 'string' && tokens[j + 3]?.value === ']') out.push({ variable: t.value, attr: b.value, token: t });
  }
  return out;
}

function text(t: AqlToken): string {
  return t.value.toLowerCase();
}

export interface CallRef {
  /** Upper-cased: AQL function names are case-insensitive. */
  readonly name: string;
  readonly token: AqlToken;
  /** The argument tokens, split at top-level commas. */
  readonly args: TokenRange[];
}

/** Function calls inside `r`. */
export function calls(tokens: readonly AqlToken[], r: TokenRange): CallRef[] {
  const out: CallRef[] = [];
  for (let j = r.from; j < r.to; j++) {
    const t = tokens[j]!;
    const next = tokens[j + 1];
    if (t.kind !== 'ident' || next?.kind !== 'punct' || next.value !== '(') continue;
    const prev = tokens[j - 1];
    if (prev && prev.kind === 'op' && prev.value === '.') continue;
    const args: TokenRange[] = [];
    let depth = 0;
    let argStart = j + 2;
    let k = j + 1;
    for (; k < tokens.length; k++) {
      const u = tokens[k]!;
      if (isOpen(u)) depth++;
      else if (isClose(u)) {
        depth--;
        if (depth === 0) break;
      } else if (depth === 1 && u.kind === 'punct' && u.value === ',') {
        args.push({ from: argStart, to: k });
        argStart = k + 1;
      }
    }
    if (k > argStart) args.push({ from: argStart, to: k });
    out.push({ name: t.value.toUpperCase(), token: t, args });
  }
  return out;
}

/** Functions whose result differs on every run. */
export const VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set(['DATE_NOW', 'UUID', 'RAND', 'RANDOM_TOKEN']);

/** The value tokens of a top-level OPTIONS key, if present. */
export function optionValue(tokens: readonly AqlToken[], op: AqlOp, key: string): TokenRange | undefined {
  if (!op.options) return undefined;
  return objectEntries(tokens, op.options)?.find((e) => e.key === key)?.value;
}

export function isTrue(tokens: readonly AqlToken[], r: TokenRange | undefined): boolean {
  return !!r && r.to - r.from === 1 && tokens[r.from]!.kind === 'keyword' && tokens[r.from]!.value === 'TRUE';
}

/** True when `r` contains the identifier `name` (not as an attribute name after a dot). */
export function mentions(tokens: readonly AqlToken[], r: TokenRange, name: string): boolean {
  for (let j = r.from; j < r.to; j++) {
    const t = tokens[j]!;
    if ((t.kind === 'ident' || t.kind === 'collbind') && t.value === name && !(tokens[j - 1]?.kind === 'op' && tokens[j - 1]!.value === '.')) return true;
  }
  return false;
}

/** Operations that run before `op` in its query and in every enclosing query, nearest first. */
export function opsBefore(query: AqlQuery, op: AqlOp): AqlOp[] {
  const out: AqlOp[] = [];
  let q: AqlQuery | undefined = query;
  let at: AqlOp | undefined = op;
  while (q && at) {
    const idx = q.ops.indexOf(at);
    for (let j = idx - 1; j >= 0; j--) out.push(q.ops[j]!);
    at = q.parent?.op;
    q = q.parent?.query;
  }
  return out;
}

/** Every operation of every query, with its query. */
export function* allOps(unit: AqlUnit): Generator<{ query: AqlQuery; op: AqlOp }> {
  for (const query of unit.allQueries) for (const op of query.ops) yield { query, op };
}

/** Loop variables of FOR operations before `op`, mapped to the FOR that binds them. */
export function loopVariables(query: AqlQuery, op: AqlOp): Map<string, AqlOp> {
  const vars = new Map<string, AqlOp>();
  for (const o of opsBefore(query, op)) if (o.kind === 'FOR') for (const v of o.variables ?? []) if (!vars.has(v)) vars.set(v, o);
  return vars;
}

export function spanOf(tokens: readonly AqlToken[], r: TokenRange): { start: number; end: number } {
  return { start: tokens[r.from]!.start, end: tokens[r.to - 1]!.end };
}
