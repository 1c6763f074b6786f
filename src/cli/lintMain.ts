// Entry of `greenlight lint` (dist/cliLint.js): the same program head and lint verb as the full
// CLI, without the other verbs and their drivers (docker, ssh, pg, arangojs). A lint run in CI or
// a pre-commit hook starts in a fraction of the time the whole program takes to load.
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import { registerLint } from './commands/lint';
import { processIo, type CliIo } from './io';
import { programHead, runProgram } from './run';

// A lint run is short: WASM code from V8's baseline compiler is ready at once, while the
// optimizing tier compiles the 1.7 MB SQL parser in the background and the process waits for it
// at exit (measured: 0.29 s of CPU for one file with this flag, 0.47 s without; 1.9 s against
// 2.6 s for 1,557 files). Set before any parser is loaded; worker threads share it.
setFlagsFromString('--liftoff-only');
setFlagsFromString('--wasm-lazy-compilation');

function buildLintProgram(io: CliIo): Command {
  const program = programHead(io);
  registerLint(program, io);
  return program;
}

void runProgram(buildLintProgram, process.argv.slice(2), processIo()).then((code) => {
  process.exitCode = code;
});
