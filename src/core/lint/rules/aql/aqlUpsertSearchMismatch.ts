// UPSERT is re-runnable only when the document it inserts is found by its own search on the next
// run. If the INSERT part leaves out a searched attribute (or gives it another value), the search
// never matches what was inserted and every rerun inserts again.
import type { Rule } from '../../types';
import type { AqlUnit, TokenRange } from '../../aql/parser';
import type { AqlToken } from '../../aql/tokenizer';
import { allOps, calls, objectEntries, spanOf, VOLATILE_FUNCTIONS } from '../../aql/analysis';

function sameTokens(tokens: readonly AqlToken[], a: TokenRange, b: TokenRange): boolean {
  if (a.to - a.from !== b.to - b.from) return false;
  for (let j = 0; j < a.to - a.from; j++) {
    const x = tokens[a.from + j]!;
    const y = tokens[b.from + j]!;
    if (x.kind !== y.kind || x.value !== y.value) return false;
  }
  return true;
}

export const aqlUpsertSearchMismatch: Rule<AqlUnit> = {
  meta: {
    code: 'aql-upsert-search-mismatch',
    language: 'aql',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'UPSERT whose INSERT document would not be found by its own search expression, so every rerun inserts again.',
    help: 'Insert every searched attribute with the same value as in the search (e.g. INSERT MERGE(search, {...})).',
    fixable: false,
  },
  check(unit, ctx) {
    const { tokens } = unit;
    for (const { op } of allOps(unit)) {
      if (op.kind !== 'UPSERT' || !op.doc || !op.upsertInsert) continue;
      const vol = calls(tokens, op.doc).find((c) => VOLATILE_FUNCTIONS.has(c.name));
      if (vol) {
        ctx.report({ ...spanOf(tokens, op.doc), message: `The UPSERT search uses ${vol.token.value}(), which differs on every run, so it never finds the document inserted before.` });
        continue;
      }
      const search = objectEntries(tokens, op.doc);
      const insert = objectEntries(tokens, op.upsertInsert);
      if (!search || !insert) continue;
      for (const s of search) {
        const ins = insert.find((e) => e.key === s.key);
        if (!ins) {
          ctx.report({ ...spanOf(tokens, op.upsertInsert), message: `UPSERT searches on "${s.key}" but the INSERT document has no "${s.key}", so every rerun inserts another document.` });
          break;
        }
        if (!sameTokens(tokens, s.value, ins.value)) {
          ctx.report({ start: ins.keyToken.start, end: tokens[ins.value.to - 1]!.end, message: `UPSERT searches "${s.key}" for one value but inserts another, so a rerun does not find the inserted document.` });
          break;
        }
      }
    }
  },
};
