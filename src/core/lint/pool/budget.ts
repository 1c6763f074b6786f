// The finding for a file that was not linted because it went over its budget or its worker died:
// one finding at the top of the file, so a CI run fails loudly instead of passing a file that
// nothing checked, and the editor shows why there are no other diagnostics.
import type { Finding, LintOptions } from '../types';

/** The code of the "not linted" finding. */
export const NOT_LINTED_CODE = 'not-linted';

export function budgetFinding(text: string, message: string, options: LintOptions = {}): Finding {
  const end = Math.min(1, text.length);
  return {
    code: NOT_LINTED_CODE,
    severity: options.severity?.[NOT_LINTED_CODE] ?? 'error',
    message: message.startsWith('not linted') ? message : `not linted: ${message}`,
    help: 'Split the file, or raise the budget (--max-file-ms, --max-file-mb) if it is legitimately this large.',
    tags: ['internal'],
    start: 0,
    end,
    startPos: { line: 1, column: 1 },
    endPos: { line: 1, column: end + 1 },
  };
}
