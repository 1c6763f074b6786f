// "Greenlight: Verify Migrations": every migration on a scratch database (PGlite, or the server of
// database.local.url), each run twice with the results compared; the panel and the CodeLens show
// the per-file verdicts, the notification the summary.
import * as vscode from 'vscode';
import type { MigrationVerifyDto } from '../../../service/protocol';
import type { Services } from '../../services';
import { reportVerify } from './verifyMigrationFile';
import { requireTrustToRun, withMigrationProgress } from './runMigrationJob';

export function verifyMigrations(s: Services) {
  return async (): Promise<MigrationVerifyDto | undefined> => {
    if (!requireTrustToRun(vscode.l10n.t('Verify'))) return undefined;
    const r = await withMigrationProgress(s, vscode.l10n.t('Greenlight: Verifying migrations'), (opts) => s.migrations.verify(undefined, opts));
    if (r) reportVerify(s, r);
    return r;
  };
}
