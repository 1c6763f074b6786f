// insert_all/insert skip conflicting rows only when a unique index catches them; without
// unique_by: nothing says which one, and a table with only a generated primary key gets every row
// again on each run. insert_all!/insert! raise on the first duplicate instead.
import type { Rule } from '../../types';
import { kind, type RubyUnit } from '../../ruby/prism';
import { guardOf, keywordNames } from '../../ruby/seeds';

const INSERTS = new Set(['insert_all', 'insert_all!', 'insert', 'insert!']);

export const seedInsertAllWithoutUniqueBy: Rule<RubyUnit> = {
  meta: {
    code: 'seed-insert-all-without-unique-by',
    language: 'ruby',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'insert_all/insert without unique_by: (or their bang forms) in a seed file: reruns duplicate rows or raise.',
    help: 'Use upsert_all(rows, unique_by: :natural_key) or insert_all(rows, unique_by: :natural_key) backed by a unique index.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const info of unit.calls) {
      const call = info.node;
      if (!INSERTS.has(call.name) || !call.receiver) continue;
      // Array#insert is plain Ruby: only model classes (constants) count for insert/insert!.
      if ((call.name === 'insert' || call.name === 'insert!') && !['ConstantReadNode', 'ConstantPathNode'].includes(kind(call.receiver))) continue;
      const bang = call.name.endsWith('!');
      if (!bang && keywordNames(call).includes('unique_by')) continue;
      if (guardOf(info, unit)) continue;
      ctx.report({
        ...unit.span(call.location),
        message: bang
          ? `${unit.source(call.receiver)}.${call.name} raises on the second run when the rows already exist.`
          : `${unit.source(call.receiver)}.${call.name} without unique_by: inserts the rows again unless a unique index happens to reject them.`,
      });
    }
  },
};
