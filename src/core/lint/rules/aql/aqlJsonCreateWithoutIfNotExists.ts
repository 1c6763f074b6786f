// create_collection / create_view / create_graph / create_analyzer fail on the second run with
// "duplicate name" (ArangoDB error 1207) unless the operation says to skip an existing object.
import type { Rule } from '../../types';
import { addFlagFix, flag, nameOf, type SchemaMigrationUnit } from '../../aql/schemaMigration';

const CREATES = new Set(['create_collection', 'create_view', 'create_graph', 'create_analyzer']);

export const aqlJsonCreateWithoutIfNotExists: Rule<SchemaMigrationUnit> = {
  meta: {
    code: 'aql-json-create-without-if-not-exists',
    language: 'arango-json',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'A create_* schema operation without "ifNotExists": true fails on rerun because the object already exists.',
    help: 'Add "ifNotExists": true so a rerun skips an existing collection, view, graph or analyzer.',
    fixable: true,
  },
  check(unit, ctx) {
    for (const op of unit.operations) {
      if (!op.type || !CREATES.has(op.type.value) || flag(op, 'ifNotExists')) continue;
      ctx.report({ start: op.node.start, end: op.node.end, message: `${op.type.value} "${nameOf(op)}" fails on rerun: it already exists.`, fix: addFlagFix(op, 'ifNotExists') });
    }
  },
};
