// What the seed rules share: which calls are queries (so a condition that uses them is a guard),
// which calls are loops, and how to tell whether a write is guarded by its surroundings.
import type * as Prism from '@ruby/prism';
import { children, kind, type RubyNode, type RubyNodeInfo } from './prism';

/** Methods that ask the database whether something is there: a condition using one is a guard. */
export const QUERY_METHODS = new Set([
  'exists?', 'exist?', 'any?', 'none?', 'empty?', 'blank?', 'present?', 'nil?', 'zero?', 'positive?',
  'find_by', 'find_by!', 'where', 'first', 'take', 'last', 'count', 'size', 'length', 'include?',
  'new_record?', 'persisted?', 'find_by_sql', 'pluck', 'ids', 'exists',
]);

/** Methods that make a write run only when the record is missing. */
export const FIND_OR_CREATE = new Set([
  'find_or_create_by', 'find_or_create_by!', 'find_or_initialize_by', 'first_or_create', 'first_or_create!',
  'first_or_initialize', 'create_or_find_by', 'create_or_find_by!',
]);

const LOOP_METHODS = new Set(['each', 'times', 'each_with_index', 'each_with_object', 'map', 'collect', 'flat_map', 'upto', 'downto', 'step', 'each_slice', 'each_pair', 'loop', 'find_each', 'each_key', 'each_value', 'zip']);
const RESCUED_AS_GUARD = new Set(['RecordNotUnique', 'RecordInvalid']);

/** True when `node`'s subtree contains a call for which `test` holds. */
export function containsCall(node: RubyNode | null, test: (c: Prism.CallNode) => boolean): boolean {
  if (!node) return false;
  const stack: RubyNode[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    if (kind(n) === 'CallNode' && test(n as Prism.CallNode)) return true;
    stack.push(...children(n));
  }
  return false;
}

function within(inner: RubyNode, outer: RubyNode | null): boolean {
  if (!outer) return false;
  const a = inner.location;
  const b = outer.location;
  return a.startOffset >= b.startOffset && a.startOffset + a.length <= b.startOffset + b.length;
}

const isQuery = (c: Prism.CallNode): boolean => QUERY_METHODS.has(c.name) || c.name.startsWith('find_by_');

function isGuardClause(stmt: RubyNode): boolean {
  const k = kind(stmt);
  if (k !== 'IfNode' && k !== 'UnlessNode') return false;
  const s = stmt as Prism.IfNode | Prism.UnlessNode;
  const body = s.statements?.body ?? [];
  const exits = body.length === 1 && (['ReturnNode', 'NextNode', 'BreakNode'].includes(kind(body[0])) || (kind(body[0]) === 'CallNode' && ['exit', 'abort', 'raise'].includes((body[0] as Prism.CallNode).name)));
  return exits && containsCall(s.predicate, isQuery);
}

// Computed once per body: seed files with hundreds of statements ask for every write.
const guardClauseCache = new WeakMap<Prism.StatementsNode, number>();

/** The start offset of the body's first guard clause (Infinity when there is none). */
function firstGuardClause(body: Prism.StatementsNode): number {
  let at = guardClauseCache.get(body);
  if (at === undefined) {
    at = body.body.find(isGuardClause)?.location.startOffset ?? Infinity;
    guardClauseCache.set(body, at);
  }
  return at;
}

/** Why a write is safe to rerun because of where it sits, or undefined. */
export function guardOf(info: RubyNodeInfo): string | undefined {
  const { node, ancestors } = info;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    const k = kind(a);
    if (k === 'IfNode' || k === 'UnlessNode') {
      const pred = (a as Prism.IfNode).predicate;
      if (!within(node, pred) && containsCall(pred, isQuery)) return 'condition';
    } else if (k === 'OrNode') {
      const or = a as Prism.OrNode;
      if (within(node, or.right) && containsCall(or.left, isQuery)) return 'or';
    } else if (k === 'BeginNode') {
      const b = a as Prism.BeginNode;
      for (let r: Prism.RescueNode | null = b.rescueClause; r; r = r.subsequent) {
        if (within(node, b.statements) && r.exceptions.some((e) => RESCUED_AS_GUARD.has(constantName(e)))) return 'rescue';
      }
    } else if (k === 'BlockNode') {
      const call = ancestors[i - 1];
      // find_or_create_by(…) { |r| … } runs its block only when it creates the record.
      if (kind(call) === 'CallNode' && FIND_OR_CREATE.has((call as Prism.CallNode).name)) return 'block';
    } else if (k === 'StatementsNode') {
      // `return if User.exists?` (or next/break/exit) earlier in the same body guards what follows.
      if (firstGuardClause(a as Prism.StatementsNode) < node.location.startOffset) return 'guard clause';
    }
  }
  return undefined;
}

/** The loop a node sits in (e.g. "each", "times", "while"), if any. */
export function loopOf(info: RubyNodeInfo): string | undefined {
  const { ancestors } = info;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    const k = kind(a);
    if (k === 'WhileNode') return 'while';
    if (k === 'UntilNode') return 'until';
    if (k === 'ForNode') return 'for';
    if (k === 'BlockNode') {
      const call = ancestors[i - 1];
      if (kind(call) === 'CallNode' && LOOP_METHODS.has((call as Prism.CallNode).name)) return (call as Prism.CallNode).name;
    }
    if (k === 'DefNode') return undefined;
  }
  return undefined;
}

export function constantName(node: RubyNode | null): string {
  const k = kind(node);
  if (k === 'ConstantReadNode') return (node as Prism.ConstantReadNode).name;
  if (k === 'ConstantPathNode') return (node as Prism.ConstantPathNode).name ?? '';
  return '';
}

/** Keyword-argument names passed to a call (`unique_by:` …). */
export function keywordNames(call: Prism.CallNode): string[] {
  const out: string[] = [];
  for (const arg of call.arguments_?.arguments_ ?? []) {
    if (kind(arg) !== 'KeywordHashNode' && kind(arg) !== 'HashNode') continue;
    for (const el of (arg as Prism.KeywordHashNode).elements) {
      if (kind(el) !== 'AssocNode') continue;
      const key = (el as Prism.AssocNode).key;
      if (kind(key) === 'SymbolNode') out.push((key as Prism.SymbolNode).unescaped.value);
    }
  }
  return out;
}
