// `Model.objects.update(counter=F('counter') + 1)` or `.update(migrated_at=timezone.now())` in a
// RunPython migration changes the data again every time the migration is re-applied, unless the
// queryset is filtered on a field the update writes (so the second run matches nothing).
import type { Rule } from '../../types';
import type { DjangoUnit } from '../../python/django';

export const djangoRunpythonUpdateNotIdempotent: Rule<DjangoUnit> = {
  meta: {
    code: 'django-runpython-update-not-idempotent',
    language: 'python',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'A RunPython forward function updates a field from its own value (F(...) arithmetic) or from the clock, with no filter on the fields it writes.',
    help: "Filter the queryset on a field the update writes (e.g. .filter(schema_version__lt=2).update(schema_version=2, ...)), or write constant values.",
    fixable: false,
  },
  check(unit, ctx) {
    for (const w of unit.writes) {
      if (w.kind !== 'update' || w.guard) continue;
      ctx.report({ start: w.start, end: w.end, message: `In ${w.func}(): update() sets "${w.field}" so that ${w.reason}; every rerun changes it again.` });
    }
  },
};
