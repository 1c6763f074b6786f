// Builds the `greenlight` command tree. Each verb lives in its own file under ./commands and
// registers itself here; the CLI layer only parses arguments and prints, the engine does the work.
import { Command, CommanderError } from 'commander';
import { GreenlightError, errorMessage } from '../core/common/errors';
import type { CliIo } from './io';
import { registerConfig } from './commands/config';
import { registerBuild } from './commands/build';
import { registerExport } from './commands/export';
import { registerTest } from './commands/test';
import { registerLint } from './commands/lint';
import { registerShip } from './commands/ship';
import { registerDeploy } from './commands/deploy';
import { registerRollback } from './commands/rollback';
import { registerRecover } from './commands/recover';
import { registerBackup } from './commands/backup';
import { registerStatus } from './commands/status';
import { registerMigrate } from './commands/migrate';
import { registerInit } from './commands/init';
import { registerLogs } from './commands/logs';
import { registerExec } from './commands/exec';

export const CLI_VERSION = '0.1.0';

export function buildProgram(io: CliIo): Command {
  const program = new Command('greenlight')
    .description('Build, test, ship, back up and deploy Docker services safely; lint migrations for idempotency.')
    .version(CLI_VERSION)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  registerInit(program, io);
  registerConfig(program, io);
  registerBuild(program, io);
  registerTest(program, io);
  registerExport(program, io);
  registerLint(program, io);
  registerShip(program, io);
  registerDeploy(program, io);
  registerRollback(program, io);
  registerRecover(program, io);
  registerBackup(program, io);
  registerStatus(program, io);
  registerLogs(program, io);
  registerExec(program, io);
  registerMigrate(program, io);
  return program;
}

/** Runs argv (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<0 | 1 | 2> {
  let code: 0 | 1 | 2 = 0;
  const tracking: CliIo = { ...io, exit: (c) => { code = Math.max(code, c) as 0 | 1 | 2; io.exit(c); } };
  const program = buildProgram(tracking);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return code;
      tracking.exit(2);
      return code;
    }
    if (e instanceof GreenlightError) {
      io.err(`error: ${e.message}`);
      tracking.exit(e.exitCode);
      return code;
    }
    io.err(`error: ${errorMessage(e)}`);
    tracking.exit(1);
  }
  return code;
}
