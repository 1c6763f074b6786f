// `Model.objects.all().delete()` in a data migration deletes every row each time the migration
// is applied — including rows the application wrote after the first run. So does a scoped delete
// that a later update of the same function feeds: `filter(app_label='core').delete()` followed by
// `filter(app_label='extras').update(app_label='core')` deletes, on a rerun, the rows it moved.
import type { Rule } from '../../types';
import type { DjangoUnit } from '../../python/django';

export const djangoRunpythonDeleteAll: Rule<DjangoUnit> = {
  meta: {
    code: 'django-runpython-delete-all',
    language: 'python',
    tags: ['idempotency', 'data-loss'],
    defaultSeverity: 'warning',
    description: 'A RunPython forward function deletes a whole table (objects.all().delete()), or deletes the rows a later update of the same function moves in.',
    help: 'Delete only the rows the migration is about: .filter(<what this migration replaces>).delete().',
    fixable: false,
  },
  check(unit, ctx) {
    for (const w of unit.writes) {
      if (w.kind !== 'delete' || w.guard) continue;
      ctx.report({
        start: w.start,
        end: w.end,
        message: w.reason ? `In ${w.func}(): ${w.text} — ${w.reason}.` : `In ${w.func}(): ${w.text} deletes every row each time the migration runs, including data written since.`,
      });
    }
  },
};
