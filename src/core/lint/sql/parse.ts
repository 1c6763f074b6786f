// Parses a SQL file with libpg-query (PostgreSQL's own parser) into the statements the rules see.
// Top-level statements keep their exact source ranges; the bodies of DO blocks are parsed with the
// PL/pgSQL parser and their SQL statements are added after the DO statement, each with the guard
// context it runs in (inside an IF that checks the catalog, inside an EXCEPTION handler for
// duplicate_object…). Comments come from PostgreSQL's scanner, so words inside strings or comments
// never count as a guard.
import { loadModule, parsePlPgSQLSync, parseSync, scanSync, type ScanToken } from 'libpg-query';
import type { CommentSpan, ParseResult, Span } from '../types';
import { kindOf, type PgNode } from './ast';
import { ByteOffsets } from './bytes';
import { analyzeDoBlock } from './plpgsql';

export interface SqlToken extends Span {
  /** Upper-cased when the token is a keyword, as written otherwise. */
  readonly text: string;
  readonly keyword: boolean;
}

/** Where a statement inside a DO block runs: what protects it on a second run. */
export interface BlockContext {
  /** Inside an IF/CASE/ELSIF branch whose condition checks the current state (EXISTS, catalog, FOUND…). */
  readonly conditional: boolean;
  /** Condition names (lower case) caught by the enclosing EXCEPTION handlers; 'others' catches all. */
  readonly caught: ReadonlySet<string>;
}

export interface SqlStatement extends Span {
  /** The node kind: 'CreateStmt', 'InsertStmt'… */
  readonly kind: string;
  /** The node body. */
  readonly node: PgNode;
  /** Position in execution order across the file (DO-block statements follow their DO). */
  readonly index: number;
  /** Tokens with host offsets; empty for SQL built at run time (EXECUTE). */
  readonly tokens: readonly SqlToken[];
  /** Maps a node `location` (bytes into the parsed text) to an offset in the file. */
  at(location: number | undefined): number;
  /** Set for statements inside DO blocks. */
  readonly block?: BlockContext;
  /** The statement is SQL text run by EXECUTE; positions point at the EXECUTE. */
  readonly dynamic: boolean;
  /** The DO statement this one is inside. */
  readonly parent?: SqlStatement;
}

export interface SqlUnit {
  readonly text: string;
  /** Every statement in execution order, DO-block contents included. */
  readonly statements: readonly SqlStatement[];
}

let ready: Promise<void> | undefined;

/** Loads the WASM parser once. */
export function loadSqlParser(): Promise<void> {
  ready ??= loadModule();
  return ready;
}

interface RawStmt {
  stmt: PgNode;
  stmt_location?: number;
  stmt_len?: number;
}

/** One parsed piece of SQL: tokens and statements with offsets already in host coordinates. */
export interface Piece {
  readonly statements: { kind: string; node: PgNode; start: number; end: number; tokens: SqlToken[]; at(location: number | undefined): number }[];
  readonly comments: CommentSpan[];
}

export class SqlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

function toToken(t: ScanToken, bytes: ByteOffsets, base: number): SqlToken & { comment: boolean } {
  const keyword = t.keywordKind !== 0;
  return {
    start: base + bytes.toIndex(t.start),
    end: base + bytes.toIndex(t.end),
    text: keyword ? t.text.toUpperCase() : t.text,
    keyword,
    comment: t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT',
  };
}

/**
 * Parses `sql` (which sits at offset `base` in the file, character for character) into statements.
 * Throws SqlSyntaxError with a file offset when PostgreSQL's grammar rejects it.
 */
export function parsePiece(sql: string, base: number): Piece {
  const bytes = new ByteOffsets(sql);
  let tree: { stmts?: RawStmt[] };
  try {
    tree = parseSync(sql) as { stmts?: RawStmt[] };
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const message = e instanceof Error ? e.message : String(e);
    throw new SqlSyntaxError(message, base + bytes.toIndex(details?.cursorPosition ?? 0));
  }
  let scanned: ScanToken[] = [];
  try {
    scanned = scanSync(sql).tokens ?? [];
  } catch {
    // The scanner and the parser share a lexer, so this does not happen for text that parsed;
    // without tokens, ranges fall back to the parser's own statement locations.
  }
  const all = scanned.map((t) => toToken(t, bytes, base));
  const comments: CommentSpan[] = all.filter((t) => t.comment).map((t) => ({ start: t.start, end: t.end, body: commentBody(t.text) }));
  const code = all.filter((t) => !t.comment).map(({ comment: _c, ...t }) => t);
  const at = (location: number | undefined): number => base + bytes.toIndex(location ?? 0);
  const statements: Piece['statements'] = [];
  for (const raw of tree.stmts ?? []) {
    const kind = kindOf(raw.stmt);
    if (!kind) continue;
    const from = base + bytes.toIndex(raw.stmt_location ?? 0);
    const to = raw.stmt_len ? base + bytes.toIndex((raw.stmt_location ?? 0) + raw.stmt_len) : base + sql.length;
    // The parser's range can include leading comments and whitespace; the tokens inside it give
    // the statement's exact first and last character.
    const tokens = tokensIn(code, from, to).filter((t) => t.text !== ';');
    const start = tokens[0]?.start ?? from;
    const end = tokens[tokens.length - 1]?.end ?? to;
    statements.push({ kind, node: raw.stmt[kind], start, end, tokens, at });
  }
  return { statements, comments };
}

function tokensIn(tokens: readonly SqlToken[], from: number, to: number): SqlToken[] {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.start < from) lo = mid + 1;
    else hi = mid;
  }
  const out: SqlToken[] = [];
  for (let i = lo; i < tokens.length && tokens[i]!.start < to; i++) out.push(tokens[i]!);
  return out;
}

function commentBody(raw: string): string {
  if (raw.startsWith('--')) return raw.slice(2);
  if (raw.startsWith('/*')) return raw.slice(2, raw.endsWith('*/') ? -2 : undefined);
  return raw;
}

/** Parses a whole file. Never throws: bad SQL is a ParseFailure at the parser's cursor. */
export function parseSqlText(text: string): ParseResult<SqlUnit> {
  let piece: Piece;
  try {
    piece = text.trim() === '' ? { statements: [], comments: [] } : parsePiece(text, 0);
  } catch (e) {
    if (e instanceof SqlSyntaxError) {
      const start = Math.min(e.offset, text.length);
      return { ok: false, start, end: Math.min(text.length, start + tokenLengthAt(text, start)), message: `SQL syntax error: ${e.message}` };
    }
    return { ok: false, start: 0, end: Math.min(1, text.length), message: `the SQL parser failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  const statements: SqlStatement[] = [];
  const comments = [...piece.comments];
  for (const s of piece.statements) {
    const stmt: SqlStatement = { ...s, index: statements.length, dynamic: false };
    statements.push(stmt);
    if (s.kind === 'DoStmt') {
      const inner = analyzeDoBlock(text, stmt);
      for (const c of inner.comments) comments.push(c);
      for (const i of inner.statements) statements.push({ ...i, index: statements.length, parent: stmt });
    }
  }
  comments.sort((a, b) => a.start - b.start);
  const spans = statements.map((s) => ({ start: s.start, end: s.end })).sort((a, b) => a.start - b.start || b.end - a.end);
  return { ok: true, unit: { text, statements }, statements: spans, comments };
}

function tokenLengthAt(text: string, at: number): number {
  const m = /^[^\s;,()]+/.exec(text.slice(at, at + 200));
  return m ? m[0].length : 1;
}

export { parsePlPgSQLSync };
