// A structural parser for AQL files: it splits a file into queries, each query into its
// operations (FOR, FILTER, LET, COLLECT, SORT, LIMIT, WINDOW, RETURN, INSERT, UPDATE, REPLACE,
// REMOVE, UPSERT, WITH), finds subqueries in parentheses, and splits each data-modification
// operation into its parts (document, WITH expression, target collection, OPTIONS). It checks
// structure (balanced brackets, required IN/INTO/WITH parts, how a query ends), not every detail of
// expressions: that is what the rules need, and ArangoDB reports the rest when the query runs.
//
// How a file is split into queries (documented in docs/rules/aql-*.md too):
//  - a `;` at the top level ends a query;
//  - a blank line ends a query when the query is already complete (it has a data-modification
//    operation or ends in RETURN) and the next line starts a new one (FOR, LET, WITH, INSERT,
//    UPDATE, REPLACE, REMOVE, UPSERT). Blank lines inside an unfinished query are fine.
import { AqlSyntaxError, tokenizeAql, type AqlToken } from './tokenizer';
import type { CommentSpan, Span } from '../types';

export type AqlOpKind =
  | 'FOR' | 'FILTER' | 'LET' | 'COLLECT' | 'SORT' | 'LIMIT' | 'WINDOW' | 'RETURN'
  | 'INSERT' | 'UPDATE' | 'REPLACE' | 'REMOVE' | 'UPSERT' | 'WITH';

export const MODIFICATION_OPS: ReadonlySet<AqlOpKind> = new Set(['INSERT', 'UPDATE', 'REPLACE', 'REMOVE', 'UPSERT']);
const OP_KEYWORDS: ReadonlySet<string> = new Set(['FOR', 'FILTER', 'LET', 'COLLECT', 'SORT', 'LIMIT', 'WINDOW', 'RETURN', 'INSERT', 'UPDATE', 'REPLACE', 'REMOVE', 'UPSERT']);
const SUBQUERY_START: ReadonlySet<string> = new Set(['FOR', 'LET', 'RETURN', 'INSERT', 'UPDATE', 'REPLACE', 'REMOVE', 'UPSERT', 'WITH']);
const QUERY_START: ReadonlySet<string> = new Set(['FOR', 'LET', 'WITH', 'INSERT', 'UPDATE', 'REPLACE', 'REMOVE', 'UPSERT']);

/** Token indices [from, to) into AqlUnit.tokens. */
export interface TokenRange {
  readonly from: number;
  readonly to: number;
}

export interface AqlOp extends Span {
  readonly kind: AqlOpKind;
  readonly keyword: AqlToken;
  /** The tokens after the keyword, up to the next operation. */
  readonly body: TokenRange;
  readonly subqueries: AqlQuery[];
  /** FOR: the loop variables; LET: the variable. */
  variables?: string[];
  /** FOR: what it iterates over; LET: the value. */
  source?: TokenRange;
  /** INSERT/UPDATE/REPLACE/REMOVE: the document or key; UPSERT: the search expression. */
  doc?: TokenRange;
  /** UPDATE/REPLACE … WITH <expr>. */
  with?: TokenRange;
  /** UPSERT … INSERT <expr>. */
  upsertInsert?: TokenRange;
  /** UPSERT … UPDATE|REPLACE <expr>. */
  upsertChange?: TokenRange;
  upsertMode?: 'UPDATE' | 'REPLACE';
  /** The IN/INTO collection token (identifier or @@bind). */
  collection?: AqlToken;
  /** OPTIONS <object>. */
  options?: TokenRange;
}

export interface AqlQuery extends Span {
  readonly ops: AqlOp[];
  /** For a subquery: the query and operation it sits in. */
  readonly parent?: { readonly query: AqlQuery; readonly op: AqlOp };
}

export interface AqlUnit {
  readonly tokens: readonly AqlToken[];
  readonly comments: readonly CommentSpan[];
  /** Top-level queries in source order. */
  readonly queries: readonly AqlQuery[];
  /** Every query, subqueries included, in source order. */
  readonly allQueries: readonly AqlQuery[];
}

export { AqlSyntaxError };

export function parseAql(text: string): AqlUnit {
  const { tokens, comments } = tokenizeAql(text);
  const allQueries: AqlQuery[] = [];
  const queries: AqlQuery[] = [];
  const isKw = (t: AqlToken | undefined, ...values: string[]): boolean => t?.kind === 'keyword' && values.includes(t.value);
  const isP = (t: AqlToken | undefined, value: string): boolean => t?.kind === 'punct' && t.value === value;
  const err = (message: string, t: AqlToken | undefined): AqlSyntaxError => {
    const at = t ?? tokens[tokens.length - 1];
    return new AqlSyntaxError(message, at ? at.start : text.length, at ? at.end : text.length);
  };

  function parseQuery(start: number, inParen: boolean, parent: AqlQuery['parent']): { query: AqlQuery; next: number } {
    const ops: AqlOp[] = [];
    const query: AqlQuery = { start: tokens[start]?.start ?? text.length, end: tokens[start]?.end ?? text.length, ops, parent };
    allQueries.push(query);
    let cur: { kind: AqlOpKind; keyword: AqlToken; from: number; subqueries: AqlQuery[]; sawIn: boolean } | undefined;
    const stack: AqlToken[] = [];
    const close = (to: number): void => {
      if (!cur) return;
      const last = tokens[to - 1]!;
      ops.push(finishOp(cur.kind, cur.keyword, { from: cur.from + 1, to }, cur.subqueries, last.end));
      cur = undefined;
    };
    const complete = (): boolean => {
      const kinds = [...ops.map((o) => o.kind), ...(cur ? [cur.kind] : [])];
      return kinds.some((k) => MODIFICATION_OPS.has(k)) || kinds[kinds.length - 1] === 'RETURN';
    };
    let i = start;
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (stack.length === 0) {
        if (inParen && isP(t, ')')) break;
        if (!inParen && isP(t, ';')) break;
        if (!inParen && t.blankBefore && i > start && t.kind === 'keyword' && QUERY_START.has(t.value) && complete()) break;
        const isOp =
          t.kind === 'keyword' &&
          (OP_KEYWORDS.has(t.value) || (t.value === 'WITH' && !cur && ops.length === 0)) &&
          !(cur?.kind === 'UPSERT' && !cur.sawIn && ['INSERT', 'UPDATE', 'REPLACE'].includes(t.value));
        if (isOp) {
          close(i);
          cur = { kind: t.value as AqlOpKind, keyword: t, from: i, subqueries: [], sawIn: false };
          i++;
          continue;
        }
        if (cur && isKw(t, 'IN', 'INTO')) cur.sawIn = true;
      }
      if (!cur) throw err(`expected an AQL operation (FOR, LET, INSERT, UPDATE, REPLACE, REMOVE, UPSERT, RETURN…), found ${JSON.stringify(text.slice(t.start, t.end))}`, t);
      if (t.kind === 'punct') {
        if (t.value === '(' && tokens[i + 1]?.kind === 'keyword' && SUBQUERY_START.has(tokens[i + 1]!.value)) {
          const sub = parseQuery(i + 1, true, { query, op: undefined as unknown as AqlOp });
          if (!isP(tokens[sub.next], ')')) throw err('this parenthesis is never closed', t);
          cur.subqueries.push(sub.query);
          i = sub.next + 1;
          continue;
        }
        if (t.value === '(' || t.value === '[' || t.value === '{') stack.push(t);
        else if (t.value === ')' || t.value === ']' || t.value === '}') {
          const open = stack.pop();
          const want = open ? { '(': ')', '[': ']', '{': '}' }[open.value] : undefined;
          if (want !== t.value) throw err(open ? `expected ${JSON.stringify(want)} to close ${JSON.stringify(open.value)}, found ${JSON.stringify(t.value)}` : `unexpected ${JSON.stringify(t.value)}`, t);
        } else if (t.value === ';') throw err(`unexpected ";" inside ${JSON.stringify(stack[stack.length - 1]!.value)}`, t);
      }
      i++;
    }
    if (stack.length) throw err(`this ${JSON.stringify(stack[stack.length - 1]!.value)} is never closed`, stack[stack.length - 1]);
    close(i);
    const last = ops[ops.length - 1];
    if (last) {
      (query as { end: number }).end = last.end;
      if (last.kind !== 'RETURN' && !MODIFICATION_OPS.has(last.kind)) {
        throw err(`a query must end with RETURN or a data-modification operation (INSERT, UPDATE, REPLACE, REMOVE, UPSERT), but this one ends with ${last.kind}`, last.keyword);
      }
    }
    for (const op of ops) for (const sq of op.subqueries) (sq as { parent: AqlQuery['parent'] }).parent = { query, op };
    return { query, next: i };
  }

  /** Splits an operation's body at its part keywords (those at bracket depth 0). */
  function finishOp(kind: AqlOpKind, keyword: AqlToken, body: TokenRange, subqueries: AqlQuery[], end: number): AqlOp {
    const op: AqlOp = { kind, keyword, body, subqueries, start: keyword.start, end };
    const marks: { word: string; at: number }[] = [];
    let depth = 0;
    for (let j = body.from; j < body.to; j++) {
      const t = tokens[j]!;
      if (t.kind === 'punct' && (t.value === '(' || t.value === '[' || t.value === '{')) depth++;
      else if (t.kind === 'punct' && (t.value === ')' || t.value === ']' || t.value === '}')) depth--;
      else if (depth === 0 && t.kind === 'keyword') marks.push({ word: t.value, at: j });
    }
    const find = (...words: string[]): number => marks.find((m) => words.includes(m.word))?.at ?? -1;
    const need = (at: number, what: string): void => {
      if (at < 0) throw err(`${kind} needs ${what}`, keyword);
    };
    const nonEmpty = (r: TokenRange, what: string, near: AqlToken): TokenRange => {
      if (r.to <= r.from) throw err(`${kind} needs ${what}`, near);
      return r;
    };
    const collectionAt = (inAt: number): AqlToken => {
      const c = tokens[inAt + 1];
      // ArangoDB's grammar takes a quoted string as a collection name too (`IN 'core_values'`).
      if (!c || inAt + 1 >= body.to || !(c.kind === 'ident' || c.kind === 'collbind' || c.kind === 'bind' || c.kind === 'string')) throw err(`${kind} needs a collection name after ${tokens[inAt]!.value}`, tokens[inAt]);
      return c;
    };
    const optionsAt = find('OPTIONS');
    if (optionsAt >= 0) op.options = nonEmpty({ from: optionsAt + 1, to: body.to }, 'an object after OPTIONS', tokens[optionsAt]!);
    switch (kind) {
      case 'FOR': {
        const inAt = find('IN');
        need(inAt, 'IN');
        op.variables = tokens.slice(body.from, inAt).filter((t) => t.kind === 'ident').map((t) => t.value);
        if (!op.variables.length) throw err('FOR needs a variable name', keyword);
        const stop = marks.find((m) => m.at > inAt && ['SEARCH', 'PRUNE', 'OPTIONS'].includes(m.word))?.at ?? body.to;
        op.source = nonEmpty({ from: inAt + 1, to: stop }, 'something to iterate over after IN', tokens[inAt]!);
        break;
      }
      case 'LET': {
        const name = tokens[body.from];
        if (name?.kind !== 'ident' || !(tokens[body.from + 1]?.kind === 'op' && tokens[body.from + 1]!.value === '=')) throw err('LET needs `name = expression`', keyword);
        op.variables = [name.value];
        op.source = nonEmpty({ from: body.from + 2, to: body.to }, 'an expression after =', tokens[body.from + 1]!);
        break;
      }
      case 'FILTER':
      case 'RETURN':
      case 'SORT':
      case 'LIMIT':
        nonEmpty(body, 'an expression', keyword);
        break;
      case 'INSERT': {
        const inAt = find('INTO', 'IN');
        need(inAt, 'INTO <collection>');
        op.doc = nonEmpty({ from: body.from, to: inAt }, 'a document', keyword);
        op.collection = collectionAt(inAt);
        break;
      }
      case 'UPDATE':
      case 'REPLACE': {
        const inAt = find('IN', 'INTO');
        need(inAt, 'IN <collection>');
        const withAt = marks.find((m) => m.word === 'WITH' && m.at < inAt)?.at ?? -1;
        op.doc = nonEmpty({ from: body.from, to: withAt >= 0 ? withAt : inAt }, 'a document or key', keyword);
        if (withAt >= 0) op.with = nonEmpty({ from: withAt + 1, to: inAt }, 'an expression after WITH', tokens[withAt]!);
        op.collection = collectionAt(inAt);
        break;
      }
      case 'REMOVE': {
        const inAt = find('IN', 'INTO');
        need(inAt, 'IN <collection>');
        op.doc = nonEmpty({ from: body.from, to: inAt }, 'a document or key', keyword);
        op.collection = collectionAt(inAt);
        break;
      }
      case 'UPSERT': {
        const insAt = find('INSERT');
        need(insAt, 'INSERT <document>');
        const chg = marks.find((m) => m.at > insAt && (m.word === 'UPDATE' || m.word === 'REPLACE'));
        if (!chg) throw err('UPSERT needs UPDATE or REPLACE after INSERT', keyword);
        const inAt = marks.find((m) => m.at > chg.at && (m.word === 'IN' || m.word === 'INTO'))?.at ?? -1;
        need(inAt, 'IN <collection>');
        op.doc = nonEmpty({ from: body.from, to: insAt }, 'a search expression', keyword);
        op.upsertInsert = nonEmpty({ from: insAt + 1, to: chg.at }, 'a document after INSERT', tokens[insAt]!);
        op.upsertMode = chg.word as 'UPDATE' | 'REPLACE';
        op.upsertChange = nonEmpty({ from: chg.at + 1, to: inAt }, `an expression after ${chg.word}`, tokens[chg.at]!);
        op.collection = collectionAt(inAt);
        break;
      }
      default:
        break;
    }
    return op;
  }

  let i = 0;
  while (i < tokens.length) {
    if (isP(tokens[i], ';')) {
      i++;
      continue;
    }
    const { query, next } = parseQuery(i, false, undefined);
    if (next === i) throw err(`unexpected ${JSON.stringify(text.slice(tokens[i]!.start, tokens[i]!.end))}`, tokens[i]);
    queries.push(query);
    i = next;
  }
  allQueries.sort((a, b) => a.start - b.start);
  return { tokens, comments, queries, allQueries };
}

/** Spans for suppressions: every query and every operation, in source order, larger first. */
export function aqlStatements(unit: AqlUnit): Span[] {
  const spans: Span[] = [];
  for (const q of unit.allQueries) {
    spans.push({ start: q.start, end: q.end });
    for (const op of q.ops) spans.push({ start: op.start, end: op.end });
  }
  return spans.sort((a, b) => a.start - b.start || b.end - a.end);
}
