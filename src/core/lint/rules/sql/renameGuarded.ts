// A rename works once: on the second run the old name is gone (undefined_table, undefined_column,
// undefined_object). ALTER TABLE IF EXISTS old RENAME TO new is re-runnable; renaming a column,
// constraint, enum value or a schema move needs a DO block that checks the catalog first.
// A rename is re-runnable in context too: when the file makes the old name again after it (ADD
// COLUMN of the old name, the swap of a rebuilt enum type) and removes the new name again (DROP
// COLUMN of the renamed one, DROP TYPE of the old type), every run finds the same state.
import { bodyOf, names, relName } from '../../sql/ast';
import { typeKey, type Facts } from '../../sql/facts';
import { guardedByBlock, sqlRule } from '../../sql/rule';

/** Whether on a rerun the old name is there and the new one free again, thanks to the rest of the file. */
function swappedBack(f: Facts, index: number, from: string, to: string, owner?: string): boolean {
  const oldThere = f.createdBefore(from, index) || f.createdAfter(from, index);
  const newFree = f.droppedBefore(to, index, owner) || f.droppedAfter(to, index, owner);
  return oldThere && newFree;
}

const RELATIONS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_INDEX', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);
const ERRORS = ['undefined_table', 'undefined_column', 'undefined_object', 'undefined_function', 'invalid_schema_name', 'duplicate_table', 'duplicate_column', 'duplicate_object', 'invalid_parameter_value'];

export const renameGuarded = sqlRule(
  {
    code: 'sql-rename-guarded',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'RENAME (tables, columns, constraints, indexes, types, enum values, schemas) and SET SCHEMA fail when the migration runs again.',
    help: 'Use ALTER TABLE IF EXISTS old RENAME TO new for relations; otherwise wrap the rename in a DO block that checks the catalog (information_schema.columns, pg_constraint…) first.',
    fixable: false,
  },
  ['RenameStmt', 'AlterEnumStmt', 'AlterObjectSchemaStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (guardedByBlock(stmt, ERRORS)) return;
    if (stmt.kind === 'AlterEnumStmt') {
      if (n.oldVal === undefined) return;
      c.report(stmt, `RENAME VALUE '${n.oldVal}' of ${names(n.typeName).join('.')} fails on the second run: the old label is gone.`);
      return;
    }
    if (stmt.kind === 'AlterObjectSchemaStmt') {
      if (n.missing_ok) return;
      c.report(stmt, `SET SCHEMA ${n.newschema} fails on the second run: the object is no longer in its old schema.`);
      return;
    }
    if (RELATIONS.has(n.renameType) && n.missing_ok) return;
    const table = n.relation ? `rel:${n.relation.schemaname ?? 'public'}.${n.relation.relname}` : undefined;
    if (n.renameType === 'OBJECT_COLUMN' && table) {
      // In a table this file has just dropped and created again, the old column is there on every run.
      if (c.facts.freshTable(table, stmt.index)) return;
      const col = table.replace(/^rel:/, 'col:');
      if (swappedBack(c.facts, stmt.index, `${col}.${n.subname}`, `${col}.${n.newname}`)) return;
      c.report(stmt, `RENAME COLUMN ${n.subname} TO ${n.newname} on ${relName(n.relation)} fails on the second run: ${n.subname} no longer exists.`);
      return;
    }
    if (RELATIONS.has(n.renameType) && table && c.facts.freshTable(table, stmt.index)) return;
    if (RELATIONS.has(n.renameType) && table && swappedBack(c.facts, stmt.index, table, `rel:${n.relation.schemaname ?? 'public'}.${n.newname}`)) return;
    if (n.renameType === 'OBJECT_TYPE' || n.renameType === 'OBJECT_DOMAIN') {
      const parts = names(bodyOf(n.object, 'List')?.items ?? n.object);
      if (parts.length && swappedBack(c.facts, stmt.index, typeKey(parts), typeKey([...parts.slice(0, -1), n.newname]))) return;
    }
    const what = String(n.renameType).replace('OBJECT_', '').toLowerCase().replace('_', ' ');
    const old = n.subname ?? (n.relation ? relName(n.relation) : names(bodyName(n.object)).join('.'));
    c.report(stmt, `RENAME ${what} ${old} TO ${n.newname} fails on the second run: ${old} no longer exists.`);
  },
);

function bodyName(object: unknown): unknown {
  if (Array.isArray(object)) return object;
  const list = (object as { List?: { items?: unknown } } | undefined)?.List?.items;
  return list ?? [];
}
