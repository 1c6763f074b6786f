// Documents inserted with the arangojs collection API (collection.save, saveAll, import) rather
// than AQL: on a rerun a document without _key is added again, and one with a _key fails with
// "unique constraint violated" (ArangoDB error 1210), unless an overwrite option or a check of
// what is already there makes the rerun skip it. The AQL equivalent is aql-insert-without-guard.
import type { Rule } from '../../types';
import type { ArangoJsUnit } from '../../js/arangojs';

export const aqlJsInsertUnguarded: Rule<ArangoJsUnit> = {
  meta: {
    code: 'aql-js-insert-unguarded',
    language: 'javascript',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'collection.save/saveAll/import in a migration inserts its documents again on a rerun, or fails on their _key, unless something makes the rerun skip them.',
    help: 'Give the documents a _key and pass { overwriteMode: "ignore" } (onDuplicate: "ignore" for import), or check with collection.documentExists(key) first.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const i of unit.inserts) {
      if (i.guard) continue;
      const why = i.keyed ? 'fails on rerun: a document with this _key already exists (unique constraint violated, 1210)' : 'adds another copy of the document on every rerun';
      ctx.report({ start: i.start, end: i.end, message: `${i.text} ${why}.` });
    }
  },
};
