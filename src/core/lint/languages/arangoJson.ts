// ArangoDB schema-migration files: JSON (comments allowed) with an "operations" array, see
// ../aql/schemaMigration.ts; the same format Greenlight's runner applies (one contract: the runner
// makes every create/drop/rename operation idempotent, the linter does not ask for flags). The "query" of every {"type": "aql"} operation is AQL, linted by the
// AQL rules with positions mapped back through the JSON string's escapes.
import type { Language, ParseResult } from '../types';
import { member } from '../aql/json';
import { operationStatements, parseSchemaMigration, SchemaMigrationError, type SchemaMigrationUnit } from '../aql/schemaMigration';
import { aqlJsonTruncateCollection } from '../rules/aql/aqlJsonTruncateCollection';
import { aqlJsonUnknownOperation } from '../rules/aql/aqlJsonUnknownOperation';

function parse(text: string): ParseResult<SchemaMigrationUnit> {
  try {
    const unit = parseSchemaMigration(text);
    const embedded = [];
    for (const op of unit.operations) {
      if (op.type?.value !== 'aql') continue;
      const q = member(op.node, 'query');
      if (q?.kind !== 'string') continue;
      const offsets = q.offsets;
      embedded.push({ language: 'aql' as const, text: q.value, map: (o: number) => offsets[Math.max(0, Math.min(o, offsets.length - 1))]! });
    }
    return { ok: true, unit, statements: operationStatements(unit), comments: unit.comments, embedded };
  } catch (e) {
    if (e instanceof SchemaMigrationError) return { ok: false, start: e.start, end: e.end, message: e.message };
    throw e;
  }
}

export const arangoJsonLanguage: Language<SchemaMigrationUnit> = {
  id: 'arango-json',
  lineComment: '//',
  // Any .json file with an "operations" key: migration folders vary between projects.
  matches: (file, text) => /\.json$/i.test(file) && /"operations"\s*:/.test(text),
  parse: async (text) => parse(text),
  // No rule for create_*, drop_* or rename_collection: Greenlight's runner applies them
  // idempotently (src/core/migrate/arango/schemaOps.ts), so a rerun neither fails nor changes
  // anything. truncate_collection is run again on a rerun and deletes newer data: that one is flagged.
  rules: [aqlJsonTruncateCollection, aqlJsonUnknownOperation],
};
