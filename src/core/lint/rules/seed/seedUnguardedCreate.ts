// `Model.create!(…)` in a seed file inserts a new row on every run: the second `db:seed` either
// fails on a unique index or, worse, quietly duplicates the data. find_or_create_by! (or a
// surrounding `unless Model.exists?(…)`) makes the seed safe on an existing database.
import type { Rule } from '../../types';
import { kind, type RubyUnit } from '../../ruby/prism';
import { guardOf, loopOf } from '../../ruby/seeds';

const CREATES: Record<string, string> = { create: 'find_or_create_by', 'create!': 'find_or_create_by!' };

export const seedUnguardedCreate: Rule<RubyUnit> = {
  meta: {
    code: 'seed-unguarded-create',
    language: 'ruby',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'create/create! in a seed file without a find-or-create or an existence check: every run inserts again.',
    help: 'Use find_or_create_by!(natural key) { |r| r.other = … }, upsert with unique_by, or wrap in `unless Model.exists?(…)`.',
    fixable: true,
  },
  check(unit, ctx) {
    for (const info of unit.calls) {
      const call = info.node;
      const replacement = CREATES[call.name];
      if (!replacement || !call.receiver || guardOf(info)) continue;
      const loop = loopOf(info);
      const target = unit.source(call.receiver);
      const args = call.arguments_?.arguments_ ?? [];
      const keywordOnly = args.length === 1 && kind(args[0]) === 'KeywordHashNode' && !call.block;
      const msg = call.messageLoc ? unit.span(call.messageLoc) : unit.span(call.location);
      ctx.report({
        start: unit.span(call.location).start,
        end: unit.span(call.location).end,
        message: loop
          ? `${target}.${call.name} inside \`${loop}\` inserts a new row for every element on every run of the seeds.`
          : `${target}.${call.name} inserts a new row every time the seeds run.`,
        fix: keywordOnly ? { title: `Use ${replacement}`, edits: [{ ...msg, newText: replacement }] } : undefined,
      });
    }
  },
};
