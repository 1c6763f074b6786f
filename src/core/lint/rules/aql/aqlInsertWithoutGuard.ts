// INSERT fails on rerun when the document has a _key (unique constraint violated) and inserts a
// duplicate when it has none. It is re-runnable with OPTIONS { overwriteMode: … } or
// { ignoreErrors: true } (with a key or a unique index), as an UPSERT, or behind a FILTER that checks
// the target collection first (a NOT EXISTS subquery, DOCUMENT(…) == null).
import type { Rule } from '../../types';
import type { AqlUnit } from '../../aql/parser';
import { allOps, isTrue, mentions, objectEntries, optionValue, opsBefore, spanOf } from '../../aql/analysis';

export const aqlInsertWithoutGuard: Rule<AqlUnit> = {
  meta: {
    code: 'aql-insert-without-guard',
    language: 'aql',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'INSERT without UPSERT, OPTIONS { overwriteMode } / { ignoreErrors: true }, or a FILTER that checks the collection first.',
    help: 'Use UPSERT, add OPTIONS { overwriteMode: "ignore" } (with a _key), or FILTER on the target collection before inserting.',
    fixable: true,
  },
  check(unit, ctx) {
    const { tokens } = unit;
    for (const { query, op } of allOps(unit)) {
      if (op.kind !== 'INSERT' || !op.doc || !op.collection) continue;
      if (optionValue(tokens, op, 'overwriteMode') || isTrue(tokens, optionValue(tokens, op, 'overwrite')) || isTrue(tokens, optionValue(tokens, op, 'ignoreErrors'))) continue;
      const coll = op.collection.value;
      const before = opsBefore(query, op);
      const lets = before.filter((o) => o.kind === 'LET' && o.source && mentions(tokens, o.source, coll)).flatMap((o) => o.variables ?? []);
      const checked = before.some((o) => o.kind === 'FILTER' && (mentions(tokens, o.body, coll) || lets.some((v) => mentions(tokens, o.body, v))));
      if (checked) continue;
      const hasKey = objectEntries(tokens, op.doc)?.some((e) => e.key === '_key') ?? false;
      const docSpan = spanOf(tokens, op.doc);
      ctx.report({
        start: op.keyword.start,
        end: docSpan.end,
        message: hasKey
          ? `INSERT into ${coll} fails on rerun: the document with this _key already exists.`
          : `INSERT into ${coll} runs again on every rerun and adds another copy of the document.`,
        fix:
          hasKey && !op.options
            ? { title: 'Add OPTIONS { overwriteMode: "ignore" }', edits: [{ start: op.collection.end, end: op.collection.end, newText: ' OPTIONS { overwriteMode: "ignore" }' }] }
            : undefined,
      });
    }
  },
};
