// overwriteMode and overwrite only act when the new document's _key is already taken. A literal
// document without _key gets a fresh generated key every run, so the option never fires and each
// rerun inserts a duplicate.
import type { Rule } from '../../types';
import type { AqlUnit } from '../../aql/parser';
import { allOps, isTrue, objectEntries, optionValue, spanOf } from '../../aql/analysis';

export const aqlOverwriteWithoutKey: Rule<AqlUnit> = {
  meta: {
    code: 'aql-overwrite-without-key',
    language: 'aql',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'INSERT … OPTIONS { overwriteMode } of a document literal without _key: the option never applies and every rerun adds a duplicate.',
    help: 'Give the document a stable _key (derived from its natural key), or use UPSERT on the natural key.',
    fixable: false,
  },
  check(unit, ctx) {
    const { tokens } = unit;
    for (const { op } of allOps(unit)) {
      if (op.kind !== 'INSERT' || !op.doc) continue;
      const mode = optionValue(tokens, op, 'overwriteMode');
      if (!mode && !isTrue(tokens, optionValue(tokens, op, 'overwrite'))) continue;
      const entries = objectEntries(tokens, op.doc);
      if (!entries || entries.some((e) => e.key === '_key')) continue;
      ctx.report({ ...spanOf(tokens, op.doc), message: `This document has no _key, so ${mode ? 'overwriteMode' : 'overwrite'} never applies: every rerun inserts another copy.` });
    }
  },
};
