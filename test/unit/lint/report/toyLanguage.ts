// A tiny test-only lint language, so the report formatters, the CLI and the language-server
// glue are tested independently of the real SQL/AQL/Ruby/Python languages. Statements end at ';',
// comments are '--' to the end of the line, '@@' anywhere is a syntax error.
import { Linter } from '../../../../src/core/lint/engine';
import type { CommentSpan, Language, Rule, Span } from '../../../../src/core/lint/types';

interface ToyUnit {
  readonly text: string;
  readonly statements: readonly Span[];
}

const createTable: Rule<ToyUnit> = {
  meta: {
    code: 'toy-create-table',
    language: 'sql',
    tags: ['idempotency'],
    defaultSeverity: 'warning',
    description: 'CREATE TABLE without IF NOT EXISTS fails when the migration runs again.',
    help: 'Write CREATE TABLE IF NOT EXISTS.',
    fixable: true,
  },
  check(unit, ctx) {
    for (const s of unit.statements) {
      const body = unit.text.slice(s.start, s.end);
      const m = /\bCREATE TABLE\s+(?!IF NOT EXISTS)/i.exec(body);
      if (!m) continue;
      const at = s.start + m.index + 'CREATE TABLE '.length;
      ctx.report({ start: s.start, end: s.end, message: 'CREATE TABLE fails when the table already exists', fix: { title: 'Add IF NOT EXISTS', edits: [{ start: at, end: at, newText: 'IF NOT EXISTS ' }] } });
    }
  },
};

const truncate: Rule<ToyUnit> = {
  meta: {
    code: 'toy-truncate',
    language: 'sql',
    tags: ['data-loss'],
    defaultSeverity: 'error',
    description: 'TRUNCATE deletes every row.',
    help: 'Delete only the rows the migration owns.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const s of unit.statements) {
      const body = unit.text.slice(s.start, s.end);
      const m = /\bTRUNCATE\b/i.exec(body);
      if (m) ctx.report({ start: s.start + m.index, end: s.start + m.index + m[0].length, message: 'TRUNCATE deletes every row of the table' });
    }
  },
};

const selectStar: Rule<ToyUnit> = {
  meta: {
    code: 'toy-select-star',
    language: 'sql',
    tags: ['style'],
    defaultSeverity: 'info',
    description: 'SELECT * in a migration.',
    help: 'Name the columns.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const m of unit.text.matchAll(/SELECT \*/g)) ctx.report({ start: m.index, end: m.index + m[0].length, message: 'SELECT * in a migration' });
  },
};

export const toyLanguage: Language<ToyUnit> = {
  id: 'sql',
  lineComment: '--',
  matches: (file) => file.endsWith('.sql'),
  parse(text) {
    const bad = text.indexOf('@@');
    if (bad >= 0) return Promise.resolve({ ok: false, start: bad, end: bad + 2, message: 'syntax error at "@@"' });
    const comments: CommentSpan[] = [];
    const statements: Span[] = [];
    let start = -1;
    for (let i = 0; i < text.length; i++) {
      if (text.startsWith('--', i)) {
        const end = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
        comments.push({ start: i, end, body: text.slice(i + 2, end) });
        i = end;
        continue;
      }
      const c = text[i]!;
      if (start < 0 && !/\s/.test(c)) start = i;
      if (c === ';' && start >= 0) {
        statements.push({ start, end: i + 1 });
        start = -1;
      }
    }
    if (start >= 0) statements.push({ start, end: text.trimEnd().length });
    return Promise.resolve({ ok: true, unit: { text, statements }, statements, comments });
  },
  rules: [createTable, truncate, selectStar],
};

export function toyLinter(): Linter {
  return new Linter([toyLanguage as Language<unknown>]);
}
