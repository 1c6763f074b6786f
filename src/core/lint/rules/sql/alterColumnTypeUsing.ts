// ALTER COLUMN … TYPE … USING <expression> converts the column's values. A second run starts from
// the converted column: a conversion that is more than a cast of the column either fails on the new
// type (string_to_array(text[], …) does not exist) or converts the data again (x * 100). A plain
// cast (col::bigint, col::text::new_enum) of an already converted column changes nothing.
import { bodyOf, names, relKey, relName, type PgNode } from '../../sql/ast';
import { guardedByBlock, sqlRule } from '../../sql/rule';

/** Whether `expr` is the column itself under zero or more casts (or a constant). */
function onlyCasts(expr: PgNode, column: string): boolean {
  let e = expr;
  for (;;) {
    const cast = bodyOf(e, 'TypeCast');
    if (!cast) break;
    e = cast.arg;
  }
  const ref = bodyOf(e, 'ColumnRef');
  if (ref) {
    const parts = names(ref.fields);
    return parts[parts.length - 1] === column;
  }
  return !!bodyOf(e, 'A_Const');
}

export const alterColumnTypeUsing = sqlRule(
  {
    code: 'sql-alter-column-type-using',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'ALTER COLUMN … TYPE … USING with a conversion that is more than a cast: the second run converts the already converted values again, or fails on the new type.',
    help: 'Guard the conversion with a check of the current type (information_schema.columns.data_type) in a DO block, or make the USING expression a plain cast of the column.',
    fixable: false,
  },
  ['AlterTableStmt'],
  (stmt, c) => {
    const n = stmt.node;
    const table = relKey(n.relation);
    if (c.facts.freshTable(`rel:${table}`, stmt.index) || c.facts.droppedAfter(`rel:${table}`, stmt.index)) return;
    if (guardedByBlock(stmt, ['undefined_function', 'datatype_mismatch', 'invalid_text_representation', 'cannot_coerce'])) return;
    for (const item of n.cmds ?? []) {
      const cmd = bodyOf(item, 'AlterTableCmd');
      if (cmd?.subtype !== 'AT_AlterColumnType') continue;
      const using = bodyOf(cmd.def, 'ColumnDef')?.raw_default;
      if (!using || onlyCasts(using, String(cmd.name))) continue;
      const key = `col:${table}.${cmd.name}`;
      // A column this file adds (or drops again) holds no converted data from a previous run.
      if (c.facts.createdBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index, `rel:${table}`)) continue;
      c.report(stmt, `ALTER COLUMN ${cmd.name} on ${relName(n.relation)} converts with a USING expression that is more than a cast: the second run converts the converted values again, or fails on the new type.`);
    }
  },
);
