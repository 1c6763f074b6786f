// upsert/upsert_all without unique_by: match on the primary key. Seed rows rarely carry ids, so
// nothing matches and every run inserts the rows again; unique_by: names the natural key.
import type { Rule } from '../../types';
import { type RubyUnit } from '../../ruby/prism';
import { keywordNames } from '../../ruby/seeds';
import type * as Prism from '@ruby/prism';

function rowsHaveIds(unit: RubyUnit, call: Prism.CallNode): boolean {
  const first = call.arguments_?.arguments_[0];
  return !!first && /(^|[\s{,(])(id:|:id\s*=>|"id"\s*=>)/.test(unit.source(first));
}

export const seedUpsertWithoutUniqueBy: Rule<RubyUnit> = {
  meta: {
    code: 'seed-upsert-without-unique-by',
    language: 'ruby',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'upsert/upsert_all without unique_by: and without ids in the rows: nothing matches, so every run inserts again.',
    help: 'Pass unique_by: with the natural key (backed by a unique index), e.g. upsert_all(rows, unique_by: :email).',
    fixable: false,
  },
  check(unit, ctx) {
    for (const info of unit.calls) {
      const call = info.node;
      if ((call.name !== 'upsert' && call.name !== 'upsert_all') || !call.receiver) continue;
      if (keywordNames(call).includes('unique_by') || rowsHaveIds(unit, call)) continue;
      ctx.report({ ...unit.span(call.location), message: `${unit.source(call.receiver)}.${call.name} without unique_by: matches on the primary key, which these rows do not set, so every run inserts them again.` });
    }
  },
};
