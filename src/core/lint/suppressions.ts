// `greenlight-ignore <code>[, <code>…]` in a comment suppresses those codes on the next statement;
// `greenlight-ignore-file <code>…` suppresses them in the whole file. Only real comments count
// (the language's parser says where they are), so the words inside a string never suppress.
import type { CommentSpan, Span } from './types';

export interface Suppressions {
  isSuppressed(code: string, at: number): boolean;
}

const DIRECTIVE = /^\s*greenlight-ignore(-file)?\b\s*(.*)$/;

export function collectSuppressions(comments: readonly CommentSpan[], statements: readonly Span[]): Suppressions {
  const fileWide = new Set<string>();
  const byStatement: { span: Span; codes: Set<string> }[] = [];
  for (const c of comments) {
    const m = DIRECTIVE.exec(c.body);
    if (!m) continue;
    const codes = (m[2] ?? '')
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => /^[a-z][a-z0-9-]*$/.test(s));
    if (m[1]) {
      for (const code of codes) fileWide.add(code);
      continue;
    }
    const next = statements.find((s) => s.start >= c.end) ?? statements.find((s) => s.start <= c.start && c.end <= s.end);
    if (next) byStatement.push({ span: next, codes: new Set(codes) });
  }
  return {
    isSuppressed(code, at) {
      if (fileWide.has(code) || fileWide.has('all')) return true;
      return byStatement.some((s) => at >= s.span.start && at < Math.max(s.span.end, s.span.start + 1) && (s.codes.has(code) || s.codes.has('all')));
    },
  };
}
