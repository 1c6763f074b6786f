// CREATE TABLE fails with duplicate_table on the second run unless it says IF NOT EXISTS, the file
// dropped the table first, or a DO block guards it.
import { relName } from '../../sql/ast';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createTableIfNotExists = sqlRule(
  {
    code: 'sql-create-table-if-not-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE TABLE (and CREATE TABLE AS, SELECT INTO) without IF NOT EXISTS fails when the migration runs again.',
    help: 'Write CREATE TABLE IF NOT EXISTS, or DROP TABLE IF EXISTS first when the table holds nothing to keep.',
    fixable: true,
  },
  ['CreateStmt', 'CreateTableAsStmt', 'SelectStmt'],
  (stmt, c) => {
    const n = stmt.node;
    let rel;
    if (stmt.kind === 'CreateStmt') {
      if (n.if_not_exists) return;
      rel = n.relation;
    } else if (stmt.kind === 'CreateTableAsStmt') {
      if (n.if_not_exists || n.objtype !== 'OBJECT_TABLE') return;
      rel = n.into?.rel;
    } else {
      if (!n.intoClause) return;
      rel = n.intoClause.rel;
    }
    // Temporary tables vanish with the session, so each run starts without them.
    if (rel?.relpersistence === 't') return;
    const key = `rel:${rel?.schemaname ?? 'public'}.${rel?.relname}`;
    if (guardedByBlock(stmt, ['duplicate_table'])) return;
    if (c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
    const fix = stmt.kind === 'SelectStmt' ? undefined : insertAfterKeywords(stmt, ['CREATE', 'UNLOGGED?', 'TABLE'], 'IF NOT EXISTS', 'Add IF NOT EXISTS');
    c.report(stmt, `CREATE TABLE ${relName(rel)} fails on the second run: the table already exists.`, fix);
  },
);
