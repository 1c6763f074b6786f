// The body of a lint worker thread: the default linter, one request at a time. Parsers are loaded
// on the first file of their language, so a worker that only sees SQL never starts prism or
// tree-sitter. A hung or runaway parse is the pool's business: it terminates this thread.
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { createDefaultLinter } from '../defaultLinter';
import { treeSitterRuntimeFailed } from '../treeSitter';
import type { LintOptions } from '../types';
import { budgetFinding } from './budget';
import { PROGRESS_CELLS, PROGRESS_SEQ, PROGRESS_SINCE, type FileItem, type FileOutcome, type WorkerData, type WorkerRequest, type WorkerResponse } from './protocol';
import { readFailureReason } from './readFailure';

const port = parentPort;
if (!port) throw new Error('lintWorker runs only as a worker thread');
const linter = createDefaultLinter();
const data = workerData as WorkerData | undefined;
const progress = data ? new Int32Array(data.progress, 0, PROGRESS_CELLS) : undefined;
const epoch = data?.epoch ?? Date.now();

const answer = (r: WorkerResponse): void => port.postMessage(r.kind === 'started' || !treeSitterRuntimeFailed() ? r : { ...r, retire: true });

/**
 * Lints the files of a batch in order. The progress cell says which one is running and since when
 * (the pool's watchdog reads it); the outcomes go back in one message at the end.
 */
async function lintFiles(items: readonly FileItem[], seqs: readonly number[], options: LintOptions): Promise<FileOutcome[]> {
  const outcomes: FileOutcome[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (progress) {
      Atomics.store(progress, PROGRESS_SINCE, Date.now() - epoch);
      Atomics.store(progress, PROGRESS_SEQ, seqs[i]!);
    }
    let text = item.text;
    if (text === undefined) {
      try {
        text = readFileSync(item.file, 'utf8');
      } catch (e) {
        outcomes.push({ kind: 'unread', reason: readFailureReason(e) });
        continue;
      }
    }
    if (!linter.languageFor(item.file, text)) {
      outcomes.push({ kind: 'skipped' });
      continue;
    }
    try {
      outcomes.push({ kind: 'linted', result: await linter.lint(item.file, text, options) });
    } catch (e) {
      // The engine does not throw for bad input; anything else is this file's, not the batch's.
      outcomes.push({ kind: 'linted', result: { file: item.file, language: undefined, findings: [budgetFinding(text, `the lint worker failed: ${e instanceof Error ? e.message : String(e)}`, options)] } });
    }
  }
  if (progress) Atomics.store(progress, PROGRESS_SEQ, 0);
  return outcomes;
}

/** Requests run one after the other: the pool may send the next batch while this one runs. */
let queue: Promise<void> = Promise.resolve();

port.on('message', (req: WorkerRequest) => {
  // A failure outside a request's own handling ends the worker, as an unhandled one would: the
  // pool sees the worker fail and replaces it.
  queue = queue
    .then(() => handle(req))
    .catch((e: unknown) => {
      setImmediate(() => {
        throw e;
      });
    });
});

async function handle(req: WorkerRequest): Promise<void> {
  if (req.kind !== 'files') answer({ id: req.id, kind: 'started' });
  try {
    if (req.kind === 'files') {
      answer({ id: req.id, kind: 'files', outcomes: await lintFiles(req.items, req.seqs, req.options) });
      return;
    }
    if (req.kind === 'lint') {
      answer({ id: req.id, kind: 'lint', result: await linter.lint(req.file, req.text, req.options) });
      return;
    }
    const language = linter.languageFor(req.file, req.text);
    const parsed = language ? await language.parse(req.text, req.file) : undefined;
    answer({ id: req.id, kind: 'statements', statements: parsed?.ok ? parsed.statements.map((s) => ({ start: s.start, end: s.end })) : undefined });
  } catch (e) {
    answer({ id: req.id, kind: 'failed', message: e instanceof Error ? e.message : String(e) });
  }
}
