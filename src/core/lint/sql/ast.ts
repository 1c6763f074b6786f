// Small helpers over libpg-query's JSON parse tree: every node is `{ KindName: body }`, lists are
// plain arrays, names are lists of `{ String: { sval } }`. Rules use these instead of poking at
// shapes directly so a shape change in a future libpg-query is fixed in one place.

// The parse tree is JSON of a few hundred node kinds; an index type keeps the helpers small.
export type PgNode = any;

/** The kind of a wrapped node (`{ CreateStmt: {…} }` → 'CreateStmt'). */
export function kindOf(node: PgNode): string | undefined {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  return keys.length === 1 && /^[A-Z]/.test(keys[0]!) ? keys[0] : undefined;
}

/** The body of a wrapped node, or undefined. */
export function bodyOf(node: PgNode, kind?: string): PgNode {
  const k = kindOf(node);
  if (!k || (kind && k !== kind)) return undefined;
  return node[k];
}

/** Visits every wrapped node below `root` (depth first), with its kind and body. */
export function walk(root: PgNode, visit: (kind: string, body: PgNode) => void | false): void {
  const stack: PgNode[] = [root];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      for (let i = n.length - 1; i >= 0; i--) stack.push(n[i]);
      continue;
    }
    const k = kindOf(n);
    if (k) {
      if (visit(k, n[k]) === false) continue;
      stack.push(n[k]);
      continue;
    }
    for (const v of Object.values(n)) if (v && typeof v === 'object') stack.push(v);
  }
}

/** Whether any node below `root` satisfies the test. */
export function some(root: PgNode, test: (kind: string, body: PgNode) => boolean): boolean {
  let found = false;
  walk(root, (k, b) => {
    if (found) return false;
    if (test(k, b)) found = true;
    return undefined;
  });
  return found;
}

/** `[{String:{sval:'a'}},{String:{sval:'b'}}]` → ['a','b']. */
export function names(list: PgNode): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((n) => bodyOf(n, 'String')?.sval).filter((s): s is string => typeof s === 'string');
}

/** A qualified, lower-level key for a relation: schema defaults to public. */
export function relKey(rangeVar: PgNode): string {
  if (!rangeVar) return '?';
  return `${rangeVar.schemaname ?? 'public'}.${rangeVar.relname ?? '?'}`;
}

/** Key for a qualified name list (['s','t'] or ['t']). */
export function qualifiedKey(parts: readonly string[]): string {
  if (parts.length === 0) return '?';
  if (parts.length === 1) return `public.${parts[0]}`;
  return parts.slice(-2).join('.');
}

/** A display name for a relation as written. */
export function relName(rangeVar: PgNode): string {
  if (!rangeVar) return '?';
  return rangeVar.schemaname ? `${rangeVar.schemaname}.${rangeVar.relname}` : String(rangeVar.relname);
}

/** The function name of a FuncCall body, lower-case, without schema. */
export function funcName(call: PgNode): string {
  const n = names(call?.funcname);
  return (n[n.length - 1] ?? '').toLowerCase();
}

/** Relations read by FROM clauses below a node. */
export function rangeVars(root: PgNode): PgNode[] {
  const out: PgNode[] = [];
  walk(root, (k, b) => {
    if (k === 'RangeVar') out.push(b);
    return undefined;
  });
  return out;
}

/**
 * Functions whose value differs on every call or every transaction: re-running a statement that
 * writes them writes something new.
 */
export const VOLATILE_FUNCTIONS = new Set([
  'now', 'clock_timestamp', 'statement_timestamp', 'transaction_timestamp', 'timeofday', 'random',
  'gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7',
  'nextval', 'txid_current', 'pg_current_xact_id', 'random_normal', 'gen_random_bytes', 'setseed',
]);

/** SQL value functions (CURRENT_TIMESTAMP, LOCALTIME…) are volatile too; CURRENT_USER is not. */
const VOLATILE_SVF = new Set(['SVFOP_CURRENT_DATE', 'SVFOP_CURRENT_TIME', 'SVFOP_CURRENT_TIME_N', 'SVFOP_CURRENT_TIMESTAMP', 'SVFOP_CURRENT_TIMESTAMP_N', 'SVFOP_LOCALTIME', 'SVFOP_LOCALTIME_N', 'SVFOP_LOCALTIMESTAMP', 'SVFOP_LOCALTIMESTAMP_N']);

/** Whether evaluating the expression twice can give different values. */
export function isVolatile(root: PgNode): boolean {
  return some(root, (k, b) => (k === 'FuncCall' && VOLATILE_FUNCTIONS.has(funcName(b))) || (k === 'SQLValueFunction' && VOLATILE_SVF.has(b.op)));
}

/** Whether the expression is built only from constants (and casts of them). */
export function isConstant(root: PgNode): boolean {
  return !some(root, (k, b) => k === 'ColumnRef' || k === 'SubLink' || k === 'ParamRef' || (k === 'FuncCall' && VOLATILE_FUNCTIONS.has(funcName(b))) || (k === 'SQLValueFunction' && VOLATILE_SVF.has(b.op)));
}
