// What a CLI verb may touch of the outside world: its output streams and the working directory.
// Verbs receive this instead of using process.* directly, so tests can run them in-process.
import type { JobContext } from '../core/common/job';

export interface CliIo {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /**
   * Sets the process exit code (the highest set wins: 2 over 1 over 0). `greenlight exec` passes
   * the remote command's own code through, which may be any number.
   */
  exit(code: number): void;
}

export function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    exit: (code) => {
      process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
    },
  };
}

/** A JobContext for CLI verbs: progress goes to stderr as one line per step, Ctrl-C cancels. */
export function cliContext(io: CliIo, signal: AbortSignal): JobContext {
  let lastStep = '';
  return {
    signal,
    progress: (p) => {
      if (p.step !== lastStep || p.message) io.err(`» ${p.step}${p.message ? `: ${p.message}` : ''}`);
      lastStep = p.step;
    },
    log: (line, level = 'info') => (level === 'info' ? io.err(line) : io.err(`${level}: ${line}`)),
  };
}
