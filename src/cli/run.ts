// Runs a commander program over argv with the CLI's exit-code rules: usage errors exit 2, a
// GreenlightError its own code, anything else 1. Shared by the full program (program.ts) and the
// lint-only entry (lintMain.ts), so both answer a mistake the same way.
import { Command, CommanderError } from 'commander';
import { GreenlightError, errorMessage } from '../core/common/errors';
import { colorsOf, type CliIo } from './io';
import { CLI_VERSION } from './version';

/** The program head both entries share (the full CLI and the lint-only bundle): name, version, output, errors. */
export function programHead(io: CliIo): Command {
  return (
    new Command('greenlight')
      .description('Build, test, ship, back up and deploy Docker services safely; lint migrations for idempotency.')
      .version(CLI_VERSION, '-V, --version', 'print the greenlight version')
      // Program options are read only before the verb: `deploy … --version v1.2` is deploy's own
      // --version (a version label), not the program's, which would print and exit 0 silently.
      .enablePositionalOptions()
      .showHelpAfterError()
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
  );
}

/** Builds the program with `build` on an io that tracks the exit code, runs argv and resolves to that code. */
export async function runProgram(build: (io: CliIo) => Command, argv: readonly string[], io: CliIo): Promise<number> {
  // The highest code wins; `greenlight exec` passes the remote command's own code through.
  let code = 0;
  const tracking: CliIo = {
    ...io,
    exit: (c) => {
      code = Math.max(code, c);
      io.exit(c);
    },
  };
  const program = build(tracking);
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
