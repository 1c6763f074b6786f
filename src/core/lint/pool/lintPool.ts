// Lints files in worker threads, each file under a time and memory budget. A parser can hang
// (prism on 160 lines of `begin`), recurse without end or leave its WASM instance unusable; in a
// worker that costs one thread, which is terminated and replaced, and the file gets a finding
// that says it was not linted and why. The CLI spreads files over all cores this way, and the
// language server never runs a parser on the thread that answers the editor and runs jobs.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { budgetFinding } from './budget';
import type { LintOptions, LintResult, Span } from '../types';
import { PROGRESS_CELLS, PROGRESS_SEQ, PROGRESS_SINCE, type FileItem, type FileOutcome, type WorkerData, type WorkerRequest, type WorkerResponse } from './protocol';

/** What lints a file: the in-process Linter and the pool both fit. */
export interface LintRunner {
  lint(file: string, text: string, options?: LintOptions): Promise<LintResult>;
}

export interface LintBudget {
  /** Wall-clock time one file may take in its worker, parser loading included. */
  readonly timeMs: number;
  /** JS heap of a worker (V8 old generation); a file that needs more is not linted. */
  readonly memoryMb: number;
}

export const DEFAULT_LINT_BUDGET: LintBudget = { timeMs: 10_000, memoryMb: 1024 };

export interface LintPoolOptions {
  /** Worker threads at most (default: the machine's available parallelism). */
  readonly size?: number;
  readonly budget?: Partial<LintBudget>;
  /** How long a new worker may take to pick up its first request (loading its code). */
  readonly startTimeoutMs?: number;
  /**
   * Start one worker now, so it loads while the caller is still finding files (a CLI run has two
   * cores and this is the longest part of starting).
   */
  readonly warm?: boolean;
}

/**
 * Another worker is started only when this much work waits per running worker: four single-file
 * requests (the editor), or 32 files of a bulk run. A worker costs a thread start and its own
 * parsers (some 50 ms of CPU); a file of a typical migration directory takes about a millisecond.
 */
const BACKLOG_PER_WORKER = 32;
/** The backlog weight of a single-file request; a file of a bulk request weighs 1. */
const SINGLE_WEIGHT = 8;
/** Files per bulk request at most: few messages, yet small enough to balance the workers at the end. */
const MAX_BATCH = 64;

/** The files of one lintFiles() call a bulk request carries, and where their outcomes go. */
interface Batch {
  readonly items: readonly FileItem[];
  /** Each item's index in the lintFiles() call. */
  readonly indices: readonly number[];
  readonly seqs: readonly number[];
  readonly options: LintOptions;
  readonly settle: (index: number, outcome: FileOutcome) => void;
}

interface Task {
  readonly request: WorkerRequest;
  readonly resolve: (r: WorkerResponse) => void;
  readonly batch?: Batch;
}

interface Slot {
  worker?: Worker;
  /** The request the worker is on. */
  task?: Task;
  /**
   * A bulk request already sent to the worker, to start when `task` is done: the worker goes on
   * without waiting for this thread (on a loaded machine, a fifth of a worker's time went there).
   */
  next?: Task;
  timer?: NodeJS.Timeout;
  /** The worker's progress cell (which file of a bulk request it is on, since when). */
  progress?: Int32Array;
  /** When the current task was posted (Date.now()). */
  postedAt?: number;
}

/**
 * The worker script: the bundled dist/lintWorker.js next to the running bundle, or the TypeScript
 * source through tsx when running from the checkout (tests, scripts).
 */
function workerScript(): { script: string; eval: boolean } {
  const bundled = path.join(__dirname, 'lintWorker.js');
  if (existsSync(bundled)) return { script: bundled, eval: false };
  // Loader hooks given with --import do not reach worker threads on Node 20; tsx's CommonJS
  // require hook, registered inside the worker, does.
  return { script: `require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 'lintWorker.ts'))});`, eval: true };
}

export class LintPool implements LintRunner {
  readonly budget: LintBudget;
  readonly #size: number;
  readonly #startTimeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;
  #closed = false;
  /** Date.now() when the pool started: the progress cells count milliseconds from it. */
  readonly #epoch = Date.now();
  /** Workers started over the pool's life (a replaced worker counts again); for tests and logs. */
  started = 0;

  constructor(options: LintPoolOptions = {}) {
    this.budget = { ...DEFAULT_LINT_BUDGET, ...options.budget };
    this.#size = Math.max(1, options.size ?? availableParallelism());
    this.#startTimeoutMs = options.startTimeoutMs ?? 30_000;
    if (options.warm) {
      const slot: Slot = {};
      this.#slots.push(slot);
      this.#spawn(slot);
    }
  }

  async lint(file: string, text: string, options: LintOptions = {}): Promise<LintResult> {
    const r = await this.#run({ id: this.#nextId++, kind: 'lint', file, text, options });
    if (r.kind === 'lint') return r.result;
    return { file, language: undefined, findings: [budgetFinding(text, r.kind === 'failed' ? r.message : 'not linted: the lint worker stopped', options)] };
  }

  /**
   * Lints many files (the CLI): the workers read them (unless an item brings its text) and skip
   * those no language lints. They go out in batches, one message for up to MAX_BATCH files and
   * one back, in shrinking sizes so the workers finish together (guided self-scheduling); each
   * file still runs under the time and memory budget. Outcomes come back in the items' order.
   */
  lintFiles(items: readonly FileItem[], options: LintOptions = {}): Promise<FileOutcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.#closed) return Promise.resolve(items.map((item) => notLinted(item, 'not linted: the linter was shut down', options)));
    return new Promise((resolve) => {
      const outcomes = new Array<FileOutcome>(items.length);
      let left = items.length;
      const settle = (index: number, outcome: FileOutcome): void => {
        if (outcomes[index] !== undefined) return;
        outcomes[index] = outcome;
        if (--left === 0) resolve(outcomes);
      };
      let from = 0;
      while (from < items.length) {
        const size = Math.max(1, Math.min(MAX_BATCH, Math.ceil((items.length - from) / (this.#size * 3))));
        const indices = Array.from({ length: Math.min(size, items.length - from) }, (_, k) => from + k);
        from += indices.length;
        this.#queueBatch({ items: indices.map((i) => items[i]!), indices, options, settle }, false);
      }
      this.#dispatch();
    });
  }

  /** Queues a batch (with fresh progress numbers); `first`: ahead of everything waiting (a retried remainder). */
  #queueBatch(b: Omit<Batch, 'seqs'>, first: boolean): void {
    const batch: Batch = { ...b, seqs: b.items.map(() => this.#nextId++) };
    const request: WorkerRequest = { id: this.#nextId++, kind: 'files', items: batch.items, seqs: batch.seqs, options: batch.options };
    const failAll = (message: string): void => batch.indices.forEach((index, k) => batch.settle(index, notLinted(batch.items[k]!, message, batch.options)));
    const task: Task = {
      request,
      batch,
      resolve: (r) => {
        if (r.kind === 'files') r.outcomes.forEach((o, k) => batch.settle(batch.indices[k]!, o));
        else failAll(r.kind === 'failed' ? r.message : 'not linted: the lint worker stopped');
      },
    };
    if (first) this.#queue.unshift(task);
    else this.#queue.push(task);
  }

  /** Top-level statement spans of a file (for "ignore for this statement"), parsed in a worker. */
  async statements(file: string, text: string): Promise<readonly Span[] | undefined> {
    const r = await this.#run({ id: this.#nextId++, kind: 'statements', file, text });
    return r.kind === 'statements' ? r.statements : undefined;
  }

  /** Terminates every worker; pending and later requests are answered as not linted. */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#queue.splice(0);
    for (const t of pending) t.resolve({ id: t.request.id, kind: 'failed', message: 'not linted: the linter was shut down' });
    await Promise.all(
      this.#slots.map(async (s) => {
        clearTimeout(s.timer);
        for (const t of [s.task, s.next]) t?.resolve({ id: t.request.id, kind: 'failed', message: 'not linted: the linter was shut down' });
        s.task = undefined;
        s.next = undefined;
        const w = s.worker;
        s.worker = undefined;
        await w?.terminate();
      }),
    );
  }

  #run(request: WorkerRequest): Promise<WorkerResponse> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve({ id: request.id, kind: 'failed', message: 'not linted: the linter was shut down' });
      this.#queue.push({ request, resolve });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length) {
      let slot = this.#slots.find((s) => !s.task);
      // A worker costs a thread start and its own parsers: worth it only for a backlog.
      if (!slot && this.#slots.length < this.#size && this.#backlog() >= BACKLOG_PER_WORKER * this.#slots.length) {
        slot = {};
        this.#slots.push(slot);
      }
      if (!slot) {
        // Every worker is busy: one on a bulk request gets the next batch now, to start on as soon
        // as it is done with the current one.
        const head = this.#queue[0]!;
        const busy = head.batch ? this.#slots.find((s) => s.worker && s.task?.batch && !s.next) : undefined;
        if (!busy) return;
        busy.next = this.#queue.shift()!;
        busy.worker!.postMessage(busy.next.request);
        continue;
      }
      this.#start(slot, this.#queue.shift()!);
    }
  }

  #backlog(): number {
    let n = 0;
    for (const t of this.#queue) n += t.batch ? t.batch.items.length : SINGLE_WEIGHT;
    return n;
  }

  #spawn(slot: Slot): Worker {
    const { script, eval: isCode } = workerScript();
    const progress = new SharedArrayBuffer(PROGRESS_CELLS * Int32Array.BYTES_PER_ELEMENT);
    const workerData: WorkerData = { progress, epoch: this.#epoch };
    const worker = new Worker(script, { eval: isCode, workerData, resourceLimits: { maxOldGenerationSizeMb: this.budget.memoryMb }, stdout: false, stderr: false });
    slot.progress = new Int32Array(progress);
    this.started++;
    // An idle worker must not keep a CLI process alive; the pool decides when workers stop.
    worker.unref();
    worker.on('message', (m: WorkerResponse) => {
      if (slot.worker !== worker) return;
      const task = slot.task;
      if (!task || m.id !== task.request.id) return;
      if (m.kind === 'started') {
        clearTimeout(slot.timer);
        slot.timer = setTimeout(() => this.#fail(slot, worker, `not linted: exceeded the ${this.budget.timeMs} ms time budget for one file`), this.budget.timeMs);
        return;
      }
      this.#finish(slot, m);
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const why = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `not linted: exceeded the ${this.budget.memoryMb} MB memory budget for one file` : `not linted: the lint worker failed: ${e.message}`;
      this.#fail(slot, worker, why);
    });
    worker.on('exit', () => this.#fail(slot, worker, 'not linted: the lint worker stopped'));
    slot.worker = worker;
    return worker;
  }

  #start(slot: Slot, task: Task): void {
    slot.task = task;
    const worker = slot.worker ?? this.#spawn(slot);
    worker.ref();
    // Until the worker says it started, the clock that runs is the start-up one.
    if (task.batch) this.#arm(slot, worker, task.batch);
    else {
      slot.postedAt = Date.now();
      slot.timer = setTimeout(() => this.#fail(slot, worker, `not linted: the lint worker did not start within ${this.#startTimeoutMs} ms`), this.#startTimeoutMs);
    }
    worker.postMessage(task.request);
  }

  /** Starts watching the slot's bulk request (posted now, or prefetched and now the worker's turn). */
  #arm(slot: Slot, worker: Worker, batch: Batch): void {
    slot.postedAt = Date.now();
    slot.timer = setTimeout(() => this.#watch(slot, worker, batch), Math.min(this.#startTimeoutMs, this.budget.timeMs));
  }

  /** The running file of the slot's bulk request (an index into batch.items), or -1 before or after its files. */
  #runningItem(slot: Slot, batch: Batch): number {
    const seq = slot.progress ? Atomics.load(slot.progress, PROGRESS_SEQ) : 0;
    return seq >= batch.seqs[0]! && seq <= batch.seqs[batch.seqs.length - 1]! ? seq - batch.seqs[0]! : -1;
  }

  /**
   * The budget of a bulk request, checked when it may have run out: the file the progress cell
   * shows gets `budget.timeMs` from the time it started; before the first file, the start-up
   * timeout runs from when the request was posted.
   */
  #watch(slot: Slot, worker: Worker, batch: Batch): void {
    if (slot.worker !== worker || slot.task?.batch !== batch) return;
    const now = Date.now();
    const running = this.#runningItem(slot, batch);
    let left: number;
    if (running >= 0) {
      // The cell holds the start modulo 2^32 (an Int32Array stores a number that way): the
      // difference taken the same way is right for any run shorter than 24 days.
      const elapsed = (now - this.#epoch - Atomics.load(slot.progress!, PROGRESS_SINCE)) | 0;
      left = this.budget.timeMs - elapsed;
      if (left <= 0) return this.#fail(slot, worker, `not linted: exceeded the ${this.budget.timeMs} ms time budget for one file`);
    } else {
      left = (slot.postedAt ?? now) + this.#startTimeoutMs - now;
      if (left <= 0) return this.#fail(slot, worker, `not linted: the lint worker did not start within ${this.#startTimeoutMs} ms`);
      left = Math.min(left, this.budget.timeMs);
    }
    slot.timer = setTimeout(() => this.#watch(slot, worker, batch), left + 1);
  }

  #finish(slot: Slot, response: WorkerResponse): void {
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = slot.next;
    slot.next = undefined;
    if (response.kind !== 'started' && response.retire && slot.worker) {
      const w = slot.worker;
      slot.worker = undefined;
      void w.terminate();
    }
    if (slot.task && slot.worker) this.#arm(slot, slot.worker, slot.task.batch!);
    else {
      // A request already sent to a worker that is gone goes to the next one.
      if (slot.task) this.#queue.unshift(slot.task);
      slot.task = undefined;
      slot.worker?.unref();
    }
    task?.resolve(response);
    this.#dispatch();
  }

  /** The worker is given up on: its task is answered with `why` and the next task gets a new worker. */
  #fail(slot: Slot, worker: Worker, why: string): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    void worker.terminate();
    clearTimeout(slot.timer);
    const tasks = [slot.task, slot.next].filter((t): t is Task => t !== undefined);
    slot.task = undefined;
    slot.next = undefined;
    const culprit = this.#closed ? undefined : tasks.find((t) => t.batch && this.#runningItem(slot, t.batch) >= 0);
    if (culprit) {
      // Only the file that was running is given up on; the other files sent to this worker
      // (answered or not: a batch is answered in one message) go to the front of the queue, in
      // their order, for a new worker.
      const running = this.#runningItem(slot, culprit.batch!);
      culprit.batch!.settle(culprit.batch!.indices[running]!, notLinted(culprit.batch!.items[running]!, why, culprit.batch!.options));
      for (const t of [...tasks].reverse()) {
        const b = t.batch!;
        const rest = b.items.map((_, k) => k).filter((k) => t !== culprit || k !== running);
        if (rest.length) this.#queueBatch({ items: rest.map((k) => b.items[k]!), indices: rest.map((k) => b.indices[k]!), options: b.options, settle: b.settle }, true);
      }
    } else {
      // No file was running: the request the worker was on fails whole (it did not start, or the
      // worker died between files); one sent ahead is tried again on a new worker.
      if (tasks[1]) this.#queue.unshift(tasks[1]);
      tasks[0]?.resolve({ id: tasks[0].request.id, kind: 'failed', message: why });
    }
    this.#dispatch();
  }
}

/** The outcome of a file that was not linted, with the finding that says why. */
function notLinted(item: FileItem, message: string, options: LintOptions): FileOutcome {
  let text = item.text;
  if (text === undefined) {
    try {
      text = readFileSync(item.file, 'utf8');
    } catch {
      // Only its length places the finding; an unreadable file gets it at the start.
      text = '';
    }
  }
  return { kind: 'linted', result: { file: item.file, language: undefined, findings: [budgetFinding(text, message, options)] } };
}
