// `record = Model.new(…); record.save!` is create! spelled in two lines, with the same problem: each
// run inserts another row. find_or_initialize_by(…) followed by save! is the re-runnable form.
import type * as Prism from '@ruby/prism';
import type { Rule } from '../../types';
import { kind, type RubyUnit } from '../../ruby/prism';
import { FIND_OR_CREATE, guardOf, loopOf } from '../../ruby/seeds';

function isNew(node: Prism.Node | null): boolean {
  return kind(node) === 'CallNode' && (node as Prism.CallNode).name === 'new' && ['ConstantReadNode', 'ConstantPathNode'].includes(kind((node as Prism.CallNode).receiver));
}

export const seedNewSave: Rule<RubyUnit> = {
  meta: {
    code: 'seed-new-save',
    language: 'ruby',
    tags: ['idempotency', 'correctness'],
    defaultSeverity: 'warning',
    description: 'Model.new(…) followed by save/save! in a seed file: every run inserts another row.',
    help: 'Use Model.find_or_initialize_by(natural key), set the other attributes, then save!.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const info of unit.calls) {
      const call = info.node;
      if ((call.name !== 'save' && call.name !== 'save!') || !call.receiver) continue;
      let fromNew = isNew(call.receiver);
      const r = call.receiver;
      if (!fromNew && (kind(r) === 'LocalVariableReadNode' || kind(r) === 'InstanceVariableReadNode')) {
        const name = (r as Prism.LocalVariableReadNode).name;
        // The last assignment to the variable before this save decides where the record came from.
        const last = unit.assignments.filter((a) => (a.node as Prism.LocalVariableWriteNode).name === name && a.node.location.startOffset < call.location.startOffset).pop();
        const value = last && (last.node as Prism.LocalVariableWriteNode).value;
        if (value && kind(value) === 'CallNode' && FIND_OR_CREATE.has((value as Prism.CallNode).name)) continue;
        fromNew = isNew(value ?? null);
      }
      if (!fromNew || guardOf(info, unit)) continue;
      const loop = loopOf(info);
      ctx.report({
        ...unit.span(call.location),
        message: `${unit.source(r)}.${call.name} saves a record built with .new, inserting a new row ${loop ? `for every element of \`${loop}\` ` : ''}on every run of the seeds.`,
      });
    }
  },
};
