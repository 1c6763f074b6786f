// PL/pgSQL loops that repair rows one by one:
//
//   FOR r IN SELECT * FROM jobs WHERE state = 'running' LOOP
//     IF … THEN
//       UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.id;
//       UPDATE jobs SET finished_at = (SELECT max(at) FROM steps WHERE job = r.id) WHERE id = r.id;
//     END IF;
//   END LOOP;
//
// The first UPDATE writes values that make the loop's own filter false for the row it visits
// (and for every row with its key). On a second run the loop no longer visits those rows, so the
// UPDATEs from that one onwards in the same statement list cannot run on them again: they are as
// protected as statements in a branch that checks the current state. The reasoning holds only when
// nothing else in the loop can make rows match the filter again, which is checked first.
import { isVolatile, names, some, walk, bodyOf, type PgNode } from './ast';
import { targetOf, whereExcludesUpdated } from './dml';
import { sqlParser } from './parse';

export interface RowLoop {
  /** The record variable (lower case). */
  readonly variable: string;
  readonly relation: PgNode;
  readonly filter: PgNode;
  /** The SELECT list, which decides what rec.field holds. */
  readonly targets: readonly PgNode[];
}

/** Whether rec.field holds the visited row's own column of that name: SELECT * alone, or the column selected under its name once. */
function fieldIsOwnColumn(loop: RowLoop, field: string): boolean {
  const outputs = loop.targets.map((t) => {
    const rt = bodyOf(t, 'ResTarget');
    const ref = bodyOf(rt?.val, 'ColumnRef');
    const f = names(ref?.fields);
    const star = (ref?.fields ?? []).some((x: PgNode) => bodyOf(x, 'A_Star') !== undefined);
    return { star, name: rt?.name ?? (ref && !star ? f[f.length - 1] : undefined), column: ref && !star ? f[f.length - 1] : undefined };
  });
  if (outputs.length === 1 && outputs[0]!.star) return true;
  const named = outputs.filter((o) => o.star || o.name === field);
  return named.length === 1 && named[0]!.column === field;
}

function parseOne(sql: string, kind: string): PgNode | undefined {
  try {
    const stmts = sqlParser().parseSync(sql).stmts ?? [];
    return stmts.length === 1 ? bodyOf(stmts[0]?.stmt, kind) : undefined;
  } catch {
    return undefined;
  }
}

function sameRelation(a: PgNode, b: PgNode): boolean {
  return a?.relname === b?.relname && (a?.schemaname ?? undefined) === (b?.schemaname ?? undefined);
}

/** Column names the filter reads from the loop's table. */
function filterColumns(filter: PgNode): Set<string> {
  const out = new Set<string>();
  walk(filter, (k, b) => {
    if (k === 'ColumnRef') {
      const f = names(b.fields);
      if (f.length) out.add(f[f.length - 1]!);
    }
    return undefined;
  });
  return out;
}

/**
 * The loop `FOR rec IN SELECT … FROM table WHERE filter`, when its filter depends only on the
 * row (no sub-query, no volatile function, no PL/pgSQL variable), it visits every matching row
 * (no LIMIT, grouping or DISTINCT), and its body cannot make rows match again: no dynamic SQL,
 * no INSERT or MERGE into the table, and no UPDATE of a column the filter reads unless that
 * UPDATE itself makes the filter false.
 */
export function rowLoop(fors: PgNode, variables: ReadonlySet<string>): RowLoop | undefined {
  const variable = bodyOf(fors?.var, 'PLpgSQL_rec')?.refname;
  const query = bodyOf(fors?.query, 'PLpgSQL_expr')?.query;
  if (typeof variable !== 'string' || typeof query !== 'string') return undefined;
  const sel = parseOne(query, 'SelectStmt');
  if (!sel || (sel.op && sel.op !== 'SETOP_NONE') || sel.withClause || sel.limitCount || sel.limitOffset || sel.groupClause || sel.havingClause || sel.distinctClause) return undefined;
  if ((sel.fromClause ?? []).length !== 1) return undefined;
  const relation = bodyOf(sel.fromClause[0], 'RangeVar');
  const filter = sel.whereClause;
  if (!relation || !filter || isVolatile(filter)) return undefined;
  const qualifiers = targetOf(relation).qualifiers;
  const rowOnly = !some(filter, (k, b) => {
    if (k === 'SubLink' || k === 'ParamRef') return true;
    if (k !== 'ColumnRef') return false;
    const f = names(b.fields);
    if (f.length === 1) return variables.has(f[0]!.toLowerCase());
    return f.length !== 2 || !qualifiers.has(f[0]!);
  });
  if (!rowOnly) return undefined;
  const loop: RowLoop = { variable: variable.toLowerCase(), relation, filter, targets: sel.targetList ?? [] };
  const read = filterColumns(filter);
  let safe = true;
  walk(fors.body, (k, b) => {
    if (!safe) return false;
    if (k === 'PLpgSQL_stmt_dynexecute' || k === 'PLpgSQL_stmt_dynfors') safe = false;
    if (k !== 'PLpgSQL_stmt_execsql') return undefined;
    const sql = bodyOf(b.sqlstmt, 'PLpgSQL_expr')?.query;
    if (typeof sql !== 'string') return undefined;
    let tree: PgNode;
    try {
      tree = sqlParser().parseSync(sql);
    } catch {
      safe = false;
      return false;
    }
    walk(tree, (kk, bb) => {
      if ((kk === 'InsertStmt' || kk === 'MergeStmt') && sameRelation(bb.relation, relation)) safe = false;
      if (kk === 'UpdateStmt' && sameRelation(bb.relation, relation)) {
        const writesFilter = (bb.targetList ?? []).some((t: PgNode) => read.has(String(bodyOf(t, 'ResTarget')?.name)));
        if (writesFilter && !marks(bb, loop)) safe = false;
      }
      return undefined;
    });
    return undefined;
  });
  return safe ? loop : undefined;
}

/** `col = rec.col` (either way round): the row the loop visits, and every row with its key. */
function visitsOwnRow(where: PgNode, loop: RowLoop, relation: PgNode): boolean {
  const e = bodyOf(where, 'A_Expr');
  if (!e || e.kind !== 'AEXPR_OP' || names(e.name)[0] !== '=') return false;
  const qualifiers = targetOf(relation).qualifiers;
  const own = (n: PgNode): string | undefined => {
    const f = names(bodyOf(n, 'ColumnRef')?.fields);
    if (f.length === 1) return f[0];
    return f.length === 2 && qualifiers.has(f[0]!) ? f[1] : undefined;
  };
  const field = (n: PgNode): string | undefined => {
    const f = names(bodyOf(n, 'ColumnRef')?.fields);
    return f.length === 2 && f[0]!.toLowerCase() === loop.variable ? f[1] : undefined;
  };
  const a = own(e.lexpr);
  const b = field(e.rexpr);
  if (a !== undefined && a === b) return fieldIsOwnColumn(loop, a);
  const c = own(e.rexpr);
  const d = field(e.lexpr);
  return c !== undefined && c === d && fieldIsOwnColumn(loop, c);
}

/** Whether an UPDATE (parsed) updates the loop's current row with values that make the loop's filter false. */
function marks(update: PgNode, loop: RowLoop): boolean {
  if (!sameRelation(update.relation, loop.relation) || (update.fromClause ?? []).length || update.withClause) return false;
  if (!visitsOwnRow(update.whereClause, loop, update.relation)) return false;
  return whereExcludesUpdated(loop.filter, update.targetList ?? [], targetOf(loop.relation));
}

/** Whether the SQL text of a loop body statement is an UPDATE that takes its row out of one of the enclosing loops. */
export function marksLoopRow(sql: string, loops: readonly RowLoop[]): boolean {
  if (!loops.length || !/^\s*update\b/i.test(sql)) return false;
  const update = parseOne(sql, 'UpdateStmt');
  return update !== undefined && loops.some((l) => marks(update, l));
}
