// The less common CREATE forms that fail on the second run when the object exists: statistics,
// servers, foreign tables, collations (IF NOT EXISTS exists for these), and publications, event
// triggers, casts, rules, aggregates, operators, roles, databases (which need OR REPLACE or a guard).
import { guardedByBlock, sqlRule } from '../../sql/rule';

/** Node kind → [display name, field that makes it re-runnable]. */
const FORMS: Record<string, [string, string | undefined]> = {
  CreateStatsStmt: ['STATISTICS', 'if_not_exists'],
  CreateForeignServerStmt: ['SERVER', 'if_not_exists'],
  CreateForeignTableStmt: ['FOREIGN TABLE', undefined],
  CreatePublicationStmt: ['PUBLICATION', undefined],
  CreateEventTrigStmt: ['EVENT TRIGGER', undefined],
  CreateCastStmt: ['CAST', undefined],
  CreateConversionStmt: ['CONVERSION', undefined],
  RuleStmt: ['RULE', 'replace'],
  CreateRoleStmt: ['ROLE', undefined],
  CreatedbStmt: ['DATABASE', undefined],
  CreateOpClassStmt: ['OPERATOR CLASS', undefined],
  CreateAmStmt: ['ACCESS METHOD', undefined],
  CreateTransformStmt: ['TRANSFORM', 'replace'],
  CreateTableSpaceStmt: ['TABLESPACE', undefined],
  CreateFdwStmt: ['FOREIGN DATA WRAPPER', undefined],
  CreateUserMappingStmt: ['USER MAPPING', 'if_not_exists'],
  DefineStmt: ['', undefined],
};

export const createObjectGuarded = sqlRule(
  {
    code: 'sql-create-object-guarded',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE forms for statistics, servers, foreign tables, publications, casts, rules, aggregates, operators, collations, roles and databases fail when the migration runs again unless guarded.',
    help: 'Use IF NOT EXISTS or OR REPLACE where the statement has it; otherwise guard it in a DO block (EXCEPTION WHEN duplicate_object, or a catalog check).',
    fixable: false,
  },
  Object.keys(FORMS),
  (stmt, c) => {
    const n = stmt.node;
    let [what, flag] = FORMS[stmt.kind]!;
    if (stmt.kind === 'CreateForeignTableStmt') {
      if (n.base?.if_not_exists) return;
    } else if (stmt.kind === 'DefineStmt') {
      what = String(n.kind).replace('OBJECT_', '').replace(/_/g, ' ');
      if (n.replace || n.if_not_exists) return;
    } else if (flag && n[flag]) return;
    if (guardedByBlock(stmt, ['duplicate_object', 'duplicate_table', 'duplicate_function', 'duplicate_database'])) return;
    c.report(stmt, `CREATE ${what} fails on the second run: it already exists.`);
  },
);
