// CREATE TYPE and CREATE DOMAIN have no IF NOT EXISTS: on the second run they fail with
// duplicate_object. The usual guard is a DO block that catches duplicate_object or checks pg_type.
import { names, qualifiedKey, relKey } from '../../sql/ast';
import { guardedByBlock, sqlRule } from '../../sql/rule';

export const createTypeGuarded = sqlRule(
  {
    code: 'sql-create-type-guarded',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE TYPE / CREATE DOMAIN outside a guard fails when the migration runs again (there is no IF NOT EXISTS).',
    help: "Wrap it: DO $$ BEGIN CREATE TYPE …; EXCEPTION WHEN duplicate_object THEN NULL; END $$; (or check pg_type first).",
    fixable: true,
  },
  ['CreateEnumStmt', 'CompositeTypeStmt', 'CreateDomainStmt', 'CreateRangeStmt'],
  (stmt, c) => {
    const n = stmt.node;
    const name =
      stmt.kind === 'CompositeTypeStmt' ? relKey(n.typevar) : qualifiedKey(names(stmt.kind === 'CreateDomainStmt' ? n.domainname : n.typeName));
    const key = `type:${name}`;
    if (guardedByBlock(stmt, ['duplicate_object'])) return;
    if (c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
    const what = stmt.kind === 'CreateDomainStmt' ? 'DOMAIN' : 'TYPE';
    const body = c.unit.text.slice(stmt.start, stmt.end);
    let tag = '$$';
    for (let i = 0; body.includes(tag); i++) tag = `$gl${i}$`;
    const fix = stmt.block
      ? undefined
      : {
          title: 'Wrap in a DO block that ignores duplicate_object',
          edits: [{ start: stmt.start, end: stmt.end, newText: `DO ${tag}\nBEGIN\n  ${body};\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND ${tag}` }],
        };
    c.report(stmt, `CREATE ${what} ${name.replace(/^public\./, '')} fails on the second run: the type already exists, and CREATE ${what} has no IF NOT EXISTS.`, fix);
  },
);
