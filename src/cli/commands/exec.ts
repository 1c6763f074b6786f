// `greenlight exec --env <e> [--service <s>] [--new] -- <argv…>`: runs a command in a deployed
// service, in its serving container or (--new) in a new one-off container of the same image with
// the same environment, network and mounts. The command is an argv array, never a shell string;
// greenlight exits with the command's own exit code.
import type { Command } from 'commander';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { execInService } from '../../core/deploy/operations';
import { openEnvironment } from '../../core/deploy/session';
import { cliContext, type CliIo } from '../io';
import { endAll, lineWriter } from '../output';
import { withSignal } from './ship';
import { defaultEnvironment } from './status';

export function registerExec(program: Command, io: CliIo): void {
  program
    .command('exec')
    .description('run a command (argv after --) in a deployed service; exits with its exit code')
    .argument('<argv...>', 'the command and its arguments, after --')
    .option('-e, --env <name>', 'environment from greenlight.yaml (optional when there is one)')
    .option('-s, --service <name>', 'service (optional when there is one)')
    .option('--new', 'run in a new one-off container of the serving image (same environment, network and mounts), removed afterwards')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .action(async (argv: string[], opts: { env?: string; service?: string; new?: boolean; config: string }) => {
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const envName = await defaultEnvironment(io, opts.config, opts.env);
        const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName, vars: io.env, retryForMs: 0, needsSecrets: false });
        const stdout = lineWriter((l) => io.out(l));
        const stderr = lineWriter((l) => io.err(l));
        try {
          const code = await execInService(ctx, s.host, { config: s.config, envName, service: opts.service, argv, fresh: !!opts.new }, { stdout, stderr });
          io.exit(code);
        } finally {
          await endAll(stdout, stderr);
          s.close();
        }
      });
    });
}
