// `greenlight rollback --env <name> [--to <version>]`: returns to a retained version.
import type { Command } from 'commander';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { rollback } from '../../core/deploy/rollback';
import { noteEnvironmentChanged } from '../../core/deploy/localActivity';
import { openEnvironment } from '../../core/deploy/session';
import { rollbackSwarmRelease } from '../../core/deploy/swarm';
import { cliContext, colorsOf, type CliIo } from '../io';
import { withSignal } from './ship';

export function registerRollback(program: Command, io: CliIo): void {
  program
    .command('rollback')
    .description('roll back to the previous (or a chosen retained) version; lists release tasks that ran since and the backup taken before them')
    .requiredOption('-e, --env <name>', 'environment from greenlight.yaml')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('-s, --service <name>', 'service (when there are several)')
    .option('--to <version>', 'retained version to return to (default: the newest retained)')
    .option('--json', 'print the result as JSON')
    .option('--break-lock', 'break a stale deploy lock first (audited; names the holder it removes)')
    .action(async (opts: { env: string; config: string; service?: string; to?: string; json?: boolean; breakLock?: boolean }) => {
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName: opts.env, vars: io.env });
        try {
          if (s.environment.env.swarm) {
            // A swarm rolls back the whole release: every service to its version in the previous one.
            const r = await rollbackSwarmRelease(ctx, s.host, { config: s.config, environment: s.environment, secrets: s.secrets });
            const c = colorsOf(io).out;
            if (opts.json) io.out(JSON.stringify(r, null, 2));
            else {
              io.out(`${r.outcome === 'succeeded' ? c.green(r.outcome) : c.red(r.outcome)}: ${r.message} (${r.durationMs} ms)`);
              io.out(r.schema.fits === 'yes' ? r.schema.summary : c.yellow(r.schema.summary));
              if (r.backupId) io.out(`release tasks ran since ${r.to.deployId}; to restore the database as it was: greenlight backup restore --env ${opts.env} ${r.backupId}`);
            }
            io.exit(r.outcome === 'succeeded' ? 0 : 1);
            return;
          }
          const r = await rollback(ctx, s.host, { config: s.config, environment: s.environment, service: opts.service, toVersion: opts.to, breakLock: opts.breakLock });
          const c = colorsOf(io).out;
          if (opts.json) io.out(JSON.stringify(r, null, 2));
          else io.out(`${r.outcome === 'succeeded' ? c.green(r.outcome) : c.red(r.outcome)}: ${r.message} (${r.rollbackMs} ms)`);
          if (r.migrationsSince?.backupId && !opts.json) io.out(`release tasks ran since ${r.to}; to restore the database as it was: greenlight backup restore --env ${opts.env} ${r.migrationsSince.backupId}`);
          io.exit(r.outcome === 'succeeded' ? 0 : 1);
        } finally {
          await noteEnvironmentChanged(s.root, opts.env, 'rollback');
          s.close();
        }
      });
    });
}
