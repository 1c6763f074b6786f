// CREATE VIEW fails on the second run; CREATE OR REPLACE VIEW does not. Materialized views have
// no OR REPLACE but take IF NOT EXISTS.
import { relName } from '../../sql/ast';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createViewOrReplace = sqlRule(
  {
    code: 'sql-create-view-or-replace',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE VIEW without OR REPLACE (or CREATE MATERIALIZED VIEW without IF NOT EXISTS) fails when the migration runs again.',
    help: 'Write CREATE OR REPLACE VIEW, or CREATE MATERIALIZED VIEW IF NOT EXISTS.',
    fixable: true,
  },
  ['ViewStmt', 'CreateTableAsStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (stmt.kind === 'ViewStmt') {
      if (n.replace || n.view?.relpersistence === 't') return;
      const key = `rel:${n.view?.schemaname ?? 'public'}.${n.view?.relname}`;
      if (guardedByBlock(stmt, ['duplicate_table']) || c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
      c.report(stmt, `CREATE VIEW ${relName(n.view)} fails on the second run: the view already exists.`, insertAfterKeywords(stmt, ['CREATE'], 'OR REPLACE', 'Use CREATE OR REPLACE VIEW'));
      return;
    }
    if (n.objtype !== 'OBJECT_MATVIEW' || n.if_not_exists) return;
    const rel = n.into?.rel;
    const key = `rel:${rel?.schemaname ?? 'public'}.${rel?.relname}`;
    if (guardedByBlock(stmt, ['duplicate_table']) || c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
    c.report(stmt, `CREATE MATERIALIZED VIEW ${relName(rel)} fails on the second run: the view already exists.`, insertAfterKeywords(stmt, ['CREATE', 'MATERIALIZED', 'VIEW'], 'IF NOT EXISTS', 'Add IF NOT EXISTS'));
  },
);
