// CREATE EXTENSION fails with duplicate_object on the second run unless it says IF NOT EXISTS.
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createExtensionIfNotExists = sqlRule(
  {
    code: 'sql-create-extension-if-not-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE EXTENSION without IF NOT EXISTS fails when the migration runs again.',
    help: 'Write CREATE EXTENSION IF NOT EXISTS.',
    fixable: true,
  },
  ['CreateExtensionStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (n.if_not_exists) return;
    const key = `ext:${n.extname}`;
    if (guardedByBlock(stmt, ['duplicate_object'])) return;
    if (c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
    c.report(stmt, `CREATE EXTENSION ${n.extname} fails on the second run: the extension is already installed.`, insertAfterKeywords(stmt, ['CREATE', 'EXTENSION'], 'IF NOT EXISTS', 'Add IF NOT EXISTS'));
  },
);
