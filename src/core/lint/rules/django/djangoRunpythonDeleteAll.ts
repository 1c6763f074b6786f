// `Model.objects.all().delete()` in a data migration deletes every row each time the migration
// is applied — including rows the application wrote after the first run.
import type { Rule } from '../../types';
import type { DjangoUnit } from '../../python/django';

export const djangoRunpythonDeleteAll: Rule<DjangoUnit> = {
  meta: {
    code: 'django-runpython-delete-all',
    language: 'python',
    tags: ['idempotency', 'data-loss'],
    defaultSeverity: 'warning',
    description: 'A RunPython forward function deletes a whole table (objects.all().delete()).',
    help: 'Delete only the rows the migration is about: .filter(<what this migration replaces>).delete().',
    fixable: false,
  },
  check(unit, ctx) {
    for (const w of unit.writes) {
      if (w.kind !== 'delete' || w.guard) continue;
      ctx.report({ start: w.start, end: w.end, message: `In ${w.func}(): ${w.text} deletes every row each time the migration runs, including data written since.` });
    }
  },
};
