// CREATE SCHEMA fails with duplicate_schema on the second run unless it says IF NOT EXISTS.
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createSchemaIfNotExists = sqlRule(
  {
    code: 'sql-create-schema-if-not-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE SCHEMA without IF NOT EXISTS fails when the migration runs again.',
    help: 'Write CREATE SCHEMA IF NOT EXISTS.',
    fixable: true,
  },
  ['CreateSchemaStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (n.if_not_exists) return;
    const key = `schema:${n.schemaname}`;
    if (guardedByBlock(stmt, ['duplicate_schema'])) return;
    if (c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
    const fix = insertAfterKeywords(stmt, ['CREATE', 'SCHEMA'], 'IF NOT EXISTS', 'Add IF NOT EXISTS');
    c.report(stmt, `CREATE SCHEMA ${n.schemaname ?? ''} fails on the second run: the schema already exists.`, fix);
  },
);
