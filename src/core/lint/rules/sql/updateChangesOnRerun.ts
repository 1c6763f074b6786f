// An UPDATE is re-runnable when a second run writes the same values: constants, other columns,
// idempotent functions of the column (lower(email)). It is not when it computes a column from its
// own value (x = x + 1), writes now()/random(), or reads a column it also changes — unless the
// WHERE clause stops matching the rows it has already updated (WHERE migrated IS NOT TRUE with
// SET migrated = true, WHERE unit = 'dollars' with SET unit = 'cents').
import { bodyOf, relKey, relName } from '../../sql/ast';
import { assignmentChanges, hasAntiJoinOn, targetOf, whereExcludesUpdated } from '../../sql/dml';
import { guardedByBlock, sqlRule } from '../../sql/rule';

export const updateChangesOnRerun = sqlRule(
  {
    code: 'sql-update-changes-on-rerun',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'UPDATE that computes a column from itself (x = x + 1), writes now()/random(), or swaps columns changes the data again when the migration runs again.',
    help: 'Make the WHERE clause skip rows already migrated (for example set a marker column and filter on it), or assign values that do not depend on the current row.',
    fixable: false,
  },
  ['UpdateStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (guardedByBlock(stmt, [])) return;
    const table = `rel:${relKey(n.relation)}`;
    if (c.facts.freshTable(table, stmt.index) || c.facts.droppedAfter(table, stmt.index)) return;
    const target = targetOf(n.relation);
    const assigned = new Set<string>();
    for (const t of n.targetList ?? []) {
      const rt = bodyOf(t, 'ResTarget');
      if (rt?.name) assigned.add(rt.name);
    }
    for (const t of n.targetList ?? []) {
      const rt = bodyOf(t, 'ResTarget');
      if (!rt?.name) continue;
      const why = assignmentChanges(rt.name, rt.val, assigned, target);
      if (!why) continue;
      if (whereExcludesUpdated(n.whereClause, n.targetList ?? [], target)) return;
      // A marker row: WHERE NOT EXISTS (SELECT 1 FROM data_migrations …) with the file inserting the marker.
      if (n.whereClause && hasAntiJoinOn(n.whereClause, c.facts.insertTargets())) return;
      c.report(stmt, `UPDATE ${relName(n.relation)} changes ${rt.name} again on the second run: ${why}.`);
      return;
    }
  },
);
