// An operation whose type the runner does not know cannot be checked (and fails when run). A typo
// such as "create_colection" or "ensureIndex" is the usual cause, so the message names the closest
// known type.
import type { Rule } from '../../types';
import { KNOWN_OPERATIONS, type SchemaMigrationUnit } from '../../aql/schemaMigration';

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

export const aqlJsonUnknownOperation: Rule<SchemaMigrationUnit> = {
  meta: {
    code: 'aql-json-unknown-operation',
    language: 'arango-json',
    tags: ['correctness'],
    defaultSeverity: 'error',
    description: 'A schema operation without a "type", or with a type Greenlight does not know.',
    help: `Use one of: ${KNOWN_OPERATIONS.join(', ')}.`,
    fixable: true,
  },
  check(unit, ctx) {
    const known: readonly string[] = KNOWN_OPERATIONS;
    for (const op of unit.operations) {
      if (!op.type) {
        ctx.report({ start: op.node.start, end: op.node.start + 1, message: 'This operation has no "type" string.' });
        continue;
      }
      const t = op.type.value;
      if (known.includes(t)) continue;
      const norm = t.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
      const best = [...known].sort((a, b) => distance(norm, a) - distance(norm, b))[0]!;
      const close = distance(norm, best) <= 3;
      ctx.report({
        start: op.type.start,
        end: op.type.end,
        message: `Unknown operation type "${t}"${close ? `; did you mean "${best}"?` : '.'}`,
        fix: close ? { title: `Change to "${best}"`, edits: [{ start: op.type.start, end: op.type.end, newText: JSON.stringify(best) }] } : undefined,
      });
    }
  },
};
