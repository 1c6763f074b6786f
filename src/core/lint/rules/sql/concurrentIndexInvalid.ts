// CREATE INDEX CONCURRENTLY that fails half-way (a deadlock, a duplicate key for a UNIQUE index, a
// cancelled deploy) leaves an INVALID index behind. IF NOT EXISTS then skips it on the next run,
// and the migration "succeeds" without a usable index. Dropping it first makes a retry rebuild it.
import { relKey } from '../../sql/ast';
import { ident, insertAt, sqlRule } from '../../sql/rule';

export const concurrentIndexInvalid = sqlRule(
  {
    code: 'sql-concurrent-index-invalid',
    // It is about running again after a failed run, which the oracle (rerun after success) never sees.
    tags: ['rerun-after-failure', 'reliability'],
    defaultSeverity: 'warning',
    description: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps an INVALID index left by a failed earlier run.',
    help: 'Put DROP INDEX CONCURRENTLY IF EXISTS <name>; before it, so a retry rebuilds an index left invalid.',
    fixable: true,
  },
  ['IndexStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (!n.concurrent || !n.idxname || !n.if_not_exists) return;
    const schema = n.relation?.schemaname;
    const key = `rel:${schema ?? 'public'}.${n.idxname}`;
    if (c.facts.droppedBefore(key, stmt.index, `rel:${relKey(n.relation)}`)) return;
    const name = schema ? `${ident(schema)}.${ident(n.idxname)}` : ident(n.idxname);
    c.report(
      stmt,
      `If this CREATE INDEX CONCURRENTLY fails part-way, ${n.idxname} stays INVALID and IF NOT EXISTS skips it on the retry.`,
      insertAt(stmt.start, `DROP INDEX CONCURRENTLY IF EXISTS ${name};\n`, 'Drop an invalid leftover first'),
    );
  },
);
