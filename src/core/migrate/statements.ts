// Splits a SQL migration into its statements with PostgreSQL's own parser (libpg-query), so the
// runner can execute one statement at a time and point at the exact file:line:column when one
// fails. Offsets are converted from the parser's UTF-8 bytes to string indices.
import { parseSync } from 'libpg-query';
import { loadSqlParser } from '../lint/sql/parse';
import { InputError } from '../common/errors';
import { lineColumn, type MigrationFile } from './files';
import { quoteIdent } from './session';

export interface SqlStatement {
  /** 0-based index in the file. */
  readonly index: number;
  /** The statement text as sent to the server (without the trailing semicolon). */
  readonly text: string;
  /** String offset of the statement's first token in the file. */
  readonly start: number;
  readonly line: number;
  readonly column: number;
  /** The parse-tree node name, e.g. CreateStmt, UpdateStmt. */
  readonly nodeType: string;
  /**
   * The tables a DML statement writes or reads (its target, FROM/USING, sub-queries), as quoted
   * SQL names (schema-qualified when written so): `"public"."Document"`, ready for to_regclass.
   */
  readonly dmlTargets: readonly string[];
  /** Those of dmlTargets the statement writes (INSERT/UPDATE/DELETE/MERGE targets, also in WITH). */
  readonly dmlWrites: readonly string[];
}


export async function splitSql(text: string, file: string): Promise<SqlStatement[]> {
  await loadSqlParser();
  return splitSqlSync(text, file);
}

/** Needs loadSqlParser() to have resolved. */
export function splitSqlSync(text: string, file: string): SqlStatement[] {
  const bytes = Buffer.from(text, 'utf8');
  const toIndex = (byteOffset: number): number => bytes.subarray(0, byteOffset).toString('utf8').length;
  let tree: { stmts?: { stmt?: Record<string, unknown>; stmt_location?: number; stmt_len?: number }[] };
  try {
    tree = parseSync(text) as typeof tree;
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number; message?: string } }).sqlDetails;
    const pos = details?.cursorPosition !== undefined ? toIndex(Math.max(0, details.cursorPosition)) : 0;
    const lc = lineColumn(text, pos);
    const psql = /^\s*\\/m.test(text) ? ' (psql meta-commands such as \\connect or \\restrict are not SQL; remove them)' : '';
    throw new InputError(`SQL syntax error: ${details?.message ?? (e as Error).message}${psql}`, { file, line: lc.line, column: lc.column });
  }
  const out: SqlStatement[] = [];
  for (const s of tree.stmts ?? []) {
    const startByte = s.stmt_location ?? 0;
    const endByte = s.stmt_len ? startByte + s.stmt_len : bytes.length;
    const rawStart = toIndex(startByte);
    const raw = text.slice(rawStart, toIndex(endByte));
    const lead = leadingTrivia(raw);
    const body = raw.slice(lead).replace(/;\s*$/, '');
    if (body.trim() === '') continue;
    const start = rawStart + lead;
    const lc = lineColumn(text, start);
    const node = s.stmt ?? {};
    const nodeType = Object.keys(node)[0] ?? 'Unknown';
    out.push({ index: out.length, text: body, start, line: lc.line, column: lc.column, nodeType, ...dmlTables(nodeType, node[nodeType]) });
  }
  return out;
}

/** Length of the whitespace and comments before the first token. */
function leadingTrivia(s: string): number {
  let i = 0;
  for (;;) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (s.startsWith('--', i)) {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl + 1;
    } else if (s.startsWith('/*', i)) {
      const end = s.indexOf('*/', i + 2);
      i = end < 0 ? s.length : end + 2;
    } else return i;
  }
}

interface RangeVar {
  relname?: string;
  schemaname?: string;
}

/**
 * Every table a DML statement reads or writes (its target and the tables in its FROM/USING/
 * sub-queries), and which of them it writes: a statement's target is its `relation`, what it
 * reads a RangeVar.
 */
function dmlTables(nodeType: string, node: unknown): { dmlTargets: string[]; dmlWrites: string[] } {
  if (!['UpdateStmt', 'DeleteStmt', 'InsertStmt', 'MergeStmt'].includes(nodeType)) return { dmlTargets: [], dmlWrites: [] };
  const found = new Set<string>();
  const written = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      if ((k === 'RangeVar' || k === 'relation') && child && typeof child === 'object' && (child as RangeVar).relname) {
        const r = child as RangeVar;
        // Quoted as the parser resolved them: to_regclass would fold an unquoted "Document" to document.
        const name = r.schemaname ? `${quoteIdent(r.schemaname)}.${quoteIdent(r.relname!)}` : quoteIdent(r.relname!);
        found.add(name);
        if (k === 'relation') written.add(name);
      }
      walk(child);
    }
  };
  walk(node);
  return { dmlTargets: [...found], dmlWrites: [...written] };
}

/** Position of a server error inside the file, from the statement and the error's 1-based position. */
export function errorLocation(file: MigrationFile | { path: string; text: string }, stmt: SqlStatement, position?: number): { file: string; line: number; column: number } {
  const offset = position && position > 0 ? stmt.start + position - 1 : stmt.start;
  const lc = lineColumn(file.text, offset);
  return { file: file.path, line: lc.line, column: lc.column };
}
