// `greenlight recover --env <name>`: after a deploy died part-way (killed, its connection lost),
// brings the environment back to a known healthy version: removes the leftovers, keeps a healthy
// serving version or restores the previous one, releases the lock, audits it (src/core/deploy/recover.ts).
// Exit 0 when a healthy version serves, 1 when none does.
import type { Command } from 'commander';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { noteEnvironmentChanged } from '../../core/deploy/localActivity';
import { recover } from '../../core/deploy/recover';
import { openEnvironment } from '../../core/deploy/session';
import { cliContext, type CliIo } from '../io';
import { withSignal } from './ship';

export function registerRecover(program: Command, io: CliIo): void {
  program
    .command('recover')
    .description('after an interrupted deploy: clean its leftovers, keep a healthy serving version or restore the previous one, release the lock (audited)')
    .requiredOption('-e, --env <name>', 'environment from greenlight.yaml')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('-s, --service <name>', 'service (when there are several)')
    .option('--break-lock', 'break the deploy lock even if its holder may still run (a dead holder on this machine is broken without it)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { env: string; config: string; service?: string; breakLock?: boolean; json?: boolean }) => {
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName: opts.env, vars: io.env });
        try {
          const r = await recover(ctx, s.host, { config: s.config, environment: s.environment, service: opts.service, breakLock: opts.breakLock });
          if (opts.json) io.out(JSON.stringify(r, null, 2));
          else io.out(`${r.outcome}: ${r.message} (${r.durationMs} ms)`);
          io.exit(r.outcome === 'failed' ? 1 : 0);
        } finally {
          // The editor refreshes the same views after a recovery as after a rollback.
          await noteEnvironmentChanged(s.root, opts.env, 'rollback');
          s.close();
        }
      });
    });
}
