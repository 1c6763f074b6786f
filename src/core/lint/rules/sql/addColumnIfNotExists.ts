// ALTER TABLE … ADD COLUMN fails with duplicate_column on the second run unless it says IF NOT
// EXISTS. A column added to a table the same file has just created (or dropped) is new every run,
// and so is one dropped just before (an earlier statement, or DROP COLUMN x, ADD COLUMN x in one
// ALTER TABLE).
import { bodyOf, relKey, relName } from '../../sql/ast';
import { guardedByBlock, insertAt, sqlRule } from '../../sql/rule';

export const addColumnIfNotExists = sqlRule(
  {
    code: 'sql-add-column-if-not-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'ALTER TABLE … ADD COLUMN without IF NOT EXISTS fails when the migration runs again.',
    help: 'Write ADD COLUMN IF NOT EXISTS.',
    fixable: true,
  },
  ['AlterTableStmt'],
  (stmt, c) => {
    const table = `rel:${relKey(stmt.node.relation)}`;
    if (c.facts.freshTable(table, stmt.index) || c.facts.droppedAfter(table, stmt.index)) return;
    if (guardedByBlock(stmt, ['duplicate_column'])) return;
    const droppedHere = new Set<string>();
    for (const item of stmt.node.cmds ?? []) {
      const cmd = bodyOf(item, 'AlterTableCmd');
      if (cmd?.subtype === 'AT_DropColumn') droppedHere.add(String(cmd.name));
      if (cmd?.subtype !== 'AT_AddColumn' || cmd.missing_ok) continue;
      const def = bodyOf(cmd.def, 'ColumnDef');
      if (droppedHere.has(String(def?.colname))) continue;
      const key = `col:${relKey(stmt.node.relation)}.${def?.colname}`;
      if (c.facts.droppedBefore(key, stmt.index, table) || c.facts.droppedAfter(key, stmt.index, table)) continue;
      const at = stmt.at(def?.location);
      c.report(
        stmt,
        `ADD COLUMN ${def?.colname} on ${relName(stmt.node.relation)} fails on the second run: the column already exists.`,
        def?.location !== undefined ? insertAt(at, 'IF NOT EXISTS ', 'Add IF NOT EXISTS') : undefined,
      );
    }
  },
);
