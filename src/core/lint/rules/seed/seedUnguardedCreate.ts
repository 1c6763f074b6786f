// `Model.create!(…)` in a seed file inserts a new row on every run: the second `db:seed` either
// fails on a unique index or, worse, quietly duplicates the data. find_or_create_by! (or a
// surrounding `unless Model.exists?(…)`) makes the seed safe on an existing database. A create
// service object (`Invoices::CreateOneOffService.call!(…)`, `Subscriptions::CreateService.call`)
// is the same write behind a class: unguarded, it creates again on every run.
import type * as Prism from '@ruby/prism';
import type { Rule } from '../../types';
import { kind, type RubyUnit } from '../../ruby/prism';
import { constantName, guardOf, loopOf } from '../../ruby/seeds';

const CREATES: Record<string, string> = { create: 'find_or_create_by', 'create!': 'find_or_create_by!' };

/** `Foo::CreateBarService.call(!)`: a service object whose name says it creates. */
function isCreateService(call: Prism.CallNode): boolean {
  return (call.name === 'call' || call.name === 'call!') && /^Create\w*Service$/.test(constantName(call.receiver));
}

export const seedUnguardedCreate: Rule<RubyUnit> = {
  meta: {
    code: 'seed-unguarded-create',
    language: 'ruby',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'create/create! (or a Create…Service.call) in a seed file without a find-or-create or an existence check: every run inserts again.',
    help: 'Use find_or_create_by!(natural key) { |r| r.other = … }, upsert with unique_by, or wrap in `unless Model.exists?(…)`.',
    fixable: true,
  },
  check(unit, ctx) {
    for (const info of unit.calls) {
      const call = info.node;
      const replacement = CREATES[call.name];
      const service = !replacement && isCreateService(call);
      if ((!replacement && !service) || !call.receiver || guardOf(info, unit)) continue;
      const loop = loopOf(info);
      const target = unit.source(call.receiver);
      const args = call.arguments_?.arguments_ ?? [];
      const keywordOnly = !service && args.length === 1 && kind(args[0]) === 'KeywordHashNode' && !call.block;
      const msg = call.messageLoc ? unit.span(call.messageLoc) : unit.span(call.location);
      ctx.report({
        start: unit.span(call.location).start,
        end: unit.span(call.location).end,
        message: service
          ? `${target}.${call.name} runs a create service with no existence check: every run of the seeds creates again${loop ? ` (for every element of \`${loop}\`)` : ''}.`
          : loop
            ? `${target}.${call.name} inside \`${loop}\` inserts a new row for every element on every run of the seeds.`
            : `${target}.${call.name} inserts a new row every time the seeds run.`,
        fix: keywordOnly && replacement ? { title: `Use ${replacement}`, edits: [{ ...msg, newText: replacement }] } : undefined,
      });
    }
  },
};
