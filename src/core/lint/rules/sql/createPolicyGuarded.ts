// CREATE POLICY has no IF NOT EXISTS and no OR REPLACE: on the second run it fails with
// duplicate_object unless a DROP POLICY IF EXISTS comes first or a DO block guards it.
import { relKey, relName } from '../../sql/ast';
import { guardedByBlock, ident, insertAt, sqlRule } from '../../sql/rule';

export const createPolicyGuarded = sqlRule(
  {
    code: 'sql-create-policy-guarded',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE POLICY without a DROP POLICY IF EXISTS before it fails when the migration runs again.',
    help: 'Put DROP POLICY IF EXISTS <name> ON <table>; before it (CREATE POLICY has no IF NOT EXISTS).',
    fixable: true,
  },
  ['CreatePolicyStmt'],
  (stmt, c) => {
    const n = stmt.node;
    const table = `rel:${relKey(n.table)}`;
    const key = `pol:${relKey(n.table)}.${n.policy_name}`;
    if (guardedByBlock(stmt, ['duplicate_object'])) return;
    if (c.facts.freshTable(table, stmt.index) || c.facts.droppedBefore(key, stmt.index, table) || c.facts.droppedAfter(key, stmt.index, table)) return;
    const on = n.table?.schemaname ? `${ident(n.table.schemaname)}.${ident(n.table.relname)}` : ident(String(n.table?.relname));
    c.report(
      stmt,
      `CREATE POLICY ${n.policy_name} on ${relName(n.table)} fails on the second run: the policy already exists.`,
      insertAt(stmt.start, `DROP POLICY IF EXISTS ${ident(n.policy_name)} ON ${on};\n`, 'Drop the policy first if it exists'),
    );
  },
);
