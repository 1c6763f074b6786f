// Builds the `greenlight` command tree. Each verb lives in its own file under ./commands and
// registers itself here; the CLI layer only parses arguments and prints, the engine does the work.
import { Command, CommanderError } from 'commander';
import { GreenlightError, errorMessage } from '../core/common/errors';
import { version as packageVersion } from '../../package.json';
import { colorsOf, type CliIo } from './io';
import { registerConfig } from './commands/config';
import { registerBuild } from './commands/build';
import { registerExport } from './commands/export';
import { registerTest } from './commands/test';
import { registerLint } from './commands/lint';
import { registerShip } from './commands/ship';
import { registerDeploy } from './commands/deploy';
import { registerRollback } from './commands/rollback';
import { registerBackup } from './commands/backup';
import { registerStatus } from './commands/status';
import { registerMigrate } from './commands/migrate';
import { registerInit } from './commands/init';
import { registerLogs } from './commands/logs';
import { registerExec } from './commands/exec';
import { registerCompletion } from './commands/completion';

/** The version of the package this CLI ships in (bundled from package.json at build time). */
export const CLI_VERSION: string = packageVersion;

export function buildProgram(io: CliIo): Command {
  const program = new Command('greenlight')
    .description('Build, test, ship, back up and deploy Docker services safely; lint migrations for idempotency.')
    .version(CLI_VERSION, '-V, --version', 'print the greenlight version')
    // Program options are read only before the verb: `deploy … --version v1.2` is deploy's own
    // --version (a version label), not the program's, which would print and exit 0 silently.
    .enablePositionalOptions()
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
  registerBackup(program, io);
  registerStatus(program, io);
  registerLogs(program, io);
  registerExec(program, io);
  registerMigrate(program, io);
  registerCompletion(program, io);
  return program;
}

/** Runs argv (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<0 | 1 | 2> {
  let code: 0 | 1 | 2 = 0;
  const tracking: CliIo = { ...io, exit: (c) => { code = Math.max(code, c) as 0 | 1 | 2; io.exit(c); } };
  const program = buildProgram(tracking);
  const red = colorsOf(io).err.red;
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return code;
      tracking.exit(2);
      return code;
    }
    if (e instanceof GreenlightError) {
      io.err(`${red('error:')} ${e.message}`);
      tracking.exit(e.exitCode);
      return code;
    }
    io.err(`${red('error:')} ${errorMessage(e)}`);
    tracking.exit(1);
  } finally {
    // A transfer line still drawn ends on its own line (and its redraw timer stops).
    io.transfer?.end();
  }
  return code;
}
