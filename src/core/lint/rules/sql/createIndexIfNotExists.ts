// CREATE INDEX fails with duplicate_table on the second run unless it says IF NOT EXISTS; an index
// without a name is worse: PostgreSQL picks a new name every run and builds a duplicate index.
// An index on a column this file dropped (and added back) before it is gone on every run: dropping
// the column dropped the index with it.
import { bodyOf, relKey, relName } from '../../sql/ast';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createIndexIfNotExists = sqlRule(
  {
    code: 'sql-create-index-if-not-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE INDEX without IF NOT EXISTS fails when the migration runs again; an unnamed index is built again under a new name.',
    help: 'Name the index and write CREATE INDEX IF NOT EXISTS <name>.',
    fixable: true,
  },
  ['IndexStmt'],
  (stmt, c) => {
    const n = stmt.node;
    const table = `rel:${relKey(n.relation)}`;
    if (c.facts.freshTable(table, stmt.index) || c.facts.droppedAfter(table, stmt.index)) return;
    if (!n.idxname) {
      c.report(stmt, `CREATE INDEX on ${relName(n.relation)} has no name: every run builds another copy of the index.`);
      return;
    }
    if (n.if_not_exists) return;
    const key = `rel:${n.relation?.schemaname ?? 'public'}.${n.idxname}`;
    if (guardedByBlock(stmt, ['duplicate_table', 'duplicate_object'])) return;
    if (c.facts.droppedBefore(key, stmt.index, table) || c.facts.droppedAfter(key, stmt.index, table)) return;
    const columns = (n.indexParams ?? []).map((p: unknown) => bodyOf(p, 'IndexElem')?.name).filter((x: unknown): x is string => typeof x === 'string');
    if (columns.some((col: string) => c.facts.droppedBefore(`col:${relKey(n.relation)}.${col}`, stmt.index))) return;
    const fix = insertAfterKeywords(stmt, ['CREATE', 'UNIQUE?', 'INDEX', 'CONCURRENTLY?'], 'IF NOT EXISTS', 'Add IF NOT EXISTS');
    c.report(stmt, `CREATE INDEX ${n.idxname} fails on the second run: the index already exists.`, fix);
  },
);
