// ALTER TABLE … ADD CONSTRAINT has no IF NOT EXISTS. A named constraint fails on the second run
// (duplicate_object, or duplicate_table for the index of a UNIQUE/PRIMARY KEY); an unnamed CHECK,
// UNIQUE or FOREIGN KEY is added again under a new name every run. A DROP CONSTRAINT of the same
// name before it — an earlier statement, or an earlier action of the same ALTER TABLE — makes it
// re-runnable (an unnamed PRIMARY KEY is named <table>_pkey).
import { bodyOf, relKey, relName } from '../../sql/ast';
import { constraintName } from '../../sql/facts';
import { guardedByBlock, ident, insertAt, sqlRule } from '../../sql/rule';

export const addConstraintGuarded = sqlRule(
  {
    code: 'sql-add-constraint-guarded',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'ALTER TABLE … ADD CONSTRAINT without a guard fails (named) or duplicates the constraint (unnamed) when the migration runs again.',
    help: 'Name the constraint and put ALTER TABLE … DROP CONSTRAINT IF EXISTS <name>; before it, or guard it in a DO block against pg_constraint.',
    fixable: true,
  },
  ['AlterTableStmt'],
  (stmt, c) => {
    const n = stmt.node;
    const table = `rel:${relKey(n.relation)}`;
    if (c.facts.freshTable(table, stmt.index) || c.facts.droppedAfter(table, stmt.index)) return;
    if (guardedByBlock(stmt, ['duplicate_object', 'duplicate_table', 'invalid_table_definition'])) return;
    const cmds = n.cmds ?? [];
    const droppedHere = new Set<string>();
    for (const item of cmds) {
      const cmd = bodyOf(item, 'AlterTableCmd');
      if (cmd?.subtype === 'AT_DropConstraint') droppedHere.add(String(cmd.name));
      if (cmd?.subtype !== 'AT_AddConstraint') continue;
      const con = bodyOf(cmd.def, 'Constraint');
      if (!con) continue;
      const kind = String(con.contype).replace('CONSTR_', '').replace('_', ' ');
      const implicit = constraintName(con, n.relation?.relname);
      if (implicit && (droppedHere.has(implicit) || c.facts.droppedBefore(`con:${relKey(n.relation)}.${implicit}`, stmt.index, table))) continue;
      if (!con.conname) {
        if (con.contype === 'CONSTR_PRIMARY') {
          c.report(stmt, `ADD PRIMARY KEY on ${relName(n.relation)} fails on the second run: the table already has a primary key.`);
        } else {
          c.report(stmt, `The unnamed ${kind} constraint on ${relName(n.relation)} is added again, under a new name, on every run.`);
        }
        continue;
      }
      const key = `con:${relKey(n.relation)}.${con.conname}`;
      if (c.facts.droppedBefore(key, stmt.index, table) || c.facts.droppedAfter(key, stmt.index, table)) continue;
      const on = n.relation?.schemaname ? `${ident(n.relation.schemaname)}.${ident(n.relation.relname)}` : ident(String(n.relation?.relname));
      const fix = cmds.length === 1 && !stmt.block ? insertAt(stmt.start, `ALTER TABLE ${on} DROP CONSTRAINT IF EXISTS ${ident(con.conname)};\n`, 'Drop the constraint first if it exists') : undefined;
      c.report(stmt, `ADD CONSTRAINT ${con.conname} on ${relName(n.relation)} fails on the second run: the constraint already exists.`, fix);
    }
  },
);
