// CREATE TRIGGER fails with duplicate_object on the second run. PostgreSQL 14+ has CREATE OR
// REPLACE TRIGGER; older servers use DROP TRIGGER IF EXISTS first.
import { relKey, relName } from '../../sql/ast';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createTriggerGuarded = sqlRule(
  {
    code: 'sql-create-trigger-guarded',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE TRIGGER without OR REPLACE or a DROP TRIGGER IF EXISTS before it fails when the migration runs again.',
    help: 'Write CREATE OR REPLACE TRIGGER (PostgreSQL 14+), or DROP TRIGGER IF EXISTS <name> ON <table>; first.',
    fixable: true,
  },
  ['CreateTrigStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (n.replace) return;
    const table = `rel:${relKey(n.relation)}`;
    const key = `trig:${relKey(n.relation)}.${n.trigname}`;
    if (guardedByBlock(stmt, ['duplicate_object'])) return;
    if (c.facts.freshTable(table, stmt.index) || c.facts.droppedBefore(key, stmt.index, table) || c.facts.droppedAfter(key, stmt.index, table)) return;
    const fix = n.isconstraint ? undefined : insertAfterKeywords(stmt, ['CREATE'], 'OR REPLACE', 'Use CREATE OR REPLACE TRIGGER');
    c.report(stmt, `CREATE TRIGGER ${n.trigname} on ${relName(n.relation)} fails on the second run: the trigger already exists.`, fix);
  },
);
