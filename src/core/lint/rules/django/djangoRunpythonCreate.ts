// A RunPython data migration that calls objects.create()/bulk_create() or saves a new instance
// inserts again when the migration is re-applied (after a rollback, a faked migration, a restore):
// duplicates or an IntegrityError. get_or_create/update_or_create, bulk_create(ignore_conflicts=True)
// or an existence check make it re-runnable.
import type { Rule } from '../../types';
import type { DjangoUnit } from '../../python/django';

const HOW: Record<string, string> = {
  create: 'objects.create() inserts a new row',
  bulk_create: 'bulk_create() without ignore_conflicts=True inserts the rows again',
  save: 'save() of a new instance inserts a new row',
};

export const djangoRunpythonCreate: Rule<DjangoUnit> = {
  meta: {
    code: 'django-runpython-create',
    language: 'python',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'A RunPython forward function creates rows with objects.create(), bulk_create() or Model(...).save() without a guard.',
    help: 'Use get_or_create()/update_or_create() on a natural key, bulk_create(..., ignore_conflicts=True) with a unique constraint, or check .exists() first.',
    fixable: true,
  },
  check(unit, ctx) {
    for (const w of unit.writes) {
      if (!['create', 'bulk_create', 'save'].includes(w.kind) || w.guard) continue;
      const createAt = w.kind === 'create' ? ctx.text.lastIndexOf('.create(', w.end) : -1;
      ctx.report({
        start: w.start,
        end: w.end,
        message: `In ${w.func}(): ${HOW[w.kind]}${w.loop ? ` for every iteration of the ${w.loop} loop` : ''} each time the migration runs.`,
        fix:
          createAt > w.start && createAt < w.end
            ? { title: 'Use get_or_create()', edits: [{ start: createAt + 1, end: createAt + 7, newText: 'get_or_create' }] }
            : undefined,
      });
    }
  },
};
