// find_or_create_by!(email: Faker::Internet.email) looks like the safe idiom, but the lookup value
// is new on every run, so it never finds the row it created last time and always inserts.
import type * as Prism from '@ruby/prism';
import type { Rule } from '../../types';
import { kind, type RubyUnit } from '../../ruby/prism';
import { FIND_OR_CREATE, randomSource } from '../../ruby/seeds';

/**
 * The random source of each lookup's arguments, by node. A call's subtree never changes in place
 * (an incremental parse replaces whole statements of scope bodies, and a call holds no such body
 * that it would edit), so what it found stays true while the node lives: in a seed file being
 * edited only the new statements' lookups are walked.
 */
const sourceCache = new WeakMap<Prism.Node, string | null>();

function lookupSource(lookup: Prism.Node): string | undefined {
  let s = sourceCache.get(lookup);
  if (s === undefined) sourceCache.set(lookup, (s = randomSource(lookup) ?? null));
  return s ?? undefined;
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
      const source = lookupSource(lookup);
      if (!source) continue;
      ctx.report({ ...unit.span(lookup.location), message: `${call.name} looks up by a value from ${source}, which differs on every run, so it never finds the row it created before and inserts again.` });
    }
  },
};
