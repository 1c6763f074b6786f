// ALTER TYPE … ADD VALUE fails on the second run unless it says IF NOT EXISTS.
import { names } from '../../sql/ast';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const enumAddValueIfNotExists = sqlRule(
  {
    code: 'sql-enum-add-value-if-not-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'ALTER TYPE … ADD VALUE without IF NOT EXISTS fails when the migration runs again.',
    help: "Write ALTER TYPE … ADD VALUE IF NOT EXISTS '…'.",
    fixable: true,
  },
  ['AlterEnumStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (n.oldVal !== undefined || n.newVal === undefined || n.skipIfNewValExists) return;
    if (guardedByBlock(stmt, ['duplicate_object'])) return;
    const fix = insertAfterKeywords(stmt, ['ADD', 'VALUE'], 'IF NOT EXISTS', 'Add IF NOT EXISTS');
    c.report(stmt, `ADD VALUE '${n.newVal}' to ${names(n.typeName).join('.')} fails on the second run: the label already exists.`, fix);
  },
);
