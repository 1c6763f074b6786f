// A tokenizer for AQL (ArangoDB Query Language) with exact offsets. It knows what the linter's
// rules need: keywords (case-insensitive), identifiers (also `backtick` and ´forward-tick´ quoted),
// strings with backslash escapes, numbers, bind parameters (@value, @@collection), operators and
// punctuation, and both comment forms. Comments are returned separately so that words inside them
// can never count as code, and so that suppression comments can be found.
import type { CommentSpan } from '../types';

export type AqlTokenKind = 'keyword' | 'ident' | 'string' | 'number' | 'bind' | 'collbind' | 'op' | 'punct';

export interface AqlToken {
  readonly kind: AqlTokenKind;
  /** Keywords upper-cased; identifiers unquoted; strings unescaped; otherwise the source text. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** A blank line (only whitespace and comments) separates this token from the previous one. */
  readonly blankBefore: boolean;
}

export class AqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

/** AQL's reserved words (https://docs.arangodb.com/stable/aql/fundamentals/syntax/#keywords). */
export const AQL_KEYWORDS = new Set([
  'FOR', 'RETURN', 'FILTER', 'SEARCH', 'SORT', 'LIMIT', 'LET', 'COLLECT', 'WINDOW', 'INSERT', 'UPDATE',
  'REPLACE', 'REMOVE', 'UPSERT', 'WITH', 'AGGREGATE', 'ALL', 'ALL_SHORTEST_PATHS', 'AND', 'ANY', 'ASC',
  'DESC', 'DISTINCT', 'FALSE', 'IN', 'INBOUND', 'INTO', 'K_PATHS', 'K_SHORTEST_PATHS', 'LIKE', 'NONE',
  'NOT', 'NULL', 'OR', 'OUTBOUND', 'SHORTEST_PATH', 'TRUE', 'GRAPH', 'PRUNE', 'OPTIONS', 'AT', 'LEAST',
]);

const THREE = ['...'];
const TWO = ['==', '!=', '<=', '>=', '=~', '!~', '&&', '||', '..', '::'];
const ONE = '=<>+-*/%!?:.';
const PUNCT = '(){}[],;';

export interface AqlTokens {
  readonly tokens: AqlToken[];
  readonly comments: CommentSpan[];
}

export function tokenizeAql(text: string): AqlTokens {
  const tokens: AqlToken[] = [];
  const comments: CommentSpan[] = [];
  let i = 0;
  let newlines = 0;
  let blank = false;
  const n = text.length;
  const push = (kind: AqlTokenKind, value: string, start: number, end: number): void => {
    tokens.push({ kind, value, start, end, blankBefore: blank || newlines >= 2 });
    newlines = 0;
    blank = false;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '\n') {
      newlines++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\u00a0' || c === '\ufeff') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      comments.push({ start: i, end: stop, body: text.slice(i + 2, stop) });
      // A comment line does not end a run of blank lines, but it is not blank itself.
      if (newlines >= 2) blank = true;
      newlines = 0;
      i = stop;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new AqlSyntaxError('unterminated /* comment', i, i + 2);
      comments.push({ start: i, end: end + 2, body: text.slice(i + 2, end) });
      if (newlines >= 2) blank = true;
      newlines = 0;
      i = end + 2;
      continue;
    }
    const start = i;
    if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new AqlSyntaxError('unterminated string', start, start + 1);
        const d = text[i]!;
        if (d === c) break;
        if (d === '\\') {
          const e = text[i + 1];
          if (e === undefined) throw new AqlSyntaxError('unterminated string', start, start + 1);
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      i++;
      push('string', value, start, i);
      continue;
    }
    if (c === '`' || c === '´') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new AqlSyntaxError(`unterminated ${c === '`' ? 'backtick' : 'forward-tick'} identifier`, start, start + 1);
      i = end + 1;
      push('ident', text.slice(start + 1, end), start, i);
      continue;
    }
    if (c === '@') {
      const coll = text[i + 1] === '@';
      let j = i + (coll ? 2 : 1);
      while (j < n && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      if (j === i + (coll ? 2 : 1)) throw new AqlSyntaxError('expected a bind parameter name after @', start, j);
      i = j;
      push(coll ? 'collbind' : 'bind', text.slice(start, i), start, i);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? '') && text[i - 1] !== '.')) {
      if (c === '0' && /[xXbB]/.test(text[i + 1] ?? '')) {
        i += 2;
        while (i < n && /[0-9A-Fa-f]/.test(text[i]!)) i++;
      } else {
        while (i < n && /[0-9]/.test(text[i]!)) i++;
        // `1..5` is a range, not a decimal point.
        if (text[i] === '.' && text[i + 1] !== '.' && /[0-9]/.test(text[i + 1] ?? '')) {
          i++;
          while (i < n && /[0-9]/.test(text[i]!)) i++;
        }
        if (/[eE]/.test(text[i] ?? '') && /[0-9+-]/.test(text[i + 1] ?? '')) {
          i += 2;
          while (i < n && /[0-9]/.test(text[i]!)) i++;
        }
      }
      push('number', text.slice(start, i), start, i);
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      // `$` may only start a name ($CURRENT); the first character is consumed unconditionally so
      // that the loop always advances.
      i++;
      while (i < n && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      // After a `.` a keyword is an attribute name (doc.filter), never a keyword.
      const prev = tokens[tokens.length - 1];
      const afterDot = prev?.kind === 'op' && prev.value === '.' && prev.end === start;
      if (AQL_KEYWORDS.has(upper) && !afterDot) push('keyword', upper, start, i);
      else push('ident', word, start, i);
      continue;
    }
    const three = THREE.find((t) => text.startsWith(t, i));
    if (three) {
      i += 3;
      push('op', three, start, i);
      continue;
    }
    const two = TWO.find((t) => text.startsWith(t, i));
    if (two) {
      i += 2;
      push('op', two, start, i);
      continue;
    }
    if (ONE.includes(c)) {
      i++;
      push('op', c, start, i);
      continue;
    }
    if (PUNCT.includes(c)) {
      i++;
      push('punct', c, start, i);
      continue;
    }
    throw new AqlSyntaxError(`unexpected character ${JSON.stringify(c)}`, start, start + 1);
  }
  return { tokens, comments };
}
