// Builds the `greenlight` command tree. Each verb lives in its own file under ./commands and
// registers itself here; the CLI layer only parses arguments and prints, the engine does the work.
import type { Command } from 'commander';
import type { CliIo } from './io';
import { programHead, runProgram } from './run';
import { CLI_VERSION } from './version';
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
import { registerCompletion } from './commands/completion';

export { CLI_VERSION };

export function buildProgram(io: CliIo): Command {
  const program = programHead(io);
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
  registerCompletion(program, io);
  return program;
}

/** Runs argv (without node and script) and resolves to the exit code. */
export function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runProgram(buildProgram, argv, io);
}
