// `user = User.find_or_initialize_by(email: …); user.password = SecureRandom.hex; user.save!`
// finds last run's row, as a re-runnable seed should, and then overwrites it with a new random
// value: every run changes the data again (a new password, new Faker tags). The random value may
// come through a local variable or a helper method of the file.
import type * as Prism from '@ruby/prism';
import type { Rule } from '../../types';
import { kind, type RubyNode, type RubyUnit } from '../../ruby/prism';
import { guardOf, randomSource } from '../../ruby/seeds';

const UPDATES = new Set(['update', 'update!', 'update_columns', 'update_column', 'update_attribute', 'update_attributes', 'update_attributes!']);
const SAVES = new Set(['save', 'save!']);
const NOT_WRITERS = new Set(['==', '!=', '<=', '>=', '===', '[]=']);
const FRESH = new Set(['new', 'create', 'create!', 'build']);

function within(inner: RubyNode, outer: RubyNode): boolean {
  const a = inner.location;
  const b = outer.location;
  return a.startOffset >= b.startOffset && a.startOffset + a.length <= b.startOffset + b.length;
}

/** Per file: helper methods (def) whose result is random. */
const randomHelpersCache = new WeakMap<RubyUnit, Map<string, string>>();

function randomHelpers(unit: RubyUnit): Map<string, string> {
  let m = randomHelpersCache.get(unit);
  if (m) return m;
  m = new Map();
  // Of two random helpers with one name, the one a walk of the tree in reverse met last wins (as
  // before unit.defs): the earlier in the file, or the one nested inside the other.
  const from = new Map<string, Prism.DefNode>();
  for (const def of unit.defs) {
    const source = def.body ? randomSource(def.body) : undefined;
    if (!source) continue;
    const was = from.get(def.name);
    if (was && !within(def, was)) continue;
    from.set(def.name, def);
    m.set(def.name, source);
  }
  randomHelpersCache.set(unit, m);
  return m;
}

/**
 * Per file: the assignments to each variable name (in source order) and where the last
 * `save`/`save!` of each variable starts. Looking these up per call instead of scanning every call
 * and assignment again keeps a 2,000-line seed file linear (it was quadratic: about 25 ms of each lint of that file).
 */
interface FileIndex {
  readonly assignments: Map<string, RubyNode[]>;
  readonly lastSave: Map<string, number>;
}
const fileIndexCache = new WeakMap<RubyUnit, FileIndex>();

function fileIndex(unit: RubyUnit): FileIndex {
  let ix = fileIndexCache.get(unit);
  if (ix) return ix;
  ix = { assignments: new Map(), lastSave: new Map() };
  for (const a of unit.assignments) {
    const name = (a.node as Prism.LocalVariableWriteNode).name;
    let list = ix.assignments.get(name);
    if (!list) ix.assignments.set(name, (list = []));
    list.push(a.node);
  }
  for (const c of unit.calls) {
    const record = SAVES.has(c.node.name) ? variableName(c.node.receiver) : undefined;
    if (record !== undefined) ix.lastSave.set(record, Math.max(ix.lastSave.get(record) ?? -1, c.node.location.startOffset));
  }
  fileIndexCache.set(unit, ix);
  return ix;
}

/** The last assignment to a local or instance variable before `at`. */
function lastValue(unit: RubyUnit, name: string, at: number): RubyNode | null | undefined {
  const list = fileIndex(unit).assignments.get(name) ?? [];
  let a: RubyNode | undefined;
  for (const n of list) if (n.location.startOffset < at) a = n;
  return a ? (a as Prism.LocalVariableWriteNode).value : undefined;
}

/** Where a written value comes from when it is new on every run, or undefined. */
function randomOrigin(unit: RubyUnit, value: RubyNode | null | undefined, at: number, depth = 0): string | undefined {
  if (!value || depth > 3) return undefined;
  const k = kind(value);
  if (k === 'LocalVariableReadNode' || k === 'InstanceVariableReadNode') return randomOrigin(unit, lastValue(unit, (value as Prism.LocalVariableReadNode).name, at), at, depth + 1);
  if (k === 'CallNode' && !(value as Prism.CallNode).receiver) {
    const helper = randomHelpers(unit).get((value as Prism.CallNode).name);
    if (helper) return `${helper} (through ${(value as Prism.CallNode).name})`;
  }
  return randomSource(value as Prism.Node);
}

function variableName(node: RubyNode | null): string | undefined {
  const k = kind(node);
  return k === 'LocalVariableReadNode' || k === 'InstanceVariableReadNode' ? (node as Prism.LocalVariableReadNode).name : undefined;
}

export const seedRandomValueWritten: Rule<RubyUnit> = {
  meta: {
    code: 'seed-random-value-written',
    language: 'ruby',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'A random or time-based value (Faker, SecureRandom, rand, Time.now) written to an existing record and saved: every run of the seeds changes it again.',
    help: 'Set random attributes only when the record is created (inside the find_or_create_by block, or with create_with), or use a fixed value.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const info of unit.calls) {
      const call = info.node;
      const record = variableName(call.receiver);
      if (!record) continue;
      const at = call.location.startOffset;
      let value: RubyNode | null | undefined;
      if (call.name.endsWith('=') && !NOT_WRITERS.has(call.name)) {
        // A writer needs a save of the same record after it to reach the database.
        if ((fileIndex(unit).lastSave.get(record) ?? -1) <= at) continue;
        value = call.arguments_?.arguments_?.[0];
      } else if (UPDATES.has(call.name)) {
        value = call.arguments_;
      } else continue;
      // A record built fresh on this run is the business of the insert rules, not this one.
      const origin = lastValue(unit, record, at);
      if (kind(origin) === 'CallNode' && FRESH.has((origin as Prism.CallNode).name)) continue;
      const source = randomOrigin(unit, value, at);
      if (!source || guardOf(info, unit)) continue;
      ctx.report({ ...unit.span(call.location), message: `${unit.source(call)} writes a value from ${source} to an existing record: every run of the seeds changes it again.` });
    }
  },
};
