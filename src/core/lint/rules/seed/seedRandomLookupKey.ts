// find_or_create_by!(email: Faker::Internet.email) looks like the safe idiom, but the lookup value
// is new on every run, so it never finds the row it created last time and always inserts.
import type * as Prism from '@ruby/prism';
import type { Rule } from '../../types';
import { children, kind, type RubyUnit } from '../../ruby/prism';
import { constantName, FIND_OR_CREATE } from '../../ruby/seeds';

const RANDOM_CONSTANTS = new Set(['Faker', 'SecureRandom', 'Random', 'FFaker']);
const RANDOM_CALLS = new Set(['rand', 'sample', 'shuffle', 'uuid', 'hex', 'urlsafe_base64']);
const CLOCKS = new Set(['Time', 'DateTime', 'Date']);
const CLOCK_CALLS = new Set(['now', 'current', 'today']);

function randomSource(node: Prism.Node): string | undefined {
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

export const seedRandomLookupKey: Rule<RubyUnit> = {
  meta: {
    code: 'seed-random-lookup-key',
    language: 'ruby',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'find_or_create_by (and friends) looking up by a random or time-based value: it never finds last run\'s row, so it always inserts.',
    help: 'Look up by a stable natural key; set random or time-based attributes inside the block: find_or_create_by!(email: "demo@example.com") { |u| u.name = Faker::Name.name }.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const { node: call } of unit.calls) {
      let lookup: Prism.Node | null | undefined;
      if (FIND_OR_CREATE.has(call.name) && !call.name.startsWith('first_or_')) lookup = call.arguments_;
      else if (call.name.startsWith('first_or_') && kind(call.receiver) === 'CallNode' && (call.receiver as Prism.CallNode).name === 'where') lookup = (call.receiver as Prism.CallNode).arguments_;
      if (!lookup) continue;
      const source = randomSource(lookup);
      if (!source) continue;
      ctx.report({ ...unit.span(lookup.location), message: `${call.name} looks up by a value from ${source}, which differs on every run, so it never finds the row it created before and inserts again.` });
    }
  },
};
