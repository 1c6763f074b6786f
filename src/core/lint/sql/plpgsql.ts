// Looks inside `DO $$ … $$` blocks. The body is parsed by PostgreSQL's PL/pgSQL parser; each SQL
// statement it runs is parsed again with the SQL parser and placed at its exact position in the
// file, together with what guards it: an IF/CASE branch whose condition checks the current state
// (EXISTS, the catalog, FOUND, a variable filled from a query), or an EXCEPTION handler and the
// conditions it catches. SQL run with EXECUTE is understood when its text is a literal, a
// format() with a literal template, or a concatenation with literal parts.
import type { CommentSpan } from '../types';
import { bodyOf, funcName, names, some, type PgNode } from './ast';
import { ByteOffsets } from './bytes';
import { parsePiece, sqlParser, type BlockContext, type SqlStatement, type SqlStmt } from './parse';
import { marksLoopRow, rowLoop, type RowLoop } from './rowLoops';

type Inner = SqlStmt;

/** SQLSTATE codes written as `WHEN SQLSTATE '42P07'` mean the same as their condition names. */
const SQLSTATE_NAMES: Record<string, string> = {
  '42P07': 'duplicate_table', '42710': 'duplicate_object', '42701': 'duplicate_column', '42P06': 'duplicate_schema',
  '42723': 'duplicate_function', '42P04': 'duplicate_database', '42712': 'duplicate_alias', '23505': 'unique_violation',
  '42P01': 'undefined_table', '42703': 'undefined_column', '42704': 'undefined_object', '42883': 'undefined_function',
  '3F000': 'invalid_schema_name', '42P16': 'invalid_table_definition', '55000': 'object_not_in_prerequisite_state',
};

export function analyzeDoBlock(text: string, stmt: SqlStatement): { statements: Inner[]; comments: CommentSpan[] } {
  const empty = { statements: [], comments: [] };
  let body: string | undefined;
  let bodyAt: number | undefined;
  let language = 'plpgsql';
  for (const arg of stmt.node.args ?? []) {
    const d = bodyOf(arg, 'DefElem');
    if (d?.defname === 'as') {
      body = bodyOf(d.arg, 'String')?.sval;
      bodyAt = d.location;
    }
    if (d?.defname === 'language') language = String(bodyOf(d.arg, 'String')?.sval ?? '').toLowerCase();
  }
  if (body === undefined || language !== 'plpgsql') return empty;

  // Find where the body's characters sit in the file: inside the string constant of the DO,
  // which the parser says starts at the DefElem's location. When the constant's text differs
  // from its value (a quote written twice, E'…' escapes), the scanner's tokens say.
  let contentStart: number | undefined;
  if (bodyAt !== undefined && !stmt.dynamic) {
    const at = stmt.at(bodyAt);
    const open = /^(\$[A-Za-z_0-9]*\$|')/.exec(text.slice(at, at + 64))?.[1];
    const close = open === "'" ? "'" : open;
    if (open && text.startsWith(body, at + open.length) && text.startsWith(close!, at + open.length + body.length)) contentStart = at + open.length;
  }
  for (const t of contentStart === undefined ? stmt.tokens : []) {
    if (t.keyword || t.text.length < 2) continue;
    const dollar = /^(\$[A-Za-z_0-9]*\$)/.exec(t.text);
    if (dollar && text.slice(t.start + dollar[1]!.length, t.end - dollar[1]!.length) === body) {
      contentStart = t.start + dollar[1]!.length;
      break;
    }
    if (t.text.startsWith("'") && text.slice(t.start + 1, t.end - 1) === body) {
      contentStart = t.start + 1;
      break;
    }
  }

  let tag = '$gl_do$';
  for (let n = 0; body.includes(tag); n++) tag = `$gl_do${n}$`;
  let tree: PgNode;
  try {
    tree = sqlParser().parsePlPgSQLSync(`CREATE FUNCTION pg_temp.greenlight_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}`);
  } catch {
    // PostgreSQL rejects such a block when it runs; the linter cannot see into it, so it stays opaque.
    return empty;
  }
  const fn = bodyOf(tree?.plpgsql_funcs?.[0], 'PLpgSQL_function');
  if (!fn) return empty;

  const lineStarts = [0];
  for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const whole = { start: stmt.start, end: stmt.end };
  const comments: CommentSpan[] = [];
  if (contentStart !== undefined && (body.includes('--') || body.includes('/*'))) {
    try {
      const bytes = new ByteOffsets(body);
      for (const t of sqlParser().scanSync(body).tokens ?? []) {
        if (t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT') continue;
        const raw = t.text;
        comments.push({ start: contentStart + bytes.toIndex(t.start), end: contentStart + bytes.toIndex(t.end), body: raw.startsWith('--') ? raw.slice(2) : raw.slice(2, raw.endsWith('*/') ? -2 : undefined) });
      }
    } catch {
      // Comments inside the block only matter for suppressions; without them nothing is suppressed.
    }
  }

  /** Finds `query` (verbatim, except INTO clauses blanked by PL/pgSQL) in the body from line `lineno`. */
  const locate = (query: string, lineno: number | undefined): number | undefined => {
    const from = lineStarts[Math.max(0, Math.min((lineno ?? 1) - 1, lineStarts.length - 1))]!;
    const lead = /^\s*/.exec(query)![0].length;
    const head = query.slice(lead).split(/\s/, 1)[0] ?? '';
    if (!head) return undefined;
    for (let at = body.indexOf(head, from), tries = 0; at >= 0 && tries < 50; at = body.indexOf(head, at + 1), tries++) {
      const s = at - lead;
      if (s < 0) continue;
      let ok = true;
      for (let k = 0; k < query.length && ok; k++) if (query[k] !== body[s + k] && query[k] !== ' ') ok = false;
      if (ok) return s;
    }
    return undefined;
  };

  // Statements are collected in execution order first and parsed afterwards: the ones found
  // verbatim in the body are parsed together in one call (a copy of the body with everything
  // else blanked keeps every offset), which is much cheaper than one parser call each.
  type Entry = { kind: 'sql'; query: string; rel: number | undefined; ctx: BlockContext } | { kind: 'done'; stmts: Inner[] };
  const entries: Entry[] = [];
  const stateVars = new Set<string>(['found']);

  const addSql = (query: string, lineno: number | undefined, ctx: BlockContext): void => {
    const rel = contentStart !== undefined ? locate(query, lineno) : undefined;
    entries.push({ kind: 'sql', query, rel, ctx });
  };

  const parseOne = (query: string, rel: number | undefined, ctx: BlockContext): Inner[] => {
    const stmts: Inner[] = [];
    try {
      if (rel !== undefined) {
        for (const s of parsePiece(query, contentStart! + rel).statements) {
          s.block = ctx;
          stmts.push(s);
        }
      } else {
        for (const s of parsePiece(query, 0).statements) stmts.push(relocate(s, whole, ctx, false));
      }
    } catch {
      // PostgreSQL reports SQL errors inside PL/pgSQL only when the block runs; nothing to lint here.
    }
    return stmts;
  };

  const finish = (): Inner[] => {
    const located = entries.filter((e): e is Extract<Entry, { kind: 'sql' }> => e.kind === 'sql' && e.rel !== undefined);
    const batched = new Map<Entry, Inner[]>();
    if (located.length > 1) {
      const chars = new Array<string>(body.length).fill(' ');
      for (let i = 0; i < body.length; i++) if (body[i] === '\n') chars[i] = '\n';
      let ok = true;
      for (const e of located) {
        const end = e.rel! + e.query.length;
        if (body[end] !== ';') ok = false;
        for (let k = 0; k < e.query.length; k++) chars[e.rel! + k] = e.query[k]!;
        chars[end] = ';';
      }
      if (ok) {
        try {
          const all = parsePiece(chars.join(''), contentStart!).statements;
          for (const e of located) {
            const from = contentStart! + e.rel!;
            const to = from + e.query.length;
            const mine = all.filter((s) => s.start >= from && s.start < to);
            for (const s of mine) s.block = e.ctx;
            batched.set(e, mine);
          }
        } catch {
          batched.clear();
        }
      }
    }
    const out: Inner[] = [];
    for (const e of entries) {
      if (e.kind === 'done') out.push(...e.stmts);
      else out.push(...(batched.get(e) ?? parseOne(e.query, e.rel, e.ctx)));
    }
    return out;
  };

  const addDynamic = (expr: string, lineno: number | undefined, ctx: BlockContext): void => {
    const sql = dynamicText(expr);
    if (!sql) return;
    let span = whole;
    if (contentStart !== undefined) {
      const from = lineStarts[Math.max(0, Math.min((lineno ?? 1) - 1, lineStarts.length - 1))]!;
      const m = /EXECUTE\b[^;]*/i.exec(body.slice(from));
      if (m) span = { start: contentStart + from + m.index, end: contentStart + from + m.index + m[0].trimEnd().length };
    }
    try {
      entries.push({ kind: 'done', stmts: parsePiece(sql, 0).statements.map((s) => relocate(s, span, ctx, true)) });
    } catch {
      // Text built at run time that does not parse with placeholders is not linted.
    }
  };

  const isStateCheck = (cond: string | undefined): boolean => {
    if (!cond) return false;
    // Most conditions that are not state checks say so without the parser; the parser then
    // confirms the rest (so the words inside a string literal do not count).
    const words = cond.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? [];
    if (!/\b(select|exists|to_reg|pg_|has_)/i.test(cond) && !words.some((w) => stateVars.has(w))) return false;
    let tree: PgNode;
    try {
      tree = sqlParser().parseSync(`SELECT ${cond}`);
    } catch {
      return false;
    }
    return some(tree, (k, b) => {
      if (k === 'SubLink') return true;
      if (k === 'FuncCall') return /^(to_reg|pg_|has_)/.test(funcName(b)) || funcName(b) === 'exists';
      if (k === 'ColumnRef') return names(b.fields).some((n) => stateVars.has(n.toLowerCase()));
      return false;
    });
  };

  const readsCatalog = (query: string | undefined): boolean => {
    if (!query || !/\b(pg_|information_schema)/i.test(query)) return false;
    let tree: PgNode;
    try {
      tree = sqlParser().parseSync(query);
    } catch {
      return false;
    }
    return some(tree, (k, b) => k === 'RangeVar' && (/^pg_/.test(String(b.relname)) || b.schemaname === 'information_schema' || b.schemaname === 'pg_catalog'));
  };

  const targetNames = (target: PgNode): string[] => {
    const row = bodyOf(target, 'PLpgSQL_row');
    if (row) return (row.fields ?? []).map((f: PgNode) => String(f.name).toLowerCase());
    const v = bodyOf(target, 'PLpgSQL_var') ?? bodyOf(target, 'PLpgSQL_rec');
    return v?.refname ? [String(v.refname).toLowerCase()] : [];
  };

  const exprText = (e: PgNode): string | undefined => bodyOf(e, 'PLpgSQL_expr')?.query;

  // FOR loops over the rows of one table whose filter an UPDATE in the body can make false (./rowLoops.ts).
  const variables = new Set<string>();
  for (const d of fn.datums ?? []) {
    const name = (bodyOf(d, 'PLpgSQL_var') ?? bodyOf(d, 'PLpgSQL_rec') ?? bodyOf(d, 'PLpgSQL_row'))?.refname;
    if (typeof name === 'string') variables.add(name.toLowerCase());
  }
  const loops: RowLoop[] = [];

  const visitList = (list: PgNode, ctx: BlockContext): void => {
    const items: PgNode[] = Array.isArray(list) ? list : [];
    // A list with an UPDATE that takes the visited row out of its loop's filter does not run again
    // for that row: from that UPDATE on, and from the list's start when nothing before it can
    // leave the list early (EXIT, CONTINUE, RETURN, RAISE).
    let from = items.length;
    if (!ctx.conditional && loops.length) {
      const m = items.findIndex((s) => marksLoopRow(exprText(bodyOf(s, 'PLpgSQL_stmt_execsql')?.sqlstmt) ?? '', loops));
      if (m >= 0) from = some(items.slice(0, m), (k) => k === 'PLpgSQL_stmt_exit' || k === 'PLpgSQL_stmt_return' || k === 'PLpgSQL_stmt_raise') ? m : 0;
    }
    items.forEach((s, i) => visit(s, i >= from ? { ...ctx, conditional: true } : ctx));
  };

  const visit = (node: PgNode, ctx: BlockContext): void => {
    const kind = node && typeof node === 'object' ? Object.keys(node)[0] : undefined;
    const b = kind ? node[kind] : undefined;
    if (!b) return;
    switch (kind) {
      case 'PLpgSQL_stmt_block': {
        let inner = ctx;
        const handlers = bodyOf(b.exceptions, 'PLpgSQL_exception_block')?.exc_list ?? [];
        if (handlers.length) {
          const caught = new Set(ctx.caught);
          for (const h of handlers) {
            for (const c of bodyOf(h, 'PLpgSQL_exception')?.conditions ?? []) {
              const name = String(bodyOf(c, 'PLpgSQL_condition')?.condname ?? '').toLowerCase();
              caught.add(SQLSTATE_NAMES[name.toUpperCase()] ?? name);
            }
          }
          inner = { conditional: ctx.conditional, caught };
        }
        visitList(b.body, inner);
        for (const h of handlers) visitList(bodyOf(h, 'PLpgSQL_exception')?.action, ctx);
        return;
      }
      case 'PLpgSQL_stmt_if': {
        const guarded = isStateCheck(exprText(b.cond)) || (b.elsif_list ?? []).some((e: PgNode) => isStateCheck(exprText(bodyOf(e, 'PLpgSQL_if_elsif')?.cond)));
        const inner = guarded ? { ...ctx, conditional: true } : ctx;
        visitList(b.then_body, inner);
        for (const e of b.elsif_list ?? []) visitList(bodyOf(e, 'PLpgSQL_if_elsif')?.stmts, inner);
        visitList(b.else_body, inner);
        return;
      }
      case 'PLpgSQL_stmt_case': {
        const whens = b.case_when_list ?? [];
        const guarded = isStateCheck(exprText(b.t_expr)) || whens.some((w: PgNode) => isStateCheck(exprText(bodyOf(w, 'PLpgSQL_case_when')?.expr)));
        const inner = guarded ? { ...ctx, conditional: true } : ctx;
        for (const w of whens) visitList(bodyOf(w, 'PLpgSQL_case_when')?.stmts, inner);
        visitList(b.else_stmts, inner);
        return;
      }
      case 'PLpgSQL_stmt_while': {
        const inner = isStateCheck(exprText(b.cond)) ? { ...ctx, conditional: true } : ctx;
        visitList(b.body, inner);
        return;
      }
      case 'PLpgSQL_stmt_fors':
      case 'PLpgSQL_stmt_dynfors': {
        // FOR r IN SELECT … FROM pg_indexes (or another catalog) LOOP: the body runs only for
        // objects that exist now, so what it drops or alters is there by construction.
        const inner = readsCatalog(exprText(b.query)) ? { ...ctx, conditional: true } : ctx;
        const loop = kind === 'PLpgSQL_stmt_fors' && !inner.conditional ? rowLoop(b, variables) : undefined;
        if (loop) loops.push(loop);
        visitList(b.body, inner);
        if (loop) loops.pop();
        return;
      }
      case 'PLpgSQL_stmt_loop':
      case 'PLpgSQL_stmt_fori':
      case 'PLpgSQL_stmt_forc':
      case 'PLpgSQL_stmt_foreach_a':
        visitList(b.body, ctx);
        return;
      case 'PLpgSQL_stmt_execsql': {
        const q = exprText(b.sqlstmt);
        if (!q) return;
        if (b.into) for (const n of targetNames(b.target)) stateVars.add(n);
        addSql(q, b.lineno, ctx);
        return;
      }
      case 'PLpgSQL_stmt_assign': {
        const q = exprText(b.expr);
        const m = q ? /^\s*([A-Za-z_][A-Za-z_0-9]*)\s*:?=/.exec(q) : null;
        if (m && q && /\b(select|exists)\b/i.test(q)) stateVars.add(m[1]!.toLowerCase());
        return;
      }
      case 'PLpgSQL_stmt_getdiag':
        for (const item of b.diag_items ?? []) {
          const t = bodyOf(item, 'PLpgSQL_diag_item');
          if (t?.target !== undefined) stateVars.add('row_count');
        }
        return;
      case 'PLpgSQL_stmt_dynexecute': {
        const q = exprText(b.query);
        if (b.into) for (const n of targetNames(b.target)) stateVars.add(n);
        if (q) addDynamic(q, b.lineno, ctx);
        return;
      }
      default:
        return;
    }
  };

  visit(fn.action, { conditional: false, caught: new Set() });
  return { statements: finish(), comments };
}

/** Points a statement whose text is not in the file (or not findable) at a span that is. */
function relocate(s: SqlStmt, span: { start: number; end: number }, block: BlockContext, dynamic: boolean): SqlStmt {
  s.start = span.start;
  s.end = span.end;
  s.tokens = [];
  s.source = undefined;
  s.at = () => span.start;
  s.block = block;
  s.dynamic = dynamic;
  return s;
}

/**
 * The SQL text an EXECUTE runs, with placeholders for the parts only known at run time:
 * `'CREATE …'`, `format('ALTER TABLE %I …', t)`, `'ALTER TABLE ' || quote_ident(t) || ' …'`.
 */
export function dynamicText(expr: string): string | undefined {
  let tree: PgNode;
  try {
    tree = sqlParser().parseSync(`SELECT ${expr}`);
  } catch {
    return undefined;
  }
  const target = bodyOf(tree?.stmts?.[0]?.stmt, 'SelectStmt')?.targetList?.[0];
  const val = bodyOf(target, 'ResTarget')?.val;
  const render = (n: PgNode): string | undefined => {
    const c = bodyOf(n, 'A_Const');
    if (c) return c.sval?.sval ?? (c.ival ? String(c.ival.ival ?? 0) : undefined);
    const call = bodyOf(n, 'FuncCall');
    if (call && funcName(call) === 'format') {
      const template = bodyOf(call.args?.[0], 'A_Const')?.sval?.sval;
      if (typeof template !== 'string') return undefined;
      return template.replace(/%(\d+\$)?([IsL%])/g, (_m, _p, t: string) => (t === '%' ? '%' : t === 'L' ? "'%L'" : `"%${t}"`));
    }
    const op = bodyOf(n, 'A_Expr');
    if (op && names(op.name)[0] === '||') {
      const l = render(op.lexpr) ?? '"(expr)"';
      const r = render(op.rexpr) ?? '"(expr)"';
      return l + r;
    }
    return undefined;
  };
  return render(val);
}
