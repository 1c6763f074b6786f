// The SQL language: .sql files (and SQL embedded in other files, e.g. Django's RunSQL), parsed by
// libpg-query. Its rules live one per file in ../rules/sql/.
import { parseSqlText, loadSqlParser, type SqlUnit } from '../sql/parse';
import type { Language, Rule } from '../types';
import { splitSqlSections, sqlFileRole } from '../migrationTools';
import { addColumnIfNotExists } from '../rules/sql/addColumnIfNotExists';
import { addConstraintGuarded } from '../rules/sql/addConstraintGuarded';
import { alterColumnTypeUsing } from '../rules/sql/alterColumnTypeUsing';
import { alterTableOneShot } from '../rules/sql/alterTableOneShot';
import { concurrentIndexInvalid } from '../rules/sql/concurrentIndexInvalid';
import { conflictKeyRewritten } from '../rules/sql/conflictKeyRewritten';
import { createExtensionIfNotExists } from '../rules/sql/createExtensionIfNotExists';
import { createFunctionOrReplace } from '../rules/sql/createFunctionOrReplace';
import { createIndexIfNotExists } from '../rules/sql/createIndexIfNotExists';
import { createObjectGuarded } from '../rules/sql/createObjectGuarded';
import { createPolicyGuarded } from '../rules/sql/createPolicyGuarded';
import { createSchemaIfNotExists } from '../rules/sql/createSchemaIfNotExists';
import { createSequenceIfNotExists } from '../rules/sql/createSequenceIfNotExists';
import { createTableIfNotExists } from '../rules/sql/createTableIfNotExists';
import { createTriggerGuarded } from '../rules/sql/createTriggerGuarded';
import { createTypeGuarded } from '../rules/sql/createTypeGuarded';
import { createViewOrReplace } from '../rules/sql/createViewOrReplace';
import { deleteChangesOnRerun } from '../rules/sql/deleteChangesOnRerun';
import { dropIfExists } from '../rules/sql/dropIfExists';
import { enumAddValueIfNotExists } from '../rules/sql/enumAddValueIfNotExists';
import { enumValueRemoved } from '../rules/sql/enumValueRemoved';
import { frozenNowLiteral } from '../rules/sql/frozenNowLiteral';
import { insertWithoutConflictHandling } from '../rules/sql/insertWithoutConflictHandling';
import { renameGuarded } from '../rules/sql/renameGuarded';
import { updateChangesOnRerun } from '../rules/sql/updateChangesOnRerun';
import { upsertChangesOnRerun } from '../rules/sql/upsertChangesOnRerun';

export const sqlRules: readonly Rule<SqlUnit>[] = [
  createTableIfNotExists,
  addColumnIfNotExists,
  createIndexIfNotExists,
  concurrentIndexInvalid,
  createSequenceIfNotExists,
  createSchemaIfNotExists,
  createViewOrReplace,
  createTypeGuarded,
  enumAddValueIfNotExists,
  enumValueRemoved,
  createExtensionIfNotExists,
  createFunctionOrReplace,
  createTriggerGuarded,
  createPolicyGuarded,
  addConstraintGuarded,
  alterColumnTypeUsing,
  renameGuarded,
  dropIfExists,
  alterTableOneShot,
  createObjectGuarded,
  insertWithoutConflictHandling,
  upsertChangesOnRerun,
  conflictKeyRewritten,
  updateChangesOnRerun,
  deleteChangesOnRerun,
  frozenNowLiteral,
];

export function sqlLanguage(): Language<SqlUnit> {
  return {
    id: 'sql',
    lineComment: '--',
    // Undo, revert and verify scripts of migration tools are not forward migrations (../migrationTools.ts).
    matches: (file) => /\.(sql|pgsql|psql)$/i.test(file) && sqlFileRole(file) !== 'reverse',
    async parse(text) {
      await loadSqlParser();
      // Only the up sections of a goose, sql-migrate or dbmate file run forward; the rest is blanked.
      return parseSqlText(splitSqlSections(text).text);
    },
    rules: sqlRules,
  };
}
