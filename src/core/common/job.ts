// The engine's contract for long operations: cancellation is an AbortSignal and progress is a
// callback, so the same code runs under the CLI, the background service and plain tests.

export interface Progress {
  /** A short, stable name for the current step, e.g. "build web" or "health check". */
  readonly step: string;
  readonly message?: string;
  /** 0..1 when the step knows how far it is; absent when it does not. */
  readonly fraction?: number;
  /** For a transfer: bytes moved so far, and of how many when known (a terminal shows rate and ETA from these). */
  readonly bytes?: { readonly done: number; readonly total?: number };
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface JobContext {
  readonly signal: AbortSignal;
  progress(p: Progress): void;
  log(line: string, level?: LogLevel): void;
}

/** A context for callers that want neither progress nor cancellation (tests, one-shot CLI verbs). */
export function quietContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { signal, progress: () => undefined, log: () => undefined };
}

/** Throws the signal's reason as a CancelledError when the operation was cancelled. */
export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Sleeps for ms, waking early (and throwing) when the signal is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
