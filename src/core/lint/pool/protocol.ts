// The messages between the lint worker pool (lintPool.ts) and its worker threads (lintWorker.ts).
// Everything crossing the thread boundary is plain data (structured clone): the engine's results
// already are, so a result arrives exactly as the in-process engine would have returned it.
import type { LintOptions, LintResult, Span } from '../types';

/** One file of a `files` request: the worker reads it unless its text came along (stdin, --cache). */
export interface FileItem {
  readonly file: string;
  readonly text?: string;
}

/** What became of one file of a `files` request. */
export type FileOutcome =
  | { readonly kind: 'linted'; readonly result: LintResult }
  /** No language lints this file (a .json that is no ArangoDB migration, a down script…). */
  | { readonly kind: 'skipped' }
  /** The file could not be read: why, as a phrase ("no such file or directory (ENOENT)"). */
  | { readonly kind: 'unread'; readonly reason: string };

export type WorkerRequest =
  | { readonly id: number; readonly kind: 'lint'; readonly file: string; readonly text: string; readonly options: LintOptions }
  | { readonly id: number; readonly kind: 'statements'; readonly file: string; readonly text: string }
  /**
   * Several files in one message (the CLI's bulk runs: one message per batch instead of two per
   * file). `seqs[i]` is the number the worker shows in its progress cell while it lints items[i].
   */
  | { readonly id: number; readonly kind: 'files'; readonly items: readonly FileItem[]; readonly seqs: readonly number[]; readonly options: LintOptions };

/** `retire`: a parser of this worker broke for good; the pool replaces the worker. */
export type WorkerResponse =
  /** Sent as soon as the worker picks a single-file request up: the time budget starts then. */
  | { readonly id: number; readonly kind: 'started' }
  | { readonly id: number; readonly kind: 'lint'; readonly result: LintResult; readonly retire?: boolean }
  | { readonly id: number; readonly kind: 'statements'; readonly statements: readonly Span[] | undefined; readonly retire?: boolean }
  | { readonly id: number; readonly kind: 'files'; readonly outcomes: readonly FileOutcome[]; readonly retire?: boolean }
  | { readonly id: number; readonly kind: 'failed'; readonly message: string; readonly retire?: boolean };

/**
 * The progress cell a worker shares with the pool (an Int32Array over a SharedArrayBuffer): which
 * file of a `files` request it is linting and since when, so the pool can hold each file to the
 * time budget without a message per file. `PROGRESS_SEQ` 0 means between files.
 */
export const PROGRESS_SEQ = 0;
/** Milliseconds since the pool's epoch (workerData.epoch) when the current file started, modulo 2^32 (the pool may live longer than an Int32 counts). */
export const PROGRESS_SINCE = 1;
export const PROGRESS_CELLS = 2;

/** What a worker gets at its start. */
export interface WorkerData {
  readonly progress: SharedArrayBuffer;
  /** Date.now() at the pool's start: PROGRESS_SINCE counts from it. */
  readonly epoch: number;
}
