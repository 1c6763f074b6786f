// INSERT without ON CONFLICT or a NOT EXISTS guard inserts the rows again on the second run:
// either a unique_violation stops the migration or the table silently gets duplicates. The anti-join
// that guards it may sit in the SELECT or in a WITH query the SELECT reads (WITH todo AS (… WHERE x
// NOT IN (SELECT … FROM target)) INSERT INTO target SELECT … FROM todo). Rows copied out of a table
// that the file empties afterwards (INSERT INTO new SELECT … FROM old; … DELETE FROM old) are not
// there to copy again on the next run.
import { rangeVars, relKey, relName } from '../../sql/ast';
import { hasAntiJoinOn } from '../../sql/dml';
import { guardedByBlock, sqlRule } from '../../sql/rule';

export const insertWithoutConflictHandling = sqlRule(
  {
    code: 'sql-insert-without-conflict-handling',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'INSERT without ON CONFLICT, WHERE NOT EXISTS or a prior DELETE/TRUNCATE inserts its rows again when the migration runs again.',
    help: 'Add ON CONFLICT (<unique key>) DO NOTHING (or DO UPDATE), or insert with SELECT … WHERE NOT EXISTS (…).',
    fixable: true,
  },
  ['InsertStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (n.onConflictClause) return;
    const table = `rel:${relKey(n.relation)}`;
    if (guardedByBlock(stmt, ['unique_violation', 'exclusion_violation', 'integrity_constraint_violation'])) return;
    if (c.facts.clearedBefore(table, stmt.index) || c.facts.droppedAfter(table, stmt.index)) return;
    if (n.selectStmt && (hasAntiJoinOn(n.selectStmt, new Set([table])) || (n.withClause && hasAntiJoinOn(n.withClause, new Set([table]))))) return;
    const sources = n.selectStmt ? rangeVars(n.selectStmt).map((r) => `rel:${relKey(r)}`).filter((r) => r !== table) : [];
    if (sources.length && sources.every((r) => c.facts.clearedAfter(r, stmt.index))) return;
    let fix;
    if (!stmt.dynamic && stmt.tokens.length) {
      const returning = stmt.tokens.find((t) => t.keyword && t.text === 'RETURNING');
      const at = returning ? returning.start : stmt.end;
      fix = { title: 'Add ON CONFLICT DO NOTHING (needs a unique key on the inserted columns)', edits: [{ start: at, end: at, newText: returning ? 'ON CONFLICT DO NOTHING ' : ' ON CONFLICT DO NOTHING' }] };
    }
    c.report(stmt, `INSERT INTO ${relName(n.relation)} inserts its rows again on the second run (duplicates, or a unique_violation).`, fix);
  },
);
