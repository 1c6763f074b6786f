// INSERT … ON CONFLICT (key) is re-runnable only while the inserted row keeps its key. When the
// same file later UPDATEs that key column (normalizing emails with lower(), renaming a slug), the
// next run's INSERT no longer conflicts: it inserts the row again, and the UPDATE then makes a
// duplicate (or fails on the unique index).
import { bodyOf, relKey, relName } from '../../sql/ast';
import type { SqlStatement, SqlUnit } from '../../sql/parse';
import { sqlRule } from '../../sql/rule';

export const conflictKeyRewritten = sqlRule(
  {
    code: 'sql-conflict-key-rewritten',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'An UPDATE rewrites the ON CONFLICT key of rows an earlier INSERT in the same file adds, so the next run inserts them again.',
    help: 'Insert the final key value directly (for example lower(…) in the INSERT), or guard the INSERT with WHERE NOT EXISTS on the rewritten key.',
    fixable: false,
  },
  ['UpdateStmt'],
  (stmt, c) => {
    const n = stmt.node;
    const table = relKey(n.relation);
    const assigned = new Set<string>();
    for (const t of n.targetList ?? []) {
      const rt = bodyOf(t, 'ResTarget');
      if (rt?.name) assigned.add(rt.name);
    }
    for (const prior of insertsByTable(c.unit).get(table) ?? []) {
      if (prior.index >= stmt.index) break;
      const infer = prior.node.onConflictClause?.infer;
      const keys: string[] = (infer?.indexElems ?? []).map((e: unknown) => bodyOf(e, 'IndexElem')?.name).filter((x: unknown): x is string => typeof x === 'string');
      const hit = keys.find((k) => assigned.has(k));
      if (hit) {
        c.report(stmt, `UPDATE ${relName(n.relation)} rewrites ${hit}, the ON CONFLICT key of the INSERT on line ${lineOf(c.unit.text, prior.start)}: the next run inserts those rows again.`);
        return;
      }
    }
  },
);

/** The file's INSERTs by target table, in execution order: built once per file, not per UPDATE. */
const inserts = new WeakMap<SqlUnit, Map<string, SqlStatement[]>>();

function insertsByTable(unit: SqlUnit): Map<string, SqlStatement[]> {
  let byTable = inserts.get(unit);
  if (!byTable) {
    byTable = new Map();
    for (const s of unit.statements) {
      if (s.kind !== 'InsertStmt') continue;
      const key = relKey(s.node.relation);
      const list = byTable.get(key);
      if (list) list.push(s);
      else byTable.set(key, [s]);
    }
    inserts.set(unit, byTable);
  }
  return byTable;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
