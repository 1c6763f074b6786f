// arangojs schema calls that fail on the second run: creating what exists ("duplicate name",
// ArangoDB error 1207), dropping or renaming what is gone ("collection or view not found", 1203;
// "index not found", 1212). Unlike Greenlight's JSON schema operations, which its runner applies
// idempotently, a script's calls run as written, so they need their own guard. ensureIndex is
// idempotent in ArangoDB itself and is never reported.
import type { Rule } from '../../types';
import type { ArangoJsUnit } from '../../js/arangojs';

const WHY: Record<string, string> = {
  create: 'it already exists after the first run (duplicate name, error 1207)',
  drop: 'it is already gone after the first run (not found, error 1203/1212)',
  rename: 'the old name is gone after the first run (not found, error 1203)',
};

export const aqlJsSchemaChangeUnguarded: Rule<ArangoJsUnit> = {
  meta: {
    code: 'aql-js-schema-change-unguarded',
    language: 'javascript',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'An arangojs createCollection/create/drop/rename call without an existence check fails when the migration runs again.',
    help: 'Check first (`if (!(await db.collection("x").exists())) await db.createCollection("x")`), or catch the duplicate-name / not-found error.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const c of unit.schemaCalls) {
      const why = WHY[c.kind];
      if (!why || c.guard) continue;
      ctx.report({ start: c.start, end: c.end, message: `${c.text} fails on rerun: ${why}.` });
    }
  },
};
