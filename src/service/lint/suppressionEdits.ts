// The text edits behind the "Ignore <code> for this statement / for this file" quick fixes. They
// write the same comments a person would (`-- greenlight-ignore <code>` above the statement, with
// its indentation; `-- greenlight-ignore-file <code>` at the top), and extend an existing
// directive instead of stacking a second one. Pure functions over the text, so they are tested
// without an editor.
import type { Span, TextEdit } from '../../core/lint/types';

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEndOf(text: string, offset: number): number {
  const n = text.indexOf('\n', offset);
  const end = n < 0 ? text.length : n;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

/** The innermost statement containing `offset` (statements may nest), if any. */
export function statementAt(statements: readonly Span[], offset: number): Span | undefined {
  let best: Span | undefined;
  for (const s of statements) {
    if (offset >= s.start && offset < Math.max(s.end, s.start + 1) && (!best || s.start >= best.start)) best = s;
  }
  return best;
}

/** Appends `code` to an existing directive's code list, or returns undefined when it is already there. */
function appendCode(text: string, lineStart: number, code: string): TextEdit | undefined {
  const end = lineEndOf(text, lineStart);
  const line = text.slice(lineStart, end);
  const trimmed = line.replace(/\s+$/, '');
  const codes = trimmed.replace(/^.*?greenlight-ignore(-file)?\b/, '').split(/[\s,]+/).filter(Boolean);
  if (codes.includes(code) || codes.includes('all')) return undefined;
  const at = lineStart + trimmed.length;
  return { start: at, end, newText: `${codes.length ? ',' : ''} ${code}` };
}

/**
 * The edit that suppresses `code` on the statement containing `findingOffset`: a directive on the
 * line above it (or added to the one already there). Undefined when the finding is not inside a
 * statement: then only the file-wide suppression can silence it.
 */
export function ignoreStatementEdit(text: string, lineComment: string, statements: readonly Span[], findingOffset: number, code: string): TextEdit | undefined {
  if (!lineComment) return undefined;
  const stmt = statementAt(statements, findingOffset);
  if (!stmt) return undefined;
  const eol = eolOf(text);
  const lineStart = lineStartOf(text, stmt.start);
  const before = text.slice(lineStart, stmt.start);
  const indent = /^[ \t]*/.exec(before)![0];
  const directive = `${lineComment} greenlight-ignore ${code}`;
  if (before.trim() === '') {
    if (lineStart > 0) {
      const prevStart = lineStartOf(text, lineStart - 1);
      const prev = text.slice(prevStart, lineEndOf(text, prevStart));
      if (new RegExp(`^\\s*${escapeRe(lineComment)}\\s*greenlight-ignore\\b(?!-)`).test(prev)) {
        return appendCode(text, prevStart, code);
      }
    }
    return { start: lineStart, end: lineStart, newText: `${indent}${directive}${eol}` };
  }
  // The statement shares its line with earlier code: it moves to its own line under the directive,
  // because a directive applies to the next statement that starts after it.
  let wsStart = stmt.start;
  while (wsStart > lineStart && (text[wsStart - 1] === ' ' || text[wsStart - 1] === '\t')) wsStart--;
  return { start: wsStart, end: stmt.start, newText: `${eol}${indent}${directive}${eol}${indent}` };
}

/** The edit that suppresses `code` in the whole file: a directive at the top (after a shebang or encoding line). */
export function ignoreFileEdit(text: string, lineComment: string, code: string): TextEdit | undefined {
  if (!lineComment) return undefined;
  const existing = new RegExp(`^[ \\t]*${escapeRe(lineComment)}[ \\t]*greenlight-ignore-file\\b`, 'm').exec(text);
  if (existing) return appendCode(text, existing.index, code);
  const eol = eolOf(text);
  let at = 0;
  // Keep lines that must stay first: a shebang, and Python's encoding declaration (PEP 263).
  for (let i = 0; i < 2; i++) {
    const end = text.indexOf('\n', at);
    const line = text.slice(at, end < 0 ? text.length : end);
    if ((i === 0 && line.startsWith('#!')) || /^#.*coding[:=]/.test(line)) at = end < 0 ? text.length : end + 1;
    else break;
  }
  const needsEol = at === text.length && at > 0 && !text.endsWith('\n');
  return { start: at, end: at, newText: `${needsEol ? eol : ''}${lineComment} greenlight-ignore-file ${code}${eol}` };
}
