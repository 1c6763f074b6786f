// What a CLI verb may touch of the outside world: its output streams and the working directory.
// Verbs receive this instead of using process.* directly, so tests can run them in-process.
import type { JobContext } from '../core/common/job';
import { transferLine, type TransferLine } from './progress';
import { colorsFor, paint, plain, type Colors } from './style';

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
  /** Present when stderr is a terminal: transfers draw one updating line there instead of many. */
  readonly transfer?: TransferLine;
  /** Colours for what goes to stdout and to stderr (absent: none). */
  readonly colors?: { readonly out: Colors; readonly err: Colors };
  /** The whole of standard input as UTF-8 (`greenlight lint -`). */
  readStdin?(): Promise<string>;
}

export function processIo(): CliIo {
  const transfer = process.stderr.isTTY ? transferLine(process.stderr) : undefined;
  // Any other output first ends the transfer line, so text never lands in the middle of it.
  const write = (stream: NodeJS.WriteStream, t: string): void => {
    transfer?.end();
    stream.write(t.endsWith('\n') ? t : t + '\n');
  };
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (t) => write(process.stdout, t),
    err: (t) => write(process.stderr, t),
    exit: (code) => {
      process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
    },
    transfer,
    colors: { out: colorsFor(process.env, process.stdout.isTTY === true), err: colorsFor(process.env, process.stderr.isTTY === true) },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/** The colours of io's stdout and stderr (none when io has none). */
export function colorsOf(io: CliIo): { readonly out: Colors; readonly err: Colors } {
  return io.colors ?? { out: plain, err: plain };
}

/**
 * A JobContext for CLI verbs: progress goes to stderr as one line per step, Ctrl-C cancels.
 * A transfer (progress with bytes) is one updating line on a terminal, and off a terminal one
 * line per tenth of the total (or per 30 s when the total is unknown), never one per chunk.
 */
export function cliContext(io: CliIo, signal: AbortSignal, now: () => number = Date.now): JobContext {
  const c = colorsOf(io).err;
  let lastStep = '';
  let lastMessage: string | undefined;
  let logged = { step: '', tenth: -1, at: 0 };
  return {
    signal,
    progress: (p) => {
      if (p.bytes) {
        if (io.transfer) {
          io.transfer.update(p.step, p.bytes.done, p.bytes.total);
          lastStep = p.step;
          return;
        }
        const { done, total } = p.bytes;
        const tenth = total ? Math.floor((10 * done) / total) : -1;
        const due = p.step !== logged.step || (total ? tenth > logged.tenth : now() - logged.at >= 30_000);
        if (due) {
          io.err(c.dim(`» ${p.step}: ${total ? `${Math.floor((100 * done) / total)}% of ${(total / 1e6).toFixed(1)} MB` : `${(done / 1e6).toFixed(1)} MB`}`));
          logged = { step: p.step, tenth, at: now() };
        }
        lastStep = p.step;
        return;
      }
      if (p.step !== lastStep || (p.message && p.message !== lastMessage)) io.err(c.dim(`» ${p.step}${p.message ? `: ${p.message}` : ''}`));
      lastStep = p.step;
      lastMessage = p.message;
    },
    log: (line, level = 'info') => (level === 'info' ? io.err(line) : io.err(paint(c, level === 'error' ? 'error' : 'warn', `${level}: ${line}`))),
  };
}
