// ArangoDB migrations written as JavaScript or TypeScript code calling arangojs (.js, .mjs, .cjs,
// .ts, .mts, .cts files in a migrations folder that use arangojs), parsed with web-tree-sitter's
// JavaScript and TypeScript grammars (../js/arangojs.ts). The AQL of `aql` templates and
// `db.query(…)` strings is handed to the AQL language as embedded code with offsets mapped back
// into the file; the schema calls and document inserts beside it (createCollection, drop, truncate,
// collection.save, …) have rules here.
import type { Language } from '../types';
import { dialectOf, parseArangoJs, type ArangoJsUnit } from '../js/arangojs';
import { aqlJsSchemaChangeUnguarded } from '../rules/aqljs/aqlJsSchemaChangeUnguarded';
import { aqlJsTruncateCollection } from '../rules/aqljs/aqlJsTruncateCollection';
import { aqlJsInsertUnguarded } from '../rules/aqljs/aqlJsInsertUnguarded';

/** Script files a migration tool may run; declaration files are types only. */
const SCRIPT = /\.(m|c)?(j|t)sx?$/i;
const DECLARATIONS = /\.d\.(m|c)?ts$/i;
/** A folder named like migrations (migrations/, migration/, migrate/, db/migrate/ …). */
const MIGRATIONS_DIR = /(^|[\\/])(migrations?|migrate)[\\/]/i;
/** Signs that the file talks to ArangoDB: arangojs, arango-migrate, a project's Arango wrapper, arangosh's db._query. */
const ARANGO = /\b[aA]rango|\baql\s*`|\.(createCollection|createEdgeCollection|ensureIndex|_query|_create|_createDocumentCollection|_createEdgeCollection)\s*\(/;

/** MongoDB has createCollection too; its migrations (migrate-mongo, mongoose) are not ArangoDB's. */
const MONGO = /\bmongo(db|ose)?\b|migrate-mongo/i;

/** Whether a file is an arangojs migration script (the language server and the CLI ask this). */
export function isArangoJsMigration(file: string, text: string): boolean {
  if (!SCRIPT.test(file) || DECLARATIONS.test(file) || !MIGRATIONS_DIR.test(file) || !ARANGO.test(text)) return false;
  return /\barangojs\b/.test(text) || !MONGO.test(text);
}

export const arangoJsLanguage: Language<ArangoJsUnit> = {
  id: 'javascript',
  lineComment: '//',
  matches: isArangoJsMigration,
  parse: async (text, file) => {
    const parsed = await parseArangoJs(text, dialectOf(file), file);
    if (!parsed.ok) return parsed;
    const embedded = parsed.unit.queries.map((q) => {
      const offsets = q.aql.offsets;
      return { language: 'aql' as const, text: q.aql.value, map: (o: number) => offsets[Math.max(0, Math.min(o, offsets.length - 1))]! };
    });
    return { ...parsed, embedded };
  },
  rules: [aqlJsSchemaChangeUnguarded, aqlJsTruncateCollection, aqlJsInsertUnguarded],
};
