// Splits SQL text into top-level statements and finds its comments, in one pass of plain
// JavaScript, without PostgreSQL's scanner. The lexical rules follow PostgreSQL's (and psql's,
// which splits a script the same way before sending it): quotes ('…' with '' doubling, E'…' with
// backslash escapes, "…" identifiers, $tag$…$tag$ dollar quotes), -- line comments and nested
// /* */ block comments; a semicolon ends a statement only outside parentheses and outside the
// BEGIN ATOMIC … END body of CREATE FUNCTION/PROCEDURE (psql's own heuristic for that body).
//
// The linter parses each piece separately and caches it by its text, so an edit re-parses only
// the statement it touches. A piece may hold more than one statement when the heuristic is
// unsure (a function named "begin"): that is harmless, the parser splits it further.
import type { CommentSpan, Span } from '../types';

export interface SqlSplit {
  /**
   * Statement pieces in source order, each from its first code character through its
   * terminating semicolon (the last one may have none). Whitespace and comments between
   * pieces belong to none.
   */
  readonly pieces: readonly Span[];
  /** Every comment outside string literals, with its body (the text without delimiters). */
  readonly comments: readonly CommentSpan[];
}

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 0x80;
const isIdentCont = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

export function splitSql(text: string): SqlSplit {
  const pieces: Span[] = [];
  const comments: CommentSpan[] = [];
  const n = text.length;
  let start = -1; // first code character of the current piece
  let parens = 0;
  // psql's BEGIN ATOMIC heuristic: the first identifiers of a statement say whether it is
  // CREATE [OR REPLACE] FUNCTION|PROCEDURE; inside one, BEGIN/CASE … END nest.
  let idents = 0;
  let head = '';
  let beginDepth = 0;
  const endPiece = (end: number): void => {
    pieces.push({ start, end });
    start = -1;
    parens = 0;
    idents = 0;
    head = '';
    beginDepth = 0;
  };
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    // Comments.
    if (c === 45 && text.charCodeAt(i + 1) === 45) {
      let j = i + 2;
      while (j < n && text.charCodeAt(j) !== 10 && text.charCodeAt(j) !== 13) j++;
      comments.push({ start: i, end: j, body: text.slice(i + 2, j) });
      i = j;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        const d = text.charCodeAt(j);
        if (d === 47 && text.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
        } else if (d === 42 && text.charCodeAt(j + 1) === 47) {
          depth--;
          j += 2;
        } else j++;
      }
      comments.push({ start: i, end: j, body: text.slice(i + 2, depth === 0 ? j - 2 : j) });
      // An unterminated comment is a syntax error: it goes to the parser, which says so.
      if (depth > 0 && start < 0) start = i;
      i = j;
      continue;
    }
    if (start < 0) start = i;
    if (c === 59) {
      if (parens === 0 && beginDepth === 0) endPiece(i + 1);
      i++;
      continue;
    }
    if (c === 40) {
      parens++;
      i++;
      continue;
    }
    if (c === 41) {
      if (parens > 0) parens--;
      i++;
      continue;
    }
    if (c === 39) {
      i = skipQuoted(text, i + 1, 39, false);
      continue;
    }
    if (c === 34) {
      i = skipQuoted(text, i + 1, 34, false);
      continue;
    }
    if (c === 36) {
      // $tag$ … $tag$ (a digit after $ makes it a parameter, $1).
      let j = i + 1;
      if (j < n && isIdentStart(text.charCodeAt(j))) {
        j++;
        while (j < n && isIdentCont(text.charCodeAt(j)) && text.charCodeAt(j) !== 36) j++;
      }
      if (text.charCodeAt(j) === 36) {
        const tag = text.slice(i, j + 1);
        const close = text.indexOf(tag, j + 1);
        i = close < 0 ? n : close + tag.length;
        continue;
      }
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentCont(text.charCodeAt(j))) j++;
      // E'…' (and e'…') is a string with backslash escapes; U&'…', B'…', X'…', N'…' are not.
      if (j === i + 1 && (c === 69 || c === 101) && text.charCodeAt(j) === 39) {
        i = skipQuoted(text, j + 1, 39, true);
        continue;
      }
      // Only the first words of a statement, and words inside a routine, matter to the heuristic.
      if (idents < 4 || isRoutine()) trackWord(text.slice(i, j).toLowerCase());
      else idents++;
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      // A number (and anything glued to it) cannot start a quote or a comment.
      let j = i + 1;
      while (j < n && (isIdentCont(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      i = j;
      continue;
    }
    i++;
  }
  if (start >= 0) pieces.push({ start, end: n });
  return { pieces, comments };

  function isRoutine(): boolean {
    return head[0] === 'c' && (head[1] === 'f' || head[1] === 'p' || (head[1] === 'o' && head[2] === 'r' && (head[3] === 'f' || head[3] === 'p')));
  }

  function trackWord(word: string): void {
    if (idents < 4) {
      const k = word === 'create' || word === 'function' || word === 'procedure' || word === 'or' || word === 'replace' ? word[0]! : ' ';
      head += k;
    }
    idents++;
    if (!isRoutine() || parens !== 0) return;
    if (word === 'begin') beginDepth++;
    else if (word === 'case') {
      if (beginDepth >= 1) beginDepth++;
    } else if (word === 'end') {
      if (beginDepth > 0) beginDepth--;
    }
  }
}

/** Index just past the closing quote (or the end of the text when it is missing). */
function skipQuoted(text: string, from: number, quote: number, backslash: boolean): number {
  const n = text.length;
  let j = from;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (backslash && d === 92) {
      j += 2;
      continue;
    }
    if (d === quote) {
      if (text.charCodeAt(j + 1) === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return n;
}

/**
 * The end of a statement's code in `text[from, to)`: trailing whitespace and trailing comments
 * (as found by splitSql, sorted) are not part of it.
 */
export function codeEnd(text: string, from: number, to: number, comments: readonly CommentSpan[]): number {
  let end = to;
  let k = comments.length - 1;
  for (;;) {
    while (end > from && isSpace(text.charCodeAt(end - 1))) end--;
    while (k >= 0 && comments[k]!.end > end) k--;
    if (k >= 0 && comments[k]!.end === end && comments[k]!.start >= from) {
      end = comments[k]!.start;
      k--;
      continue;
    }
    return end;
  }
}
