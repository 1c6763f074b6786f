// Runs a configured command (an argv array: never a shell string) and streams its output line by
// line, keeping the tail for error messages and log excerpts.
import { spawn } from 'node:child_process';
import { CancelledError } from '../common/job';

export interface CommandResult {
  readonly exitCode: number;
  /** The signal that ended the process, if one did. */
  readonly signal?: string;
  /** The last lines of combined stdout and stderr. */
  readonly tail: readonly string[];
}

export interface RunCommandOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  readonly tailLines?: number;
  /** Kills the command (and fails) after this long. */
  readonly timeoutMs?: number;
}

export function runCommand(argv: readonly string[], opts: RunCommandOptions): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('empty command'));
  const keep = opts.tailLines ?? 200;
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new CancelledError());
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const partial = { stdout: '', stderr: '' };
    const feed = (which: 'stdout' | 'stderr', chunk: Buffer): void => {
      const lines = (partial[which] + chunk.toString('utf8')).split('\n');
      partial[which] = lines.pop() ?? '';
      for (const l of lines) emit(which, l);
    };
    const emit = (which: 'stdout' | 'stderr', l: string): void => {
      const line = l.replace(/\r$/, '');
      tail.push(line);
      if (tail.length > keep) tail.shift();
      opts.onLine?.(line, which);
    };
    child.stdout.on('data', (c: Buffer) => feed('stdout', c));
    child.stderr.on('data', (c: Buffer) => feed('stderr', c));
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
        }, opts.timeoutMs)
      : undefined;
    const onAbort = (): void => void child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(e.code === 'ENOENT' ? new Error(`command not found: ${cmd} (run from ${opts.cwd})`) : e);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      for (const w of ['stdout', 'stderr'] as const) if (partial[w]) emit(w, partial[w]);
      if (opts.signal?.aborted) return reject(new CancelledError());
      if (timedOut) tail.push(`(killed after ${opts.timeoutMs} ms)`);
      resolve({ exitCode: code ?? (timedOut ? 124 : 128), signal: sig ?? undefined, tail });
    });
  });
}
