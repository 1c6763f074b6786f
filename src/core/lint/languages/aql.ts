// ArangoDB AQL files (*.aql): one or more queries, parsed by the small structural parser in
// ../aql/parser.ts. Suppressions use `//` comments; a `// greenlight-ignore <code>` line applies to
// the next query, or to the next operation when it sits inside a query.
import type { Language, ParseResult } from '../types';
import { AqlSyntaxError, aqlStatements, parseAql, type AqlUnit } from '../aql/parser';
import { aqlUpdateNotIdempotent } from '../rules/aql/aqlUpdateNotIdempotent';
import { aqlInsertWithoutGuard } from '../rules/aql/aqlInsertWithoutGuard';
import { aqlOverwriteWithoutKey } from '../rules/aql/aqlOverwriteWithoutKey';
import { aqlUpsertSearchMismatch } from '../rules/aql/aqlUpsertSearchMismatch';
import { aqlUnfilteredRemove } from '../rules/aql/aqlUnfilteredRemove';
import { aqlRemoveWithoutIgnoreErrors } from '../rules/aql/aqlRemoveWithoutIgnoreErrors';

export function parseAqlText(text: string): ParseResult<AqlUnit> {
  try {
    const unit = parseAql(text);
    return { ok: true, unit, statements: aqlStatements(unit), comments: unit.comments };
  } catch (e) {
    if (e instanceof AqlSyntaxError) return { ok: false, start: e.start, end: Math.max(e.end, e.start), message: `AQL syntax error: ${e.message}` };
    throw e;
  }
}

export const aqlLanguage: Language<AqlUnit> = {
  id: 'aql',
  lineComment: '//',
  matches: (file) => /\.aql$/i.test(file),
  parse: async (text) => parseAqlText(text),
  rules: [aqlUpdateNotIdempotent, aqlInsertWithoutGuard, aqlOverwriteWithoutKey, aqlUpsertSearchMismatch, aqlUnfilteredRemove, aqlRemoveWithoutIgnoreErrors],
};
