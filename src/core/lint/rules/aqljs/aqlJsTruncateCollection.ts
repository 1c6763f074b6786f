// collection.truncate() empties a collection. Rerun after the application has written new
// documents, it deletes those too, whatever guard is around it (an existence check does not help).
import type { Rule } from '../../types';
import type { ArangoJsUnit } from '../../js/arangojs';

export const aqlJsTruncateCollection: Rule<ArangoJsUnit> = {
  meta: {
    code: 'aql-js-truncate-collection',
    language: 'javascript',
    tags: ['idempotency', 'data-loss'],
    defaultSeverity: 'warning',
    description: 'collection.truncate() in a migration deletes every document on every run, including data written since the last run.',
    help: 'Remove only the documents the migration is about, with an AQL REMOVE and a FILTER.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const c of unit.schemaCalls) {
      if (c.kind !== 'truncate') continue;
      ctx.report({ start: c.start, end: c.end, message: `${c.text} deletes every document again on each rerun.` });
    }
  },
};
