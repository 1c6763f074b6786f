// Analysis shared by the data rules: does an assignment change the row again on a second run,
// and does a WHERE clause stop matching once the first run has written its values?
import { bodyOf, funcName, isConstant, isVolatile, kindOf, names, rangeVars, relKey, some, walk, type PgNode } from './ast';

/** Functions f with f(f(x)) = f(x) (for fixed other arguments): applying them again changes nothing. */
const IDEMPOTENT_FUNCTIONS = new Set([
  'lower', 'upper', 'initcap', 'trim', 'btrim', 'ltrim', 'rtrim', 'coalesce', 'nullif', 'greatest', 'least', 'abs', 'round',
  'floor', 'ceil', 'ceiling', 'trunc', 'date_trunc', 'jsonb_set', 'jsonb_strip_nulls', 'json_strip_nulls', 'array_remove',
  'regexp_replace', 'replace', 'left', 'substring', 'substr', 'unaccent', 'normalize', 'to_timestamp', 'date', 'translate',
  'array_sort', 'jsonb_set_lax', 'sign',
]);

/** Operators that combine a value with something else, so applying them again moves the value again. */
const ACCUMULATING_OPS = new Set(['+', '-', '*', '/', '%', '^', '||', '#-', '-']);

export interface TargetTable {
  /** Names a column reference may be qualified with to mean the target row: the table, its alias. */
  readonly qualifiers: ReadonlySet<string>;
}

export function targetOf(relation: PgNode): TargetTable {
  const q = new Set<string>();
  if (relation?.relname) q.add(relation.relname);
  if (relation?.alias?.aliasname) q.add(relation.alias.aliasname);
  return { qualifiers: q };
}

/** The target-row column a ColumnRef names, or undefined when it names another table's column. */
function selfColumn(ref: PgNode, target: TargetTable, excludedIsOther: boolean): string | undefined {
  const f = names(ref.fields);
  if (f.length === 0) return undefined;
  if (f.length === 1) return f[0];
  const q = f[f.length - 2]!;
  if (excludedIsOther && q.toLowerCase() === 'excluded') return undefined;
  return target.qualifiers.has(q) ? f[f.length - 1] : undefined;
}

/**
 * Why `SET col = expr` writes something different on a second run, or undefined when it writes
 * the same value: a volatile function, the column combined with something (col + 1), another
 * assigned column (a swap), NOT col.
 */
export function assignmentChanges(col: string, expr: PgNode, assigned: ReadonlySet<string>, target: TargetTable, excludedIsOther = false): string | undefined {
  if (isVolatile(expr)) return 'it writes a new time, random value or sequence number each run';
  let reason: string | undefined;
  const visit = (node: PgNode, accumulating: boolean): void => {
    if (reason || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n, accumulating);
      return;
    }
    const k = kindOf(node);
    if (!k) {
      for (const v of Object.values(node)) visit(v, accumulating);
      return;
    }
    const b = node[k];
    switch (k) {
      case 'ColumnRef': {
        const name = selfColumn(b, target, excludedIsOther);
        if (name === undefined || !assigned.has(name)) return;
        if (name !== col) reason = `it reads ${name}, which the same statement changes`;
        else if (accumulating) reason = `it computes ${col} from its own current value`;
        return;
      }
      case 'A_Expr': {
        const op = names(b.name)[0] ?? '';
        const acc = accumulating || (b.kind === 'AEXPR_OP' && ACCUMULATING_OPS.has(op));
        // Comparisons produce a boolean from the value; they do not carry the value forward.
        const comparison = b.kind === 'AEXPR_OP' && ['=', '<>', '!=', '<', '>', '<=', '>='].includes(op);
        if (comparison) return;
        visit(b.lexpr, acc);
        visit(b.rexpr, acc);
        return;
      }
      case 'BoolExpr':
        visit(b.args, accumulating || b.boolop === 'NOT_EXPR');
        return;
      case 'FuncCall':
        visit(b.args, accumulating || !IDEMPOTENT_FUNCTIONS.has(funcName(b)));
        return;
      case 'CaseExpr':
        // The WHEN conditions only choose; the results carry values forward.
        for (const w of b.args ?? []) visit(bodyOf(w, 'CaseWhen')?.result, accumulating);
        visit(b.defresult, accumulating);
        return;
      case 'SubLink':
        visit(b.subselect, true);
        return;
      default:
        for (const v of Object.values(b)) visit(v, accumulating);
    }
  };
  visit(expr, false);
  return reason;
}

/** The value a SET assigns: a constant (with its JS value when simple), or a volatile non-null value. */
type Assigned = { kind: 'const'; value: unknown } | { kind: 'nonnull' } | { kind: 'other' };

function constValue(expr: PgNode): unknown {
  const cast = bodyOf(expr, 'TypeCast');
  if (cast) return constValue(cast.arg);
  const c = bodyOf(expr, 'A_Const');
  if (!c) return undefined;
  if (c.isnull) return null;
  if (c.ival) return c.ival.ival ?? 0;
  if (c.fval) return Number(c.fval.fval);
  if (c.sval) return c.sval.sval ?? '';
  if (c.boolval) return c.boolval.boolval ?? false;
  return undefined;
}

function assignedValue(expr: PgNode): Assigned {
  if (isConstant(expr)) {
    const v = constValue(expr);
    return v === undefined ? { kind: 'other' } : { kind: 'const', value: v };
  }
  if (isVolatile(expr) && !some(expr, (k) => k === 'ColumnRef' || k === 'CoalesceExpr' || k === 'CaseExpr')) return { kind: 'nonnull' };
  return { kind: 'other' };
}

function compare(op: string, a: unknown, b: unknown): boolean | undefined {
  if (a === null || b === null || a === undefined || b === undefined) return undefined;
  const x = typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && !Number.isNaN(Number(b)) ? Number(b) : b;
  const y = typeof b === 'number' && typeof a === 'string' && a.trim() !== '' && !Number.isNaN(Number(a)) ? Number(a) : a;
  const l = y as number | string | boolean;
  const r = x as number | string | boolean;
  switch (op) {
    case '=': return l === r;
    case '<>': case '!=': return l !== r;
    case '<': return l < r;
    case '<=': return l <= r;
    case '>': return l > r;
    case '>=': return l >= r;
    default: return undefined;
  }
}

/**
 * Evaluates a WHERE conjunct on a row the first run has already updated, knowing only the
 * assigned columns. Returns false when such a row no longer matches (the conjunct guards the
 * update), true or undefined otherwise.
 */
function evalOnUpdatedRow(node: PgNode, values: ReadonlyMap<string, Assigned>, target: TargetTable): boolean | undefined {
  const colOf = (n: PgNode): string | undefined => {
    const ref = bodyOf(bodyOf(n, 'TypeCast')?.arg ?? n, 'ColumnRef');
    return ref ? selfColumn(ref, target, false) : undefined;
  };
  const valueOf = (n: PgNode): Assigned | undefined => {
    const c = colOf(n);
    if (c !== undefined) return values.get(c);
    const v = constValue(n);
    return v === undefined ? undefined : { kind: 'const', value: v };
  };
  const k = kindOf(node);
  const b = k ? node[k] : undefined;
  if (!b) return undefined;
  switch (k) {
    case 'NullTest': {
      const v = valueOf(b.arg);
      if (!v || v.kind === 'other') return undefined;
      const isNull = v.kind === 'const' ? v.value === null : false;
      return b.nulltesttype === 'IS_NULL' ? isNull : !isNull;
    }
    case 'BooleanTest': {
      const v = valueOf(b.arg);
      if (v?.kind !== 'const' || typeof v.value !== 'boolean') return undefined;
      switch (b.booltesttype) {
        case 'IS_TRUE': return v.value;
        case 'IS_NOT_TRUE': return !v.value;
        case 'IS_FALSE': return !v.value;
        case 'IS_NOT_FALSE': return v.value;
        default: return undefined;
      }
    }
    case 'BoolExpr': {
      const parts = (b.args ?? []).map((a: PgNode) => evalOnUpdatedRow(a, values, target));
      if (b.boolop === 'NOT_EXPR') {
        const col = colOf(b.args?.[0]);
        if (col !== undefined) {
          const v = values.get(col);
          return v?.kind === 'const' && typeof v.value === 'boolean' ? !v.value : undefined;
        }
        return parts[0] === undefined ? undefined : !parts[0];
      }
      if (b.boolop === 'AND_EXPR') return parts.some((p: boolean | undefined) => p === false) ? false : undefined;
      if (b.boolop === 'OR_EXPR') return parts.every((p: boolean | undefined) => p === false) ? false : undefined;
      return undefined;
    }
    case 'ColumnRef': {
      const c = selfColumn(b, target, false);
      const v = c !== undefined ? values.get(c) : undefined;
      return v?.kind === 'const' && typeof v.value === 'boolean' ? v.value : undefined;
    }
    case 'A_Expr': {
      const l = valueOf(b.lexpr);
      const op = names(b.name)[0] ?? '';
      if (b.kind === 'AEXPR_IN') {
        if (l?.kind !== 'const') return undefined;
        const list: PgNode[] = Array.isArray(b.rexpr) ? b.rexpr : [];
        const vals = list.map(constValue);
        if (vals.some((v) => v === undefined)) return undefined;
        const inList = vals.some((v) => compare('=', l.value, v) === true);
        return op === '=' ? inList : !inList;
      }
      const r = valueOf(b.rexpr);
      if (b.kind === 'AEXPR_DISTINCT' || b.kind === 'AEXPR_NOT_DISTINCT') {
        if (l?.kind !== 'const' || r?.kind !== 'const') return undefined;
        const same = l.value === r.value;
        return b.kind === 'AEXPR_DISTINCT' ? !same : same;
      }
      if (b.kind !== 'AEXPR_OP' || l?.kind !== 'const' || r?.kind !== 'const') return undefined;
      // Only a comparison that mentions an assigned column says anything about updated rows.
      if (colOf(b.lexpr) === undefined && colOf(b.rexpr) === undefined) return undefined;
      return compare(op, l.value, r.value);
    }
    default:
      return undefined;
  }
}

/** Whether the WHERE clause no longer matches rows the first run updated. */
export function whereExcludesUpdated(where: PgNode, targets: readonly PgNode[], target: TargetTable): boolean {
  if (!where) return false;
  const values = new Map<string, Assigned>();
  for (const t of targets) {
    const rt = bodyOf(t, 'ResTarget');
    if (rt?.name) values.set(rt.name, assignedValue(rt.val));
  }
  return evalOnUpdatedRow(where, values, target) === false;
}

/**
 * Whether a WHERE clause (of UPDATE, or of INSERT … SELECT) has a NOT EXISTS / NOT IN subquery
 * over one of `tables`, the marker-row and anti-join idioms.
 */
export function hasAntiJoinOn(root: PgNode, tables: ReadonlySet<string>): boolean {
  let found = false;
  walk(root, (k, b) => {
    if (found) return false;
    if (k === 'BoolExpr' && b.boolop === 'NOT_EXPR') {
      for (const a of b.args ?? []) {
        const s = bodyOf(a, 'SubLink');
        if (s && rangeVars(s.subselect).some((r) => tables.has(`rel:${relKey(r)}`))) found = true;
      }
    }
    if (k === 'SelectStmt' && b.op === 'SETOP_EXCEPT' && rangeVars(b.rarg).some((r) => tables.has(`rel:${relKey(r)}`))) found = true;
    if (k === 'JoinExpr' && (b.jointype === 'JOIN_LEFT' || b.jointype === 'JOIN_RIGHT') && rangeVars(b).some((r) => tables.has(`rel:${relKey(r)}`))) found = true;
    return undefined;
  });
  return found;
}
