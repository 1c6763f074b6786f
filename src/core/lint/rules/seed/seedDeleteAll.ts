// Seeds that start with `User.delete_all` (or destroy_all, or a TRUNCATE) "work" on an empty
// development database and wipe real data when they run against one that has been used. Reruns
// must add what is missing, not start over.
import type * as Prism from '@ruby/prism';
import type { Rule } from '../../types';
import { kind, type RubyUnit } from '../../ruby/prism';

const WIPES = new Set(['delete_all', 'destroy_all']);
const TRUNCATES = new Set(['truncate', 'truncate_tables', 'truncate_table']);

function unscoped(receiver: Prism.Node | null): boolean {
  const k = kind(receiver);
  if (k === 'ConstantReadNode' || k === 'ConstantPathNode') return true;
  if (k === 'CallNode') {
    const c = receiver as Prism.CallNode;
    return (c.name === 'all' || c.name === 'unscoped') && unscoped(c.receiver);
  }
  return false;
}

function sqlString(node: Prism.Node | undefined): string | undefined {
  if (kind(node) === 'StringNode') return (node as Prism.StringNode).unescaped.value;
  return undefined;
}

export const seedDeleteAll: Rule<RubyUnit> = {
  meta: {
    code: 'seed-delete-all',
    language: 'ruby',
    tags: ['idempotency', 'data-loss'],
    defaultSeverity: 'warning',
    description: 'delete_all/destroy_all on a whole table, or TRUNCATE, in a seed file: every run wipes the data written since.',
    help: 'Seed with find_or_create_by!/upsert_all(unique_by:) so reruns only add what is missing; delete only named rows.',
    fixable: false,
  },
  check(unit, ctx) {
    for (const { node: call } of unit.calls) {
      let what: string | undefined;
      if (WIPES.has(call.name) && unscoped(call.receiver)) what = `${unit.source(call.receiver!)}.${call.name} deletes every row`;
      else if (TRUNCATES.has(call.name) && call.receiver) what = `${call.name} empties the table`;
      else if ((call.name === 'execute' || call.name === 'exec_query') && call.receiver) {
        const sql = sqlString(call.arguments_?.arguments_[0]);
        if (sql && (/^\s*truncate\b/i.test(sql) || (/^\s*delete\s+from\b/i.test(sql) && !/\bwhere\b/i.test(sql)))) what = `${call.name}("${sql.trim().split(/\s+/).slice(0, 3).join(' ')} …") deletes every row`;
      }
      if (!what) continue;
      ctx.report({ ...unit.span(call.location), message: `${what} on every run of the seeds, including data created since the last run.` });
    }
  },
};
