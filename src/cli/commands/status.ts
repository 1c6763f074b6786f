// `greenlight status --env <name>`: serving versions, health, retained versions, lock, last deploys.
import type { Command } from 'commander';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { openEnvironment } from '../../core/deploy/session';
import { environmentStatus } from '../../core/deploy/status';
import { cliContext, colorsOf, type CliIo } from '../io';
import { withSignal } from './ship';

export function registerStatus(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('what runs on an environment: versions, health, retained versions, deploy lock, recent deploys')
    .requiredOption('-e, --env <name>', 'environment from greenlight.yaml')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('--json', 'print as JSON')
    .action(async (opts: { env: string; config: string; json?: boolean }) => {
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName: opts.env, vars: io.env, retryForMs: 0 });
        try {
          const st = await environmentStatus(ctx, s.host, s.config, s.environment);
          if (opts.json) return io.out(JSON.stringify(st, null, 2));
          const c = colorsOf(io).out;
          io.out(`${st.env} (${st.host})`);
          for (const x of st.services) {
            const health = x.healthy ? c.green(x.health) : x.health === '-' ? x.health : c.red(x.health);
            io.out(`  ${x.service}: ${x.version ?? '-'} ${x.state}${x.startedAt ? ` since ${x.startedAt}` : ''}, health ${health}; retained: ${x.retained.join(', ') || 'none'}`);
          }
          io.out(`  lock: ${st.lock === undefined ? 'free' : typeof st.lock === 'string' ? st.lock : `${st.lock.who} on ${st.lock.machine} since ${st.lock.since} (${st.lock.what})`}`);
          for (const a of st.recent.slice(0, 5)) io.out(`  ${a.at} ${a.action} ${a.service ?? ''} ${a.version ?? ''} ${a.result} by ${a.who}${a.backupId ? ` (backup ${a.backupId})` : ''}`);
        } finally {
          s.close();
        }
      });
    });
}
