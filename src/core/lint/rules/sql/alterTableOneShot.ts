// Some ALTER TABLE actions have no IF [NOT] EXISTS form and fail when already applied: adding an
// identity, INHERIT, ATTACH/DETACH PARTITION, OF type. They need a DO-block guard.
import { bodyOf, relKey, relName } from '../../sql/ast';
import { guardedByBlock, sqlRule } from '../../sql/rule';

const ACTIONS: Record<string, string> = {
  AT_AddIdentity: 'ADD GENERATED … AS IDENTITY (the column already is an identity column)',
  AT_AddInherit: 'INHERIT (the table already inherits from it)',
  AT_AttachPartition: 'ATTACH PARTITION (it is already a partition)',
  AT_DetachPartition: 'DETACH PARTITION (it is no longer a partition)',
  AT_AddOf: 'OF <type> (the table is already typed)',
};

export const alterTableOneShot = sqlRule(
  {
    code: 'sql-alter-table-one-shot',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'ALTER TABLE actions without an IF EXISTS form (ADD … AS IDENTITY, INHERIT, ATTACH/DETACH PARTITION, OF) fail when the migration runs again.',
    help: 'Guard the statement in a DO block that checks the catalog (pg_attribute.attidentity, pg_inherits) first.',
    fixable: false,
  },
  ['AlterTableStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (guardedByBlock(stmt, ['object_not_in_prerequisite_state', 'duplicate_object', 'invalid_table_definition', 'undefined_table', 'wrong_object_type'])) return;
    if (c.facts.freshTable(`rel:${relKey(n.relation)}`, stmt.index)) return;
    for (const item of n.cmds ?? []) {
      const cmd = bodyOf(item, 'AlterTableCmd');
      const what = cmd && ACTIONS[cmd.subtype];
      if (what) c.report(stmt, `ALTER TABLE ${relName(n.relation)} ${what.split(' (')[0]} fails on the second run (${what.split(' (')[1]}.`);
    }
  },
);
