// truncate_collection empties a collection. Rerun after the application has written new
// documents, it deletes those too; a migration should remove the documents it means to remove.
import type { Rule } from '../../types';
import { nameOf, type SchemaMigrationUnit } from '../../aql/schemaMigration';

export const aqlJsonTruncateCollection: Rule<SchemaMigrationUnit> = {
  meta: {
    code: 'aql-json-truncate-collection',
    language: 'arango-json',
    tags: ['idempotency', 'data-loss'],
    defaultSeverity: 'warning',
    description: 'truncate_collection deletes every document on every run, including data written since the last run.',
    help: 'Remove only the documents the migration is about with an "aql" operation and a FILTER.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const op of unit.operations) {
      if (op.type?.value !== 'truncate_collection') continue;
      ctx.report({ start: op.node.start, end: op.node.end, message: `truncate_collection "${nameOf(op)}" deletes every document again on each rerun.` });
    }
  },
};
