// CREATE FUNCTION / PROCEDURE fails with duplicate_function on the second run; CREATE OR REPLACE
// does not.
import { names, qualifiedKey } from '../../sql/ast';
import { guardedByBlock, insertAfterKeywords, sqlRule } from '../../sql/rule';

export const createFunctionOrReplace = sqlRule(
  {
    code: 'sql-create-function-or-replace',
    tags: ['idempotency'],
    defaultSeverity: 'error',
    description: 'CREATE FUNCTION / CREATE PROCEDURE without OR REPLACE fails when the migration runs again.',
    help: 'Write CREATE OR REPLACE FUNCTION (or PROCEDURE).',
    fixable: true,
  },
  ['CreateFunctionStmt'],
  (stmt, c) => {
    const n = stmt.node;
    if (n.replace) return;
    const name = qualifiedKey(names(n.funcname));
    if (name.startsWith('pg_temp.')) return;
    if (guardedByBlock(stmt, ['duplicate_function'])) return;
    const key = `func:${name}`;
    if (c.facts.droppedBefore(key, stmt.index) || c.facts.droppedAfter(key, stmt.index)) return;
    const what = n.is_procedure ? 'PROCEDURE' : 'FUNCTION';
    c.report(stmt, `CREATE ${what} ${names(n.funcname).join('.')} fails on the second run: it already exists.`, insertAfterKeywords(stmt, ['CREATE'], 'OR REPLACE', 'Use CREATE OR REPLACE'));
  },
);
