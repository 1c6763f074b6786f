// An in-memory CliIo for CLI tests: what a verb printed on each stream and the exit codes it set.
import type { CliIo } from '../../../src/cli/io';

export interface Captured extends CliIo {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly codes: number[];
}

export function captureIo(cwd: string, env: NodeJS.ProcessEnv = {}): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const codes: number[] = [];
  return { cwd, env, stdout, stderr, codes, out: (t) => stdout.push(t), err: (t) => stderr.push(t), exit: (c) => codes.push(c) };
}
