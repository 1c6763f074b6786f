// REMOVE of a key that is not read from the collection itself (a literal key, a bind parameter, a
// key list) fails with "document not found" (error 1202) once the document is gone — that is, on
// every rerun. OPTIONS { ignoreErrors: true } makes the second run a no-op.
import type { Rule } from '../../types';
import type { AqlUnit } from '../../aql/parser';
import { allOps, isTrue, loopVariables, mentions, optionValue, spanOf } from '../../aql/analysis';

export const aqlRemoveWithoutIgnoreErrors: Rule<AqlUnit> = {
  meta: {
    code: 'aql-remove-without-ignore-errors',
    language: 'aql',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'REMOVE by a key from outside the collection, without OPTIONS { ignoreErrors: true }: the rerun fails because the document is already gone.',
    help: 'Add OPTIONS { ignoreErrors: true }, or iterate the collection itself: FOR d IN coll FILTER d._key IN @keys REMOVE d IN coll.',
    fixable: true,
  },
  check(unit, ctx) {
    const { tokens } = unit;
    for (const { query, op } of allOps(unit)) {
      if (op.kind !== 'REMOVE' || !op.doc || !op.collection) continue;
      if (isTrue(tokens, optionValue(tokens, op, 'ignoreErrors'))) continue;
      const coll = op.collection.value;
      let fromCollection = false;
      for (const [v, loop] of loopVariables(query, op)) {
        if (!loop.source || !mentions(tokens, op.doc, v)) continue;
        const src = loop.source;
        // A FOR over the same collection only yields documents that exist right now.
        if (src.to - src.from === 1 && tokens[src.from]!.value === coll) fromCollection = true;
        else if (mentions(tokens, src, coll)) fromCollection = true;
      }
      if (fromCollection) continue;
      ctx.report({
        ...spanOf(tokens, op.doc),
        start: op.keyword.start,
        message: `REMOVE from ${coll} fails on rerun with "document not found": the document was removed by the first run.`,
        fix: op.options ? undefined : { title: 'Add OPTIONS { ignoreErrors: true }', edits: [{ start: op.collection.end, end: op.collection.end, newText: ' OPTIONS { ignoreErrors: true }' }] },
      });
    }
  },
};
