// Parses a SQL file with libpg-query (PostgreSQL's own parser) into the statements the rules see.
// Top-level statements keep their exact source ranges; the bodies of DO blocks are parsed with the
// PL/pgSQL parser and their SQL statements are added after the DO statement, each with the guard
// context it runs in (inside an IF that checks the catalog, inside an EXCEPTION handler for
// duplicate_object…). Comments come from PostgreSQL's scanner, so words inside strings or comments
// never count as a guard.
import { loadModule, parseSync, scanSync, type ScanToken } from 'libpg-query';
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

/** One parsed piece of SQL: statements and comments with offsets already in host coordinates. */
export interface Piece {
  readonly statements: SqlStmt[];
  readonly comments: CommentSpan[];
}

/**
 * A statement. Its tokens are scanned on first use: PostgreSQL's scanner is slow on large texts,
 * and most statements never need tokens (only fixes and comment-bearing statements do).
 */
export class SqlStmt implements SqlStatement {
  index = 0;
  block?: BlockContext;
  dynamic = false;
  parent?: SqlStatement;
  /** The statement's text as it appears at `start` in the file; undefined when relocated. */
  source: string | undefined;
  #tokens: readonly SqlToken[] | undefined;

  constructor(
    readonly kind: string,
    readonly node: PgNode,
    public start: number,
    public end: number,
    public at: (location: number | undefined) => number,
    private readonly scan: () => readonly SqlToken[],
    source?: string,
  ) {
    this.source = source;
  }

  get tokens(): readonly SqlToken[] {
    this.#tokens ??= this.scan();
    return this.#tokens;
  }

  /** Whether the tokens are already at hand (scanning them costs a call into the WASM scanner). */
  get scanned(): boolean {
    return this.#tokens !== undefined;
  }

  set tokens(t: readonly SqlToken[]) {
    this.#tokens = t;
  }
}

export class SqlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/** Scans `text` (which starts at `base` in the host) into code tokens and comments. */
function scanText(text: string, base: number): { tokens: SqlToken[]; comments: CommentSpan[] } {
  let scanned: ScanToken[] = [];
  try {
    scanned = scanSync(text).tokens ?? [];
  } catch {
    // The scanner shares the parser's lexer, so this does not happen for text that parsed; without
    // tokens a statement keeps the parser's range and offers no fix.
  }
  const bytes = new ByteOffsets(text);
  const tokens: SqlToken[] = [];
  const comments: CommentSpan[] = [];
  for (const t of scanned) {
    const start = base + bytes.toIndex(t.start);
    const end = base + bytes.toIndex(t.end);
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') comments.push({ start, end, body: commentBody(t.text) });
    else {
      const keyword = t.keywordKind !== 0;
      tokens.push({ start, end, text: keyword ? t.text.toUpperCase() : t.text, keyword });
    }
  }
  return { tokens, comments };
}

const mayHaveComment = (s: string): boolean => s.includes('--') || s.includes('/*');

/**
 * Comments between two statements. The parser guarantees such a gap holds only whitespace,
 * semicolons and comments, so a few lines find them exactly (PostgreSQL's block comments nest);
 * anything else ends the walk, and the scanner is used instead.
 */
function gapComments(sql: string, from: number, to: number, base: number, out: CommentSpan[]): void {
  let i = from;
  const found: CommentSpan[] = [];
  while (i < to) {
    const c = sql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 59) {
      i++;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      let j = i + 2;
      while (j < to && sql.charCodeAt(j) !== 10 && sql.charCodeAt(j) !== 13) j++;
      found.push({ start: base + i, end: base + j, body: sql.slice(i + 2, j) });
      i = j;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      let depth = 1;
      let j = i + 2;
      while (j < to && depth > 0) {
        if (sql.charCodeAt(j) === 47 && sql.charCodeAt(j + 1) === 42) {
          depth++;
          j += 2;
        } else if (sql.charCodeAt(j) === 42 && sql.charCodeAt(j + 1) === 47) {
          depth--;
          j += 2;
        } else j++;
      }
      found.push({ start: base + i, end: base + j, body: sql.slice(i + 2, depth === 0 ? j - 2 : j) });
      i = j;
    } else {
      out.push(...scanText(sql.slice(from, to), base + from).comments);
      return;
    }
  }
  out.push(...found);
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
  const at = (location: number | undefined): number => base + bytes.toIndex(location ?? 0);
  const statements: SqlStmt[] = [];
  const comments: CommentSpan[] = [];
  let gapStart = 0;
  const scanGap = (from: number, to: number): void => {
    if (mayHaveComment(sql.slice(from, to))) gapComments(sql, from, to, base, comments);
  };
  for (const raw of tree.stmts ?? []) {
    const kind = kindOf(raw.stmt);
    const from = bytes.toIndex(raw.stmt_location ?? 0);
    const to = raw.stmt_len ? bytes.toIndex((raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
    // The parser's range starts at the first token but can end with whitespace and comments.
    scanGap(gapStart, from);
    gapStart = to;
    if (!kind) continue;
    const text = sql.slice(from, to);
    const scan = (): readonly SqlToken[] => scanText(text, base + from).tokens.filter((t) => t.text !== ';');
    let end = base + from + text.trimEnd().length;
    const stmt = new SqlStmt(kind, raw.stmt[kind], base + from, end, at, scan, text);
    if (mayHaveComment(text)) {
      const scanned = scanText(text, base + from);
      comments.push(...scanned.comments);
      const tokens = scanned.tokens.filter((t) => t.text !== ';');
      stmt.tokens = tokens;
      end = tokens[tokens.length - 1]?.end ?? end;
      stmt.end = end;
    }
    statements.push(stmt);
  }
  scanGap(gapStart, sql.length);
  return { statements, comments };
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
  for (const stmt of piece.statements) {
    stmt.index = statements.length;
    statements.push(stmt);
    if (stmt.kind === 'DoStmt') {
      const inner = analyzeDoBlock(text, stmt);
      for (const c of inner.comments) comments.push(c);
      for (const i of inner.statements) {
        i.index = statements.length;
        i.parent = stmt;
        statements.push(i);
      }
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

