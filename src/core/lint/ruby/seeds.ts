// What the seed rules share: which calls are queries (so a condition that uses them is a guard),
// which calls are loops, and how to tell whether a write is guarded by its surroundings.
import type * as Prism from '@ruby/prism';
import { children, kind, type RubyNode, type RubyNodeInfo, type RubyUnit } from './prism';

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

/** Query methods that are true when the records are missing. */
const MISSING = new Set(['empty?', 'blank?', 'nil?', 'none?', 'zero?', 'new_record?']);
const COUNTS = new Set(['count', 'size', 'length']);
const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);

/**
 * What a condition says about the data: 'present' when it is true once the records exist
 * (`exists?`, `any?`, `find_by`, a variable holding a query result, a helper method of this file
 * that queries), 'missing' when it is true while they are absent (`empty?`, `nil?`, `count.zero?`,
 * `!exists?`), 'unknown' for a query whose direction cannot be told, and 'none' when it asks the
 * database nothing about existence (`count < 4` is a threshold, not an existence check).
 */
type Polarity = 'present' | 'missing' | 'unknown' | 'none';

const flip = (p: Polarity): Polarity => (p === 'present' ? 'missing' : p === 'missing' ? 'present' : p);

/** Per file: local variables whose value is a query result, and helper methods that query. */
interface QueryNames {
  readonly variables: Map<string, number[]>;
  readonly helpers: Set<string>;
}

const queryNamesCache = new WeakMap<RubyUnit, QueryNames>();

function queryNames(unit: RubyUnit): QueryNames {
  let q = queryNamesCache.get(unit);
  if (q) return q;
  q = { variables: new Map(), helpers: new Set() };
  for (const a of unit.assignments) {
    const w = a.node as Prism.LocalVariableWriteNode;
    if (kind(w.value) === 'CallNode' && containsCall(w.value, isQuery)) {
      const list = q.variables.get(w.name) ?? [];
      list.push(w.location.startOffset);
      q.variables.set(w.name, list);
    }
  }
  for (const def of unit.defs) if (containsCall(def.body, isQuery)) q.helpers.add(def.name);
  queryNamesCache.set(unit, q);
  return q;
}

function integerValue(node: RubyNode | null | undefined): number | undefined {
  return kind(node) === 'IntegerNode' ? Number((node as Prism.IntegerNode).value) : undefined;
}

function polarity(node: RubyNode | null, unit: RubyUnit | undefined, at: number): Polarity {
  if (!node) return 'none';
  const k = kind(node);
  if (k === 'ParenthesesNode') return polarity(((node as Prism.ParenthesesNode).body as Prism.StatementsNode | null)?.body?.[0] ?? null, unit, at);
  if (k === 'StatementsNode') return polarity((node as Prism.StatementsNode).body[0] ?? null, unit, at);
  if (k === 'AndNode' || k === 'OrNode') {
    const b = node as Prism.AndNode;
    const l = polarity(b.left, unit, at);
    const r = polarity(b.right, unit, at);
    if (l === 'none') return r;
    if (r === 'none') return l;
    return l === r ? l : 'unknown';
  }
  if ((k === 'LocalVariableReadNode' || k === 'InstanceVariableReadNode') && unit) {
    // `unless timeline_event` after `timeline_event = TimelineEvent.where(…).first`.
    const starts = queryNames(unit).variables.get((node as Prism.LocalVariableReadNode).name);
    return starts?.some((s) => s < at) ? 'present' : 'none';
  }
  if (k !== 'CallNode') return containsCall(node, isQuery) ? 'unknown' : 'none';
  const c = node as Prism.CallNode;
  if (c.name === '!') return flip(polarity(c.receiver, unit, at));
  if (COMPARISONS.has(c.name) && kind(c.receiver) === 'CallNode' && COUNTS.has((c.receiver as Prism.CallNode).name)) {
    const n = integerValue(c.arguments_?.arguments_?.[0]);
    if (n === undefined) return 'unknown';
    // count == 0, count < 1, count <= 0 ask whether rows are missing; count > 0, != 0, >= 1 whether
    // they exist; any other bound (count < 4) is a threshold on the data, not an existence check.
    if ((c.name === '==' && n === 0) || (c.name === '<' && n === 1) || (c.name === '<=' && n === 0)) return 'missing';
    if ((c.name === '>' && n === 0) || (c.name === '!=' && n === 0) || (c.name === '>=' && n === 1)) return 'present';
    return 'none';
  }
  if (MISSING.has(c.name)) {
    const onModel = kind(c.receiver) === 'ConstantReadNode' || kind(c.receiver) === 'ConstantPathNode';
    return onModel || c.name === 'zero?' || containsCall(c.receiver, isQuery) || polarity(c.receiver, unit, at) !== 'none' ? 'missing' : 'none';
  }
  if (isQuery(c)) return 'present';
  if (unit && !c.receiver && queryNames(unit).helpers.has(c.name)) return 'present';
  return containsCall(node, isQuery) ? 'unknown' : 'none';
}

/**
 * Whether `return/next/break/exit/raise if …` (or `unless …`) stops the rest of the body once the
 * data is there: an IF condition must not say "missing", an UNLESS condition must not say
 * "present", and either must ask about existence at all. `raise … if Model.count.zero?` asserts
 * that earlier seeds ran; it stops nothing on a rerun.
 */
function isGuardClause(stmt: RubyNode, unit: RubyUnit | undefined): boolean {
  const k = kind(stmt);
  if (k !== 'IfNode' && k !== 'UnlessNode') return false;
  const s = stmt as Prism.IfNode | Prism.UnlessNode;
  const body = s.statements?.body ?? [];
  const exits = body.length === 1 && (['ReturnNode', 'NextNode', 'BreakNode'].includes(kind(body[0])) || (kind(body[0]) === 'CallNode' && ['exit', 'abort', 'raise'].includes((body[0] as Prism.CallNode).name)));
  if (!exits) return false;
  const p = polarity(s.predicate, unit, stmt.location.startOffset);
  return p !== 'none' && p !== (k === 'IfNode' ? 'missing' : 'present');
}

// Computed once per body and parse: seed files with hundreds of statements ask for every write.
// Keyed by the unit too, because an incremental parse (./incremental.ts) keeps the nodes of
// unchanged statements and moves them.
const guardClauseCache = new WeakMap<RubyUnit, WeakMap<Prism.StatementsNode, number>>();

/** The start offset of the body's first guard clause (Infinity when there is none). */
function firstGuardClause(body: Prism.StatementsNode, unit: RubyUnit | undefined): number {
  const first = (): number => body.body.find((b) => isGuardClause(b, unit))?.location.startOffset ?? Infinity;
  if (!unit) return first();
  let byBody = guardClauseCache.get(unit);
  if (!byBody) guardClauseCache.set(unit, (byBody = new WeakMap()));
  let at = byBody.get(body);
  if (at === undefined) {
    at = first();
    byBody.set(body, at);
  }
  return at;
}

/**
 * Why a write is safe to rerun because of where it sits, or undefined. With the file's unit, a
 * condition on a variable that holds a query result or on a helper method of the file that
 * queries counts as an existence check too.
 */
export function guardOf(info: RubyNodeInfo, unit?: RubyUnit): string | undefined {
  const { node, ancestors } = info;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    const k = kind(a);
    if (k === 'IfNode' || k === 'UnlessNode') {
      const pred = (a as Prism.IfNode).predicate;
      if (within(node, pred)) continue;
      const p = polarity(pred, unit, a.location.startOffset);
      // The write must sit where the data is missing: the IF branch of "missing", the UNLESS body
      // of "present" (an else branch flips it; `unknown` is taken as a guard, as before).
      const inElse = k === 'IfNode' ? within(node, (a as Prism.IfNode).subsequent) : within(node, (a as Prism.UnlessNode).elseClause);
      const wants: Polarity = (k === 'IfNode') !== inElse ? 'missing' : 'present';
      if (p === 'unknown' || p === wants) return 'condition';
    } else if (k === 'OrNode') {
      const or = a as Prism.OrNode;
      if (within(node, or.right) && polarity(or.left, unit, a.location.startOffset) !== 'none') return 'or';
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
      if (firstGuardClause(a as Prism.StatementsNode, unit) < node.location.startOffset) return 'guard clause';
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

const RANDOM_CONSTANTS = new Set(['Faker', 'SecureRandom', 'Random', 'FFaker']);
const RANDOM_CALLS = new Set(['rand', 'sample', 'shuffle', 'uuid', 'hex', 'urlsafe_base64']);
const CLOCKS = new Set(['Time', 'DateTime', 'Date']);
const CLOCK_CALLS = new Set(['now', 'current', 'today']);

/** Where a value comes from when it differs on every run (Faker, SecureRandom, rand, Time.now…), or undefined. */
export function randomSource(node: Prism.Node): string | undefined {
  // Constants (Faker, SecureRandom) name the source better than the method called on them.
  return randomConstant(node) ?? randomCall(node);
}

function randomConstant(node: Prism.Node): string | undefined {
  const stack: Prism.Node[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    const k = kind(n);
    if ((k === 'ConstantReadNode' || k === 'ConstantPathNode') && RANDOM_CONSTANTS.has(constantName(n))) return constantName(n);
    if (k === 'ConstantPathNode') {
      // Faker::Internet: the root of the path is what matters.
      let p: Prism.Node | null = n;
      while (kind(p) === 'ConstantPathNode') p = (p as Prism.ConstantPathNode).parent;
      if (p && RANDOM_CONSTANTS.has(constantName(p))) return constantName(p);
    }
    stack.push(...children(n));
  }
  return undefined;
}

function randomCall(node: Prism.Node): string | undefined {
  const stack: Prism.Node[] = [node];
  while (stack.length) {
    const n = stack.pop()!;
    const k = kind(n);
    if (k === 'CallNode') {
      const c = n as Prism.CallNode;
      if (RANDOM_CALLS.has(c.name) && (!c.receiver || kind(c.receiver) !== 'ConstantReadNode' || RANDOM_CONSTANTS.has(constantName(c.receiver)))) return c.name;
      if (CLOCK_CALLS.has(c.name) && CLOCKS.has(constantName(c.receiver))) return `${constantName(c.receiver)}.${c.name}`;
    }
    stack.push(...children(n));
  }
  return undefined;
}
