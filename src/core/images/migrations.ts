// The one place where image tests reach the project's migration runner (src/core/migrate): the
// test database gets exactly the migrations that production will get, applied by the same runner
// and recorded in its ledger, before the images under test start.
import * as path from 'node:path';
import { connectPg } from '../migrate/adapters/pgAdapter';
import { loadMigrations } from '../migrate/files';
import { PgBackend } from '../migrate/pgBackend';
import { migrateUp } from '../migrate/runner';
import type { MigrationHook } from './testRun';

/** Applies database.migrations (PostgreSQL) to the test database with the built-in runner. */
export const builtinMigrations: MigrationHook = async (db, ctx) => {
  const cfg = db.config.database;
  if (!cfg) return;
  if (cfg.kind !== 'postgres') {
    ctx.log(`migrate: the ${cfg.kind} runner is not used for image tests; set database.migrateCommand to run the app's own`, 'warn');
    return;
  }
  const dir = path.resolve(db.root, cfg.migrations);
  const files = await loadMigrations(dir, { kinds: ['sql'] });
  if (files.length === 0) {
    ctx.log(`migrate: no migration files in ${cfg.migrations}/`);
    return;
  }
  const session = await connectPg(db.url.reveal(), { applicationName: 'greenlight image test' });
  try {
    const r = await migrateUp(new PgBackend(session), files, ctx, { appliedBy: 'greenlight test' });
    for (const w of r.warnings) ctx.log(`migrate: ${w}`, 'warn');
    if (r.failure) {
      const f = r.failure;
      const where = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}: ` : `${f.fileName}: `;
      throw new Error(`${where}${f.message}${f.hint ? ` (${f.hint})` : ''}${r.notRun.length ? `; not run: ${r.notRun.join(', ')}` : ''}`);
    }
    if (r.applied.length === 0) ctx.log('migrate: the test database is up to date');
  } finally {
    await session.close();
  }
};
