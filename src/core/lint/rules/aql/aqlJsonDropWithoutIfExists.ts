// drop_* operations fail on the second run with "collection or view not found" (ArangoDB error
// 1203) or "index not found" (1212) unless the operation says to skip a missing object.
import type { Rule } from '../../types';
import { addFlagFix, flag, nameOf, type SchemaMigrationUnit } from '../../aql/schemaMigration';

const DROPS = new Set(['drop_collection', 'drop_index', 'drop_view', 'drop_graph', 'drop_analyzer']);

export const aqlJsonDropWithoutIfExists: Rule<SchemaMigrationUnit> = {
  meta: {
    code: 'aql-json-drop-without-if-exists',
    language: 'arango-json',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'A drop_* schema operation without "ifExists": true fails on rerun because the object is already gone.',
    help: 'Add "ifExists": true so a rerun skips a collection, index, view or graph that is already dropped.',
    fixable: true,
  },
  check(unit, ctx) {
    for (const op of unit.operations) {
      if (!op.type || !DROPS.has(op.type.value) || flag(op, 'ifExists')) continue;
      ctx.report({ start: op.node.start, end: op.node.end, message: `${op.type.value} "${nameOf(op)}" fails on rerun: it is already dropped.`, fix: addFlagFix(op, 'ifExists') });
    }
  },
};
