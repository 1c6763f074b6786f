// One call for scripts (npm run demo) and the service: verify a migrations directory on PGlite
// (or a server URL) and get the report plus its text form and the exit code it implies.
import { quietContext, type JobContext } from '../common/job';
import { formatVerifyReport } from './report';
import { resolveTarget, scratchProviderFor, targetMigrations } from './target';
import { verifyMigrations, type VerifyReport } from './verify';

export interface VerifyDirOptions {
  /** A PostgreSQL server URL (role with CREATEDB); absent = PGlite. */
  readonly database?: string;
  readonly rerun?: boolean;
  readonly fresh?: boolean;
  readonly existing?: string;
  readonly expectSchema?: string;
}

export async function verifyMigrationsDir(dir: string, opts: VerifyDirOptions = {}, ctx: JobContext = quietContext()): Promise<{ report: VerifyReport; text: string; exitCode: 0 | 1 }> {
  const target = await resolveTarget({ root: process.cwd(), dir, database: opts.database, env: process.env, ignoreConfig: true });
  const files = await targetMigrations(target);
  const provider = await scratchProviderFor(target);
  try {
    const report = await verifyMigrations(files, provider, ctx, { ...opts, source: dir });
    return { report, text: formatVerifyReport(report), exitCode: report.ok ? 0 : 1 };
  } finally {
    await provider.close();
  }
}
