// The SQL rules can only check SQL they can read. RunSQL with an f-string, a variable or a
// computed string is reported once so that nobody mistakes "no findings" for "checked".
import type { Rule } from '../../types';
import type { DjangoUnit } from '../../python/django';

export const djangoRunsqlNotLiteral: Rule<DjangoUnit> = {
  meta: {
    code: 'django-runsql-not-literal',
    language: 'python',
    tags: ['coverage'],
    defaultSeverity: 'info',
    description: 'RunSQL whose SQL is not a string literal (f-string, variable, computed), so its idempotency cannot be checked.',
    help: 'Write the SQL as a string literal (or a list of literals) so it can be linted, or review it by hand.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const d of unit.dynamicSql) ctx.report({ start: d.start, end: d.end, message: `This RunSQL's SQL is ${d.why}; Greenlight cannot check it for idempotency.` });
  },
};
