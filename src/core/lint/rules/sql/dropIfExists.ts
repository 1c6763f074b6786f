// DROP without IF EXISTS fails on the second run: the object is already gone. The same holds for
// ALTER TABLE … DROP COLUMN / DROP CONSTRAINT. An object the same file created first is there to
// drop on every run, and so is one the file creates again after dropping it (DROP INDEX x; CREATE
// INDEX x …, or DROP CONSTRAINT c, ADD CONSTRAINT c in one ALTER TABLE): the first run ends with
// the object in place, so the next run's DROP finds it.
import { bodyOf, relKey, relName } from '../../sql/ast';
import { constraintName, effectsOf } from '../../sql/facts';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

/** The keywords between DROP and the object name, per object type. */
const HEADS: Record<string, string[]> = {
  OBJECT_TABLE: ['DROP', 'TABLE'],
  OBJECT_INDEX: ['DROP', 'INDEX', 'CONCURRENTLY?'],
  OBJECT_VIEW: ['DROP', 'VIEW'],
  OBJECT_MATVIEW: ['DROP', 'MATERIALIZED', 'VIEW'],
  OBJECT_SEQUENCE: ['DROP', 'SEQUENCE'],
  OBJECT_SCHEMA: ['DROP', 'SCHEMA'],
  OBJECT_TYPE: ['DROP', 'TYPE'],
  OBJECT_DOMAIN: ['DROP', 'DOMAIN'],
  OBJECT_EXTENSION: ['DROP', 'EXTENSION'],
  OBJECT_FUNCTION: ['DROP', 'FUNCTION'],
  OBJECT_PROCEDURE: ['DROP', 'PROCEDURE'],
  OBJECT_ROUTINE: ['DROP', 'ROUTINE'],
  OBJECT_AGGREGATE: ['DROP', 'AGGREGATE'],
  OBJECT_TRIGGER: ['DROP', 'TRIGGER'],
  OBJECT_POLICY: ['DROP', 'POLICY'],
  OBJECT_RULE: ['DROP', 'RULE'],
  OBJECT_FOREIGN_TABLE: ['DROP', 'FOREIGN', 'TABLE'],
  OBJECT_COLLATION: ['DROP', 'COLLATION'],
  OBJECT_STATISTIC_EXT: ['DROP', 'STATISTICS'],
  OBJECT_PUBLICATION: ['DROP', 'PUBLICATION'],
  OBJECT_FOREIGN_SERVER: ['DROP', 'SERVER'],
};

const ERRORS = ['undefined_table', 'undefined_object', 'undefined_column', 'undefined_function', 'invalid_schema_name'];

export const dropIfExists = sqlRule(
  {
    code: 'sql-drop-if-exists',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'DROP (and ALTER TABLE … DROP COLUMN / DROP CONSTRAINT) without IF EXISTS fails when the migration runs again.',
    help: 'Write DROP … IF EXISTS.',
    fixable: true,
  },
  ['DropStmt', 'AlterTableStmt', 'DropRoleStmt', 'DropdbStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (guardedByBlock(stmt, ERRORS)) return;
    if (stmt.kind === 'DropRoleStmt' || stmt.kind === 'DropdbStmt') {
      if (!n.missing_ok) c.report(stmt, `DROP ${stmt.kind === 'DropdbStmt' ? 'DATABASE' : 'ROLE'} fails on the second run: it is already gone.`, insertAfterKeywords(stmt, ['DROP', stmt.kind === 'DropdbStmt' ? 'DATABASE' : 'ROLE'], 'IF EXISTS', 'Add IF EXISTS'));
      return;
    }
    if (stmt.kind === 'DropStmt') {
      if (n.missing_ok) return;
      const keys = effectsOf(stmt).map((e) => e.key);
      if (keys.length && keys.every((k) => c.facts.createdBefore(k, stmt.index) || c.facts.createdAfter(k, stmt.index))) return;
      const head = HEADS[n.removeType];
      const what = head ? head.slice(1).filter((w) => !w.endsWith('?')).join(' ') : String(n.removeType).replace('OBJECT_', '');
      const fix = head ? insertAfterKeywords(stmt, head, 'IF EXISTS', 'Add IF EXISTS') : undefined;
      c.report(stmt, `DROP ${what} fails on the second run: the ${what.toLowerCase()} is already gone.`, fix);
      return;
    }
    const cmds = n.cmds ?? [];
    const table = relKey(n.relation);
    // What later actions of this same ALTER TABLE add back (DROP CONSTRAINT c, ADD CONSTRAINT c).
    const addedLater = (from: number): Set<string> => {
      const out = new Set<string>();
      for (const later of cmds.slice(from + 1)) {
        const cmd = bodyOf(later, 'AlterTableCmd');
        if (cmd?.subtype === 'AT_AddColumn') out.add(`col:${table}.${bodyOf(cmd.def, 'ColumnDef')?.colname}`);
        const con = cmd?.subtype === 'AT_AddConstraint' ? bodyOf(cmd.def, 'Constraint') : undefined;
        const name = con && constraintName(con, n.relation?.relname);
        if (name) out.add(`con:${table}.${name}`);
      }
      return out;
    };
    for (const [i, item] of cmds.entries()) {
      const cmd = bodyOf(item, 'AlterTableCmd');
      if (!cmd || cmd.missing_ok) continue;
      if (cmd.subtype !== 'AT_DropColumn' && cmd.subtype !== 'AT_DropConstraint') continue;
      const column = cmd.subtype === 'AT_DropColumn';
      const key = `${column ? 'col' : 'con'}:${table}.${cmd.name}`;
      if (c.facts.createdBefore(key, stmt.index) || c.facts.freshTable(`rel:${table}`, stmt.index)) continue;
      if (addedLater(i).has(key) || c.facts.createdAfter(key, stmt.index)) continue;
      const fix = cmds.length === 1 ? insertAfterKeywords(stmt, column ? ['DROP', 'COLUMN'] : ['DROP', 'CONSTRAINT'], 'IF EXISTS', 'Add IF EXISTS') : undefined;
      c.report(stmt, `DROP ${column ? 'COLUMN' : 'CONSTRAINT'} ${cmd.name} on ${relName(n.relation)} fails on the second run: it is already gone.`, fix);
    }
  },
);
