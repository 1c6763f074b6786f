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
type Assigned = ({ kind: 'const'; value: unknown } | { kind: 'nonnull' } | { kind: 'other' }) & { readonly expr?: PgNode };

/**
 * What is certain about the text of a value: its exact text, a prefix, a suffix, or pieces it
 * contains. `text` says the expression is of a text type for sure (an explicit cast, a text
 * function, a concatenation with a text operand); a bare literal adopts the type of what it meets.
 */
interface TextFacts {
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains: readonly string[];
  readonly text: boolean;
}

const TEXT_TYPES = new Set(['text', 'varchar']);

function castType(cast: PgNode): { name: string; modified: boolean; array: boolean } {
  const n = names(cast?.typeName?.names);
  return { name: (n[n.length - 1] ?? '').toLowerCase(), modified: (cast?.typeName?.typmods ?? []).length > 0, array: (cast?.typeName?.arrayBounds ?? []).length > 0 };
}

/** A JSON object key or string as json_build_object writes it: verbatim between quotes when nothing in it needs escaping. */
function jsonVerbatim(s: string): boolean {
  return !/["\\\u0000-\u001f]/.test(s);
}

/**
 * The text facts of an expression whose value is stored in a text-like column, or undefined when
 * nothing is certain. `self` names the column being assigned (known to be text-like, since the
 * filter applies LIKE to it without a cast): `self || '…'` is a text concatenation.
 */
function textFacts(expr: PgNode, isSelf: (ref: PgNode) => boolean): TextFacts | undefined {
  const k = kindOf(expr);
  const b = k ? expr[k] : undefined;
  if (!b) return undefined;
  switch (k) {
    case 'A_Const': {
      const s = b.sval?.sval;
      // A backslash means something else as bytea input; leave such literals alone.
      if (typeof s !== 'string' || s.includes('\\')) return undefined;
      return { exact: s, prefix: s, suffix: s, contains: [s], text: false };
    }
    case 'ColumnRef':
      return isSelf(b) ? { contains: [], text: true } : undefined;
    case 'TypeCast': {
      const t = castType(b);
      if (!TEXT_TYPES.has(t.name) || t.array) return undefined;
      const call = bodyOf(b.arg, 'FuncCall');
      const fn = call ? funcName(call) : '';
      if (fn === 'json_build_object' || fn === 'jsonb_build_object') {
        // Every key given as a plain literal appears, quoted, in the object's text (a NULL value is written as null).
        const args: PgNode[] = call.args ?? [];
        const keys: string[] = [];
        for (let i = 0; i < args.length; i += 2) {
          const key = bodyOf(args[i], 'A_Const')?.sval?.sval;
          if (typeof key === 'string' && jsonVerbatim(key)) keys.push(`"${key}"`);
        }
        return keys.length ? { contains: keys, text: true } : undefined;
      }
      const inner = textFacts(b.arg, isSelf);
      if (!inner) return { contains: [], text: true };
      // varchar(n) truncates an explicit cast: only the pieces that surely fit are kept.
      if (t.modified) return inner.text ? { contains: [], text: true } : undefined;
      return { ...inner, text: true };
    }
    case 'FuncCall': {
      if (funcName(b) !== 'concat') return undefined;
      // concat() skips NULL arguments; a literal argument is never NULL, so its text is there.
      const args: PgNode[] = b.args ?? [];
      const lits = args.map((a) => bodyOf(a, 'A_Const')?.sval?.sval);
      const first = lits[0];
      const last = lits[lits.length - 1];
      return {
        contains: lits.filter((x): x is string => typeof x === 'string'),
        prefix: typeof first === 'string' ? first : undefined,
        suffix: typeof last === 'string' ? last : undefined,
        text: true,
      };
    }
    case 'A_Expr': {
      if (b.kind !== 'AEXPR_OP' || names(b.name)[0] !== '||') return undefined;
      const l = textFacts(b.lexpr, isSelf);
      const r = textFacts(b.rexpr, isSelf);
      // Two literals concatenate as text; otherwise one side must be text for sure (an array,
      // jsonb or tsvector on the other side would make || something else).
      const bothLiterals = l?.exact !== undefined && r?.exact !== undefined && !l.text && !r.text;
      if (!l || !r || !(l.text || r.text || bothLiterals)) return undefined;
      return {
        exact: l.exact !== undefined && r.exact !== undefined ? l.exact + r.exact : undefined,
        prefix: l.exact !== undefined && r.prefix !== undefined ? l.exact + r.prefix : l.prefix,
        suffix: r.exact !== undefined && l.suffix !== undefined ? l.suffix + r.exact : r.suffix,
        contains: [...l.contains, ...r.contains],
        text: true,
      };
    }
    default:
      return undefined;
  }
}

/** A LIKE pattern (default escape, backslash) as an anchored regular expression. */
function likeRegex(pattern: string, caseInsensitive: boolean): RegExp | undefined {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[++i];
      if (next === undefined) return undefined;
      re += next.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (ch === '%') re += '[\\s\\S]*';
    else if (ch === '_') re += '[\\s\\S]';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'iu' : 'u');
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Whether a value with these text facts surely matches (true) or surely does not match (false)
 * the LIKE pattern; undefined when it cannot be told. A piece the value contains proves a match
 * of a pattern that starts and ends with %, a prefix one that ends with %, a suffix one that
 * starts with %. A char(n) column pads the value with spaces, which LIKE sees: an exact value or
 * a suffix counts only when the pattern gives the same answer with any padding. (A column of type
 * name would cut values beyond 63 bytes; such user columns are left out of this reasoning.)
 */
function likeMatches(facts: TextFacts, pattern: string, caseInsensitive: boolean): boolean | undefined {
  const all = [pattern, facts.exact, facts.prefix, facts.suffix, ...facts.contains].filter((x): x is string => x !== undefined);
  // Case folding beyond ASCII depends on the collation; only ASCII is decided case-insensitively.
  if (caseInsensitive && !all.every((x) => ASCII.test(x))) return undefined;
  const re = likeRegex(pattern, caseInsensitive);
  if (!re) return undefined;
  // Padding longer than the pattern is taken up by one of its %, so these lengths answer for all.
  const padded = (x: string): boolean[] => Array.from({ length: pattern.length + 2 }, (_, k) => re.test(x + ' '.repeat(k)));
  if (facts.exact !== undefined) {
    const answers = padded(facts.exact);
    return answers.every(Boolean) ? true : answers.some(Boolean) ? undefined : false;
  }
  let trailing = 0;
  for (let i = pattern.length - 2; i >= 0 && pattern[i] === '\\'; i--) trailing++;
  const open = pattern.startsWith('%');
  const close = pattern.endsWith('%') && trailing % 2 === 0;
  if (open && close && [facts.prefix, facts.suffix, ...facts.contains].some((x) => x !== undefined && re.test(x))) return true;
  if (close && facts.prefix !== undefined && re.test(facts.prefix)) return true;
  if (open && facts.suffix !== undefined && padded(facts.suffix).every(Boolean)) return true;
  return undefined;
}

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
    case 'A_Expr':
      if (b.kind === 'AEXPR_LIKE' || b.kind === 'AEXPR_ILIKE') return likeOnUpdatedRow(b, values, target);
      return compareOnUpdatedRow(b, valueOf, colOf);
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
    default:
      return undefined;
  }
}

/**
 * `col [NOT] LIKE 'pattern'` (or ILIKE) on a row the first run updated: decided from what the
 * assigned value's text surely is or contains. The column is written without a cast, so it is a
 * text-like column and stores a text value as it is; a cast column (c::text) could be jsonb or
 * a number whose text differs from what was assigned, so it is left undecided.
 */
function likeOnUpdatedRow(b: PgNode, values: ReadonlyMap<string, Assigned>, target: TargetTable): boolean | undefined {
  const ref = bodyOf(b.lexpr, 'ColumnRef');
  const col = ref ? selfColumn(ref, target, false) : undefined;
  const expr = col !== undefined ? values.get(col)?.expr : undefined;
  const pattern = bodyOf(b.rexpr, 'A_Const')?.sval?.sval;
  if (expr === undefined || typeof pattern !== 'string') return undefined;
  const facts = textFacts(expr, (r) => selfColumn(r, target, false) === col);
  if (!facts) return undefined;
  const op = names(b.name)[0] ?? '';
  const negated = op.startsWith('!');
  const ci = b.kind === 'AEXPR_ILIKE';
  const matches = likeMatches(facts, pattern, ci);
  if (negated) return matches === true ? false : undefined;
  // A citext column compares case-insensitively even with LIKE: a miss counts only when it is one either way.
  if (matches === false && facts.exact !== undefined && likeMatches(facts, pattern, true) === false) return false;
  return undefined;
}

/** A comparison, IN list or IS [NOT] DISTINCT FROM on a row the first run updated. */
function compareOnUpdatedRow(b: PgNode, valueOf: (n: PgNode) => Assigned | undefined, colOf: (n: PgNode) => string | undefined): boolean | undefined {
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

/** Whether the WHERE clause no longer matches rows the first run updated. */
export function whereExcludesUpdated(where: PgNode, targets: readonly PgNode[], target: TargetTable): boolean {
  if (!where) return false;
  const values = new Map<string, Assigned>();
  for (const t of targets) {
    const rt = bodyOf(t, 'ResTarget');
    if (rt?.name) values.set(rt.name, { ...assignedValue(rt.val), expr: rt.val });
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
