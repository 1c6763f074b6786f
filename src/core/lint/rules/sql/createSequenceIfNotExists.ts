// CREATE SEQUENCE fails with duplicate_table on the second run unless it says IF NOT EXISTS.
import { relName } from '../../sql/ast';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createSequenceIfNotExists = sqlRule(
  {
    code: 'sql-create-sequence-if-not-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE SEQUENCE without IF NOT EXISTS fails when the migration runs again.',
    help: 'Write CREATE SEQUENCE IF NOT EXISTS.',
    fixable: true,
  },
  ['CreateSeqStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (n.if_not_exists || n.sequence?.relpersistence === 't') return;
    const key = `rel:${n.sequence?.schemaname ?? 'public'}.${n.sequence?.relname}`;
    if (guardedByBlock(stmt, ['duplicate_table'])) return;
    if (c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
    const fix = insertAfterKeywords(stmt, ['CREATE', 'UNLOGGED?', 'SEQUENCE'], 'IF NOT EXISTS', 'Add IF NOT EXISTS');
    c.report(stmt, `CREATE SEQUENCE ${relName(n.sequence)} fails on the second run: the sequence already exists.`, fix);
  },
);
