// The one place where image tests reach the project's migration runner (src/core/migrate). Kept
// apart so build and test do not depend on the runner's internals: it receives the test
// database's URL and applies the project's migrations to it, logging through the job context.
import type { MigrationHook } from './testRun';

/**
 * Applies database.migrations to the test database with the built-in runner. Until the runner
 * exists this says so in the log, and the test continues against the database as it is.
 */
export const builtinMigrations: MigrationHook = async (db, ctx) => {
  ctx.log(`migrate: the built-in migration runner is not available in this build; ${db.name} is used as is (set database.migrateCommand to run the app's own)`, 'warn');
};
