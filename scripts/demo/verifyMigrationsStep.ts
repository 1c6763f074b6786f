// Demo step: prove the demo migrations on PGlite (embedded PostgreSQL, nothing to install) with
// the migration engine's verify: every migration on a fresh database, each run a second time.
// The demo ships two deliberately non-idempotent migrations (*not_idempotent*); the step passes
// when verify catches exactly those by running them, and no migration fails outright.
import * as path from 'node:path';
import { runStep } from './result';

const ROOT = path.resolve(__dirname, '../..');

runStep(async () => {
  let verifyMigrationsDir: typeof import('../../src/core/migrate/verifyDir').verifyMigrationsDir | undefined;
  try {
    ({ verifyMigrationsDir } = await import('../../src/core/migrate/verifyDir'));
  } catch (e) {
    return { status: 'failed', summary: `the migration engine's verify is not available in this checkout (src/core/migrate/verifyDir.ts: ${(e as Error).message.split('\n')[0]})` };
  }
  process.chdir(ROOT);
  const { report, text } = await verifyMigrationsDir('migrations', { fresh: true, rerun: true });
  console.log(text);
  const verdicts = report.runs.flatMap((r) => r.migrations);
  const caught = verdicts.filter((m) => m.status === 'not-idempotent').map((m) => m.fileName);
  const expected = verdicts.filter((m) => /not_idempotent/.test(m.fileName)).map((m) => m.fileName);
  const failed = verdicts.filter((m) => m.status === 'failed' || m.status === 'not-run').map((m) => m.fileName);
  const same = caught.length === expected.length && caught.every((f) => expected.includes(f));
  if (expected.length === 0) return { status: 'failed', summary: 'the demo has no *not_idempotent* migration to catch' };
  if (!same || failed.length || report.totals.checksFailed) {
    return {
      status: 'failed',
      summary: `verify caught ${JSON.stringify(caught)} but the non-idempotent files are ${JSON.stringify(expected)}${failed.length ? `; failed or not run: ${failed.join(', ')}` : ''}${report.totals.checksFailed ? `; ${report.totals.checksFailed} check(s) failed` : ''}`,
    };
  }
  return {
    status: 'ok',
    summary: `${verdicts.length} migrations run twice on ${report.database}: the second run caught exactly the deliberately non-idempotent ${expected.join(', ')}; the other ${verdicts.length - expected.length} gave the same result`,
  };
});
