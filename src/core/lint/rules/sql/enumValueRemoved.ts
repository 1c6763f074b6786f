// The enum rebuild that removes a value (Prisma writes it: CREATE TYPE "T_new" AS ENUM (…without
// 'OLD'…); ALTER TABLE … ALTER COLUMN c TYPE "T_new" …; rename swap) usually comes after an UPDATE
// that moves the rows off the value: UPDATE t SET c = 'NEW' WHERE c = 'OLD'. On the second run
// the column is of the new type, 'OLD' is no longer one of its labels, and the comparison fails
// with invalid_text_representation.
import { bodyOf, names, relKey, relName, walk, type PgNode } from '../../sql/ast';
import { guardedByBlock, sqlRule } from '../../sql/rule';
import type { SqlUnit } from '../../sql/parse';

/** String literals a WHERE compares `column` with (= 'x', IN ('x', 'y')). */
function comparedLiterals(where: PgNode, column: string): string[] {
  const out: string[] = [];
  const literal = (n: PgNode): string | undefined => bodyOf(n, 'A_Const')?.sval?.sval;
  const isColumn = (n: PgNode): boolean => {
    const parts = names(bodyOf(n, 'ColumnRef')?.fields);
    return parts[parts.length - 1] === column;
  };
  walk(where, (k, b) => {
    if (k !== 'A_Expr' || !isColumn(b.lexpr)) return undefined;
    const op = names(b.name)[0];
    if (b.kind === 'AEXPR_OP' && (op === '=' || op === '<>' || op === '!=')) {
      const v = literal(b.rexpr);
      if (v !== undefined) out.push(v);
    }
    if (b.kind === 'AEXPR_IN') for (const item of bodyOf(b.rexpr, 'List')?.items ?? []) {
      const v = literal(item);
      if (v !== undefined) out.push(v);
    }
    return undefined;
  });
  return out;
}

interface Rebuilds {
  /** Enum types the file creates, with their labels. */
  readonly enums: Map<string, Set<string>>;
  /** Columns an ALTER COLUMN … TYPE of the file moves onto a type, with the statement index. */
  readonly moved: { index: number; table: string; column: string; type: string }[];
}

// Once per parsed file: every UPDATE/DELETE asks the same question.
const rebuildsCache = new WeakMap<SqlUnit, Rebuilds>();

function rebuildsOf(unit: SqlUnit): Rebuilds {
  let r = rebuildsCache.get(unit);
  if (r) return r;
  r = { enums: new Map(), moved: [] };
  for (const s of unit.statements) {
    if (s.kind === 'CreateEnumStmt') {
      const type = names(s.node.typeName).pop();
      if (type) r.enums.set(type, new Set((s.node.vals ?? []).map((v: PgNode) => bodyOf(v, 'String')?.sval)));
    }
    if (s.kind !== 'AlterTableStmt') continue;
    for (const item of s.node.cmds ?? []) {
      const cmd = bodyOf(item, 'AlterTableCmd');
      const type = cmd?.subtype === 'AT_AlterColumnType' ? names(bodyOf(cmd.def, 'ColumnDef')?.typeName?.names).pop() : undefined;
      if (type) r.moved.push({ index: s.index, table: relKey(s.node.relation), column: String(cmd.name), type });
    }
  }
  rebuildsCache.set(unit, r);
  return r;
}

export const enumValueRemoved = sqlRule(
  {
    code: 'sql-enum-value-removed',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'An UPDATE/DELETE compares a column with an enum label that the same file then removes (enum rebuild): on the second run the label no longer exists and the statement fails.',
    help: "Compare through text (WHERE c::text = 'OLD'), which stays valid after the rebuild, or guard the statement with a check of pg_enum.",
    fixable: false,
  },
  ['UpdateStmt', 'DeleteStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (!n.whereClause || guardedByBlock(stmt, ['invalid_text_representation'])) return;
    const table = relKey(n.relation);
    const { enums, moved: all } = rebuildsOf(c.unit);
    if (!enums.size) return;
    const moved = all.filter((m) => m.index > stmt.index && m.table === table);
    for (const m of moved) {
      const labels = enums.get(m.type);
      if (!labels) continue;
      const gone = comparedLiterals(n.whereClause, m.column).find((v) => !labels.has(v));
      if (gone === undefined) continue;
      c.report(stmt, `${stmt.kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE'} on ${relName(n.relation)} compares ${m.column} with '${gone}', which this file removes from the enum (${m.type}): on the second run the label no longer exists and the statement fails.`);
      return;
    }
  },
);
