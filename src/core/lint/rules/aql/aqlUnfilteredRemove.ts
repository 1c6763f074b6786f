// `FOR d IN coll REMOVE d IN coll` with no FILTER empties the collection. Rerun after the
// application has stored new documents, it deletes them too: a migration should name what it
// removes.
import type { Rule } from '../../types';
import type { AqlUnit } from '../../aql/parser';
import { allOps, loopVariables, mentions, opsBefore } from '../../aql/analysis';

export const aqlUnfilteredRemove: Rule<AqlUnit> = {
  meta: {
    code: 'aql-unfiltered-remove',
    language: 'aql',
    tags: ['idempotency', 'data-loss'],
    defaultSeverity: 'warning',
    description: 'REMOVE inside a FOR over a whole collection with no FILTER: every run deletes every document, including data written since the last run.',
    help: 'FILTER the documents the migration means to remove (by key, by a marker attribute, by schemaVersion).',
    fixable: false,
  },
  check(unit, ctx) {
    const { tokens } = unit;
    for (const { query, op } of allOps(unit)) {
      if (op.kind !== 'REMOVE' || !op.doc) continue;
      const before = opsBefore(query, op);
      if (before.some((o) => o.kind === 'FILTER')) continue;
      const vars = loopVariables(query, op);
      for (const [v, loop] of vars) {
        if (!mentions(tokens, op.doc, v) || !loop.source) continue;
        const src = loop.source;
        const single = src.to - src.from === 1 ? tokens[src.from]! : undefined;
        const declared = new Set(before.flatMap((o) => (o.kind === 'LET' || o.kind === 'FOR' ? (o.variables ?? []) : [])));
        if (!single || !(single.kind === 'ident' || single.kind === 'collbind') || declared.has(single.value)) continue;
        ctx.report({ start: op.keyword.start, end: op.end, message: `REMOVE deletes every document of ${single.value} (no FILTER); a rerun also deletes documents written since.` });
        break;
      }
    }
  },
};
