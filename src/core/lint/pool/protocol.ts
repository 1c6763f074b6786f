// The messages between the lint worker pool (lintPool.ts) and its worker threads (lintWorker.ts).
// Everything crossing the thread boundary is plain data (structured clone): the engine's results
// already are, so a result arrives exactly as the in-process engine would have returned it.
import type { LintOptions, LintResult, Span } from '../types';

export type WorkerRequest =
  | { readonly id: number; readonly kind: 'lint'; readonly file: string; readonly text: string; readonly options: LintOptions }
  | { readonly id: number; readonly kind: 'statements'; readonly file: string; readonly text: string };

/** `retire`: a parser of this worker broke for good; the pool replaces the worker. */
export type WorkerResponse =
  /** Sent as soon as the worker picks the request up: the time budget starts then. */
  | { readonly id: number; readonly kind: 'started' }
  | { readonly id: number; readonly kind: 'lint'; readonly result: LintResult; readonly retire?: boolean }
  | { readonly id: number; readonly kind: 'statements'; readonly statements: readonly Span[] | undefined; readonly retire?: boolean }
  | { readonly id: number; readonly kind: 'failed'; readonly message: string; readonly retire?: boolean };
