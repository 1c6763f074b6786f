// INSERT … ON CONFLICT DO UPDATE is re-runnable only if the update writes the same values again:
// `SET hits = t.hits + EXCLUDED.hits` or `SET updated_at = now()` change the row on every run
// unless a WHERE on the conflict action skips rows that already hold the new values. MERGE … WHEN
// MATCHED THEN UPDATE is the same upsert spelled differently: `SET qty = s.qty + i.qty` adds the
// source again on every run (unless the WHEN clause has an AND condition that skips done rows).
import { bodyOf, relName } from '../../sql/ast';
import { assignmentChanges, targetOf } from '../../sql/dml';
import { sqlRule } from '../../sql/rule';

export const upsertChangesOnRerun = sqlRule(
  {
    code: 'sql-upsert-changes-on-rerun',
    tags: ['idempotency'],
    defaultSeverity: 'warning',
    description: 'ON CONFLICT DO UPDATE (or MERGE … WHEN MATCHED THEN UPDATE) that accumulates (col = t.col + …) or writes now()/random values changes the data again when the migration runs again.',
    help: 'Assign from EXCLUDED or constants only, or add WHERE (t.col IS DISTINCT FROM EXCLUDED.col) to the DO UPDATE.',
    fixable: false,
  },
  ['InsertStmt', 'MergeStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (stmt.kind === 'MergeStmt') {
      const target = targetOf(n.relation);
      for (const w of n.mergeWhenClauses ?? []) {
        const when = bodyOf(w, 'MergeWhenClause');
        if (!when || when.commandType !== 'CMD_UPDATE' || when.condition) continue;
        const assigned = new Set<string>();
        for (const t of when.targetList ?? []) {
          const rt = bodyOf(t, 'ResTarget');
          if (rt?.name) assigned.add(rt.name);
        }
        for (const t of when.targetList ?? []) {
          const rt = bodyOf(t, 'ResTarget');
          const why = rt?.name ? assignmentChanges(rt.name, rt.val, assigned, target) : undefined;
          if (why) {
            c.report(stmt, `MERGE … WHEN MATCHED THEN UPDATE of ${relName(n.relation)} changes ${rt.name} again on the second run: ${why}.`);
            return;
          }
        }
      }
      return;
    }
    const oc = n.onConflictClause;
    if (oc?.action !== 'ONCONFLICT_UPDATE') return;
    if (oc.whereClause) return;
    const target = targetOf(n.relation);
    const assigned = new Set<string>();
    for (const t of oc.targetList ?? []) {
      const rt = bodyOf(t, 'ResTarget');
      if (rt?.name) assigned.add(rt.name);
    }
    for (const t of oc.targetList ?? []) {
      const rt = bodyOf(t, 'ResTarget');
      if (!rt?.name) continue;
      const why = assignmentChanges(rt.name, rt.val, assigned, target, true);
      if (why) {
        c.report(stmt, `ON CONFLICT DO UPDATE of ${relName(n.relation)} changes ${rt.name} again on the second run: ${why}.`);
        return;
      }
    }
  },
);
