// Most DELETEs are re-runnable: the second run finds nothing left to delete. Not when the WHERE
// picks rows relative to what is left: "the oldest 100", "the row with the highest id",
// a random sample. Each run then deletes more.
import { bodyOf, funcName, rangeVars, relKey, relName, some, walk } from '../../sql/ast';
import { guardedByBlock, sqlRule } from '../../sql/rule';

const AGGREGATES = new Set(['min', 'max', 'count', 'avg', 'sum', 'percentile_cont', 'percentile_disc', 'first_value', 'last_value']);

export const deleteChangesOnRerun = sqlRule(
  {
    code: 'sql-delete-changes-on-rerun',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'DELETE that picks rows relative to the remaining ones (LIMIT, ORDER BY, min/max of the same table, random()) deletes more rows when the migration runs again.',
    help: 'Select the rows to delete by a stable property (ids, a status, a date) so the second run finds nothing left to delete.',
    fixable: false,
  },
  ['DeleteStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (!n.whereClause || guardedByBlock(stmt, [])) return;
    const table = `rel:${relKey(n.relation)}`;
    if (some(n.whereClause, (k, b) => k === 'FuncCall' && funcName(b) === 'random')) {
      c.report(stmt, `DELETE FROM ${relName(n.relation)} picks rows at random: every run deletes more.`);
      return;
    }
    // Walk the WHERE, remembering whether we are under NOT: "keep the min id per group" (NOT IN)
    // is stable; "delete the min id" (IN, =) is not.
    let relative = false;
    const visit = (node: unknown, negated: boolean): void => {
      if (relative || !node || typeof node !== 'object') return;
      const bool = bodyOf(node, 'BoolExpr');
      if (bool) {
        for (const a of bool.args ?? []) visit(a, negated !== (bool.boolop === 'NOT_EXPR'));
        return;
      }
      const sub = bodyOf(node, 'SubLink');
      if (sub) {
        if (negated || sub.subLinkType === 'EXISTS_SUBLINK') return;
        const sel = bodyOf(sub.subselect, 'SelectStmt');
        if (!sel || !rangeVars(sel).some((r) => `rel:${relKey(r)}` === table)) return;
        let picks = Boolean(sel.limitCount || sel.limitOffset || sel.sortClause);
        walk(sel.targetList, (k, b) => {
          if (k === 'FuncCall' && AGGREGATES.has(funcName(b))) picks = true;
          return undefined;
        });
        if (picks) relative = true;
        return;
      }
      if (Array.isArray(node)) for (const x of node) visit(x, negated);
      else for (const v of Object.values(node as object)) visit(v, negated);
    };
    visit(n.whereClause, false);
    if (relative) c.report(stmt, `DELETE FROM ${relName(n.relation)} picks rows relative to the rows left (LIMIT, ORDER BY, min/max): every run deletes more.`);
  },
);
