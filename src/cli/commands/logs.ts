// `greenlight logs --env <e> [--service <s>] [--follow] [--since <dur|time>] [--tail N]`: a deployed
// service's log lines, read from the host's Docker engine over the environment's SSH connection.
// The container's stdout goes to stdout and its stderr to stderr.
import type { Command } from 'commander';
import { InputError } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { parseSince, serviceLogs } from '../../core/deploy/operations';
import { openEnvironment } from '../../core/deploy/session';
import { cliContext, type CliIo } from '../io';
import { endAll, lineWriter } from '../output';
import { withSignal } from './ship';
import { defaultEnvironment } from './status';

export function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InputError(`${what} "${text}": expected a whole number of lines`);
  return Number(text);
}

export function registerLogs(program: Command, io: CliIo): void {
  program
    .command('logs')
    .description("a deployed service's log lines (stdout and stderr), optionally followed")
    .option('-e, --env <name>', 'environment from greenlight.yaml (optional when there is one)')
    .option('-s, --service <name>', 'service (optional when there is one)')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C or the container stops')
    .option('--since <duration|time>', 'only lines since a duration ago (10m, 1h30m, 2d) or a time (2025-01-20T10:00:00Z)')
    .option('-n, --tail <lines>', 'only the last N lines (default: 100, or all with --since)')
    .option('-t, --timestamps', "prefix each line with the engine's timestamp")
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .action(async (opts: { env?: string; service?: string; follow?: boolean; since?: string; tail?: string; timestamps?: boolean; config: string }) => {
      const since = opts.since === undefined ? undefined : parseSince(opts.since);
      const tail = opts.tail !== undefined ? parseCount(opts.tail, '--tail') : since === undefined ? 100 : undefined;
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const envName = await defaultEnvironment(io, opts.config, opts.env);
        const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName, vars: io.env, retryForMs: 0, needsSecrets: false });
        const stdout = lineWriter((l) => io.out(l));
        const stderr = lineWriter((l) => io.err(l));
        try {
          await serviceLogs(ctx, s.host, { config: s.config, envName, service: opts.service, follow: !!opts.follow, since, tail, timestamps: opts.timestamps }, { stdout, stderr });
        } finally {
          await endAll(stdout, stderr);
          s.close();
        }
      });
    });
}
