// rename_collection moves "from" to "to". On the second run "from" no longer exists, so the
// rename fails (error 1203) unless it is told to skip a missing source.
import type { Rule } from '../../types';
import { addFlagFix, flag, nameOf, type SchemaMigrationUnit } from '../../aql/schemaMigration';

export const aqlJsonRenameWithoutGuard: Rule<SchemaMigrationUnit> = {
  meta: {
    code: 'aql-json-rename-without-guard',
    language: 'arango-json',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'rename_collection without "ifExists": true fails on rerun because the old name is gone.',
    help: 'Add "ifExists": true so a rerun skips the rename once the source collection no longer exists.',
    fixable: true,
  },
  check(unit, ctx) {
    for (const op of unit.operations) {
      if (op.type?.value !== 'rename_collection' || flag(op, 'ifExists')) continue;
      ctx.report({ start: op.node.start, end: op.node.end, message: `rename_collection "${nameOf(op)}" fails on rerun: "${nameOf(op)}" no longer exists after the first run.`, fix: addFlagFix(op, 'ifExists') });
    }
  },
};
