// Parses a SQL file with libpg-query (PostgreSQL's own parser) into the statements the rules see.
// Top-level statements keep their exact source ranges; the bodies of DO blocks are parsed with the
// PL/pgSQL parser and their SQL statements are added after the DO statement, each with the guard
// context it runs in (inside an IF that checks the catalog, inside an EXCEPTION handler for
// duplicate_object…). Comments come from a lexer that follows PostgreSQL's quoting rules
// (split.ts), so words inside strings or comments never count as a guard. Each statement is parsed
// on its own and cached by its text, so an edit in the editor re-parses one statement, not the file.
import { createRequire } from 'node:module';
import type * as PgQuery from 'libpg-query';
import type { ScanToken } from 'libpg-query';
import type { CommentSpan, ParseResult, Span } from '../types';
import { kindOf, type PgNode } from './ast';
import { ByteOffsets } from './bytes';
import { analyzeDoBlock } from './plpgsql';
import { codeEnd, splitSql, type SqlSplit } from './split';

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
let pg: typeof PgQuery | undefined;

/**
 * Loads the WASM parser once. The package itself is required here, not at module load, so a
 * process that only decides which files to lint (the CLI's main thread) never loads it.
 */
export function loadSqlParser(): Promise<void> {
  ready ??= (async () => {
    // require, not import(): import() of this CommonJS package goes through the ESM loader,
    // which first scans its source for exports (milliseconds of every cold lint run).
    const mod = createRequire(__filename)('libpg-query') as typeof PgQuery;
    await mod.loadModule();
    pg = mod;
  })();
  return ready;
}

/** libpg-query's synchronous API, once loadSqlParser has resolved. */
export function sqlParser(): typeof PgQuery {
  if (!pg) throw new Error('the SQL parser is not loaded yet (await loadSqlParser() first)');
  return pg;
}

interface RawStmt {
  stmt: PgNode;
  stmt_location?: number;
  stmt_len?: number;
}

/** One parsed piece of SQL: statements with offsets already in host coordinates. */
export interface Piece {
  readonly statements: SqlStmt[];
  /** With `pieceStarts`: the piece each statement is in. */
  readonly pieceOf: readonly number[];
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
  /** The cached statement this one is a copy of, placed in a file (see shifted). */
  origin: SqlStmt | undefined;
  /**
   * Kept with the cached statement for the copies made of it: what it does to named objects
   * (facts.ts) and each rule's findings on it (rule.ts), by the rule's number. Plain fields,
   * not WeakMaps: they are read for every statement on every lint.
   */
  effects: unknown;
  memos: unknown[] | undefined;
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

  /**
   * The same statement `delta` characters further on (a cached piece placed in a file). The parse
   * tree is shared, not copied: rules only read it.
   */
  shifted(delta: number): SqlStmt {
    const src = this;
    const s = new SqlStmt(
      this.kind,
      this.node,
      this.start + delta,
      this.end + delta,
      (location) => src.at(location) + delta,
      () => src.tokens.map((t) => ({ start: t.start + delta, end: t.end + delta, text: t.text, keyword: t.keyword })),
      this.source,
    );
    s.block = this.block;
    s.dynamic = this.dynamic;
    s.origin = this;
    return s;
  }
}

export class SqlSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

/** Scans `text` (which starts at `base` in the host) into code tokens (no comments, no semicolons). */
function scanTokens(text: string, base: number): SqlToken[] {
  let scanned: ScanToken[] = [];
  try {
    scanned = sqlParser().scanSync(text).tokens ?? [];
  } catch {
    // The scanner shares the parser's lexer, so this does not happen for text that parsed; without
    // tokens a statement offers no token-based fix.
  }
  const bytes = new ByteOffsets(text);
  const tokens: SqlToken[] = [];
  for (const t of scanned) {
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT' || t.text === ';') continue;
    const keyword = t.keywordKind !== 0;
    tokens.push({ start: base + bytes.toIndex(t.start), end: base + bytes.toIndex(t.end), text: keyword ? t.text.toUpperCase() : t.text, keyword });
  }
  return tokens;
}

const mayHaveComment = (s: string): boolean => s.includes('--') || s.includes('/*');

/**
 * Parses `sql` (which sits at offset `base` in the file, character for character) into statements.
 * Throws SqlSyntaxError with a file offset when PostgreSQL's grammar rejects it.
 */
export function parsePiece(sql: string, base: number, pieceStarts?: readonly number[]): Piece {
  const bytes = new ByteOffsets(sql);
  let tree: { stmts?: RawStmt[] };
  try {
    tree = sqlParser().parseSync(sql) as { stmts?: RawStmt[] };
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const message = e instanceof Error ? e.message : String(e);
    throw new SqlSyntaxError(message, base + bytes.toIndex(details?.cursorPosition ?? 0));
  }
  const at = (location: number | undefined): number => base + bytes.toIndex(location ?? 0);
  const statements: SqlStmt[] = [];
  const pieceOf: number[] = [];
  let comments: readonly CommentSpan[] | undefined;
  let piece = 0;
  for (const raw of tree.stmts ?? []) {
    const kind = kindOf(raw.stmt);
    if (!kind) continue;
    const from = bytes.toIndex(raw.stmt_location ?? 0);
    const to = raw.stmt_len ? bytes.toIndex((raw.stmt_location ?? 0) + raw.stmt_len) : sql.length;
    // The parser's range starts at the first token but can end with whitespace and comments.
    const text = sql.slice(from, to);
    let end = from + text.trimEnd().length;
    if (mayHaveComment(text)) {
      comments ??= splitSql(sql).comments;
      end = codeEnd(sql, from, end, comments);
    }
    // Several pieces parsed in one call: each statement in its own piece's coordinates.
    let b = base;
    let stmtAt = at;
    if (pieceStarts) {
      while (piece + 1 < pieceStarts.length && pieceStarts[piece + 1]! <= from) piece++;
      const pb = base - pieceStarts[piece]!;
      b = pb;
      stmtAt = (location) => pb + bytes.toIndex(location ?? 0);
      pieceOf.push(piece);
    }
    const sb = b;
    statements.push(new SqlStmt(kind, raw.stmt[kind], b + from, b + end, stmtAt, () => scanTokens(text, sb + from), text));
  }
  return { statements, pieceOf };
}

/** A statement piece parsed on its own, in its own coordinates (offset 0 is its first character). */
type PieceParse =
  | {
      readonly ok: true;
      /** Its statements, each with what runs inside it (the SQL in a DO block) and the comments found there. */
      readonly tops: readonly { readonly stmt: SqlStmt; readonly inner: readonly SqlStmt[]; readonly comments: readonly CommentSpan[] }[];
    }
  | { readonly ok: false; readonly offset: number; readonly message: string };

/**
 * Parsed pieces by their text, least recently used first. A migration open in the editor keeps
 * all its statements here, so an edit parses only the statement it changed. Bounded by the
 * characters of the keys (a parse tree takes some tens of bytes per character).
 */
class PieceCache {
  readonly #map = new Map<string, { value: PieceParse; used: number }>();
  #chars = 0;
  #tick = 0;

  constructor(readonly maxChars: number) {}

  get(key: string): PieceParse | undefined {
    const e = this.#map.get(key);
    if (!e) return undefined;
    // Marked, not moved: re-inserting every piece of a large file on every lint costs more than
    // sorting the marks on the rare occasions the cache is full.
    e.used = ++this.#tick;
    return e.value;
  }

  set(key: string, value: PieceParse): void {
    if (this.#map.has(key)) return;
    this.#map.set(key, { value, used: ++this.#tick });
    this.#chars += key.length;
    if (this.#chars <= this.maxChars) return;
    // Full: drop the least recently used entries until three quarters of the budget is left.
    const byUse = [...this.#map].sort((a, b) => a[1].used - b[1].used);
    for (const [k] of byUse) {
      if (this.#chars <= this.maxChars * 0.75 || this.#map.size <= 1) break;
      this.#map.delete(k);
      this.#chars -= k.length;
    }
  }

  clear(): void {
    this.#map.clear();
    this.#chars = 0;
  }
}

const pieceCache = new PieceCache(1 << 20);
const counters = { piecesParsed: 0, parserCalls: 0 };

/** How many statement pieces were parsed (cache misses) and how many parser calls that took. */
export function sqlParseCounters(): { readonly piecesParsed: number; readonly parserCalls: number } {
  return { ...counters };
}

/** Forgets every cached parse (tests start from a cold cache with it). */
export function clearSqlParseCache(): void {
  pieceCache.clear();
}

/** Parses one piece alone. */
function parseAlone(text: string): PieceParse {
  counters.parserCalls++;
  try {
    return withContents(text, parsePiece(text, 0).statements);
  } catch (e) {
    if (e instanceof SqlSyntaxError) return { ok: false, offset: e.offset, message: e.message };
    throw e;
  }
}

/** Adds what runs inside each DO block. */
function withContents(text: string, statements: readonly SqlStmt[]): PieceParse {
  return {
    ok: true,
    tops: statements.map((stmt) => {
      if (stmt.kind !== 'DoStmt') return { stmt, inner: [], comments: [] };
      const inner = analyzeDoBlock(text, stmt);
      return { stmt, inner: inner.statements, comments: inner.comments };
    }),
  };
}

/**
 * Parses pieces (distinct texts, in file order). They go to the parser together, one call for
 * all (each call into the WASM module has a fixed cost); when that fails, the pieces before the
 * failing one are parsed together again, the failing one alone, and the rest the same way, so
 * every piece gets the result it has on its own.
 */
function parsePieces(texts: readonly string[]): PieceParse[] {
  counters.piecesParsed += texts.length;
  const out = new Array<PieceParse>(texts.length);
  const run = (from: number, to: number): void => {
    if (from >= to) return;
    if (to - from === 1) {
      out[from] = parseAlone(texts[from]!);
      return;
    }
    const offsets: number[] = [];
    let batch = '';
    for (let k = from; k < to; k++) {
      offsets.push(batch.length);
      batch += `${texts[k]}\n`;
    }
    counters.parserCalls++;
    let parsed: Piece;
    try {
      parsed = parsePiece(batch, 0, offsets);
    } catch (e) {
      if (!(e instanceof SqlSyntaxError)) throw e;
      let j = 0;
      while (j + 1 < offsets.length && offsets[j + 1]! <= e.offset) j++;
      run(from, from + j);
      out[from + j] = parseAlone(texts[from + j]!);
      run(from + j + 1, to);
      return;
    }
    const mine: SqlStmt[][] = offsets.map(() => []);
    parsed.statements.forEach((s, i) => mine[parsed.pieceOf[i]!]!.push(s));
    for (let i = 0; i < mine.length; i++) out[from + i] = withContents(texts[from + i]!, mine[i]!);
  };
  run(0, texts.length);
  return out;
}

/**
 * Parses a whole file. Never throws: bad SQL is a ParseFailure at the parser's cursor.
 *
 * The file is split into statements (splitSql) and each is parsed on its own, through a cache
 * keyed by its text: positions are the piece's plus its offset in this file. The result is the
 * one parsing the whole file would give: PostgreSQL's grammar returns to the same state after
 * each top-level semicolon, so the first piece that fails fails where the whole file would.
 */
export function parseSqlText(text: string): ParseResult<SqlUnit> {
  let split: SqlSplit;
  let results: PieceParse[];
  try {
    split = splitSql(text);
    results = lookUp(text, split.pieces);
  } catch (e) {
    return { ok: false, start: 0, end: Math.min(1, text.length), message: `the SQL parser failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  const failed = results.findIndex((r) => !r.ok);
  if (failed < 0) return assemble(text, split.pieces, results as Extract<PieceParse, { ok: true }>[], split.comments);

  const piece = split.pieces[failed]!;
  const r = results[failed] as Extract<PieceParse, { ok: false }>;
  let offset = piece.start + r.offset;
  let message = r.message;
  if (failed < split.pieces.length - 1 && text.charCodeAt(piece.end - 1) === 59 && offset >= piece.end - 1) {
    // Failing at its own final semicolon (or just after it) can also mean the semicolon is not
    // the statement's end: a body the splitter did not recognise. The parser decides, on the
    // rest of the file.
    try {
      parsePiece(text.slice(piece.start), piece.start);
      // It parsed: the split was wrong. Parse the whole file in one piece, without the cache.
      return parseWhole(text, split.comments);
    } catch (e) {
      if (!(e instanceof SqlSyntaxError)) return { ok: false, start: 0, end: Math.min(1, text.length), message: `the SQL parser failed: ${e instanceof Error ? e.message : String(e)}` };
      offset = e.offset;
      message = e.message;
    }
  }
  const start = Math.min(offset, text.length);
  return { ok: false, start, end: Math.min(text.length, start + tokenLengthAt(text, start)), message: `SQL syntax error: ${message}` };
}

/** Cached or freshly parsed results for each piece. */
function lookUp(text: string, pieces: readonly Span[]): PieceParse[] {
  const results = new Array<PieceParse>(pieces.length);
  const missing = new Map<string, number[]>();
  for (let i = 0; i < pieces.length; i++) {
    const key = text.slice(pieces[i]!.start, pieces[i]!.end);
    const hit = pieceCache.get(key);
    if (hit) results[i] = hit;
    else {
      const at = missing.get(key);
      if (at) at.push(i);
      else missing.set(key, [i]);
    }
  }
  if (missing.size) {
    const texts = [...missing.keys()];
    const parsed = parsePieces(texts);
    for (let k = 0; k < texts.length; k++) {
      pieceCache.set(texts[k]!, parsed[k]!);
      for (const i of missing.get(texts[k]!)!) results[i] = parsed[k]!;
    }
  }
  return results;
}

function parseWhole(text: string, comments: readonly CommentSpan[]): ParseResult<SqlUnit> {
  try {
    const whole = withContents(text, parsePiece(text, 0).statements) as Extract<PieceParse, { ok: true }>;
    return assemble(text, [{ start: 0, end: text.length }], [whole], comments);
  } catch (e) {
    if (e instanceof SqlSyntaxError) {
      const start = Math.min(e.offset, text.length);
      return { ok: false, start, end: Math.min(text.length, start + tokenLengthAt(text, start)), message: `SQL syntax error: ${e.message}` };
    }
    return { ok: false, start: 0, end: Math.min(1, text.length), message: `the SQL parser failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** The file's unit: every piece's statements moved to where the piece is, in execution order. */
function assemble(text: string, pieces: readonly Span[], results: readonly Extract<PieceParse, { ok: true }>[], lexed: readonly CommentSpan[]): ParseResult<SqlUnit> {
  const statements: SqlStatement[] = [];
  const comments: CommentSpan[] = [...lexed];
  let sorted = true;
  for (let i = 0; i < pieces.length; i++) {
    const delta = pieces[i]!.start;
    for (const top of results[i]!.tops) {
      const stmt = top.stmt.shifted(delta);
      stmt.index = statements.length;
      statements.push(stmt);
      for (const c of top.comments) {
        comments.push({ start: c.start + delta, end: c.end + delta, body: c.body });
        sorted = false;
      }
      for (const inner of top.inner) {
        const s = inner.shifted(delta);
        s.index = statements.length;
        s.parent = stmt;
        statements.push(s);
      }
    }
  }
  if (!sorted) comments.sort((a, b) => a.start - b.start);
  const spans = statements.map((s) => ({ start: s.start, end: s.end })).sort((a, b) => a.start - b.start || b.end - a.end);
  return { ok: true, unit: { text, statements }, statements: spans, comments };
}

function tokenLengthAt(text: string, at: number): number {
  const m = /^[^\s;,()]+/.exec(text.slice(at, at + 200));
  return m ? m[0].length : 1;
}

