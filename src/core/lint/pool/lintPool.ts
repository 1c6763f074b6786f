// Lints files in worker threads, each file under a time and memory budget. A parser can hang
// (prism on 160 lines of `begin`), recurse without end or leave its WASM instance unusable; in a
// worker that costs one thread, which is terminated and replaced, and the file gets a finding
// that says it was not linted and why. The CLI spreads files over all cores this way, and the
// language server never runs a parser on the thread that answers the editor and runs jobs.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { budgetFinding } from './budget';
import type { LintOptions, LintResult, Span } from '../types';
import type { WorkerRequest, WorkerResponse } from './protocol';

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

/** Another worker is started only when at least this many files per running worker wait. */
const BACKLOG_PER_WORKER = 4;

interface Task {
  readonly request: WorkerRequest;
  readonly resolve: (r: WorkerResponse) => void;
}

interface Slot {
  worker?: Worker;
  task?: Task;
  timer?: NodeJS.Timeout;
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
        s.task?.resolve({ id: s.task.request.id, kind: 'failed', message: 'not linted: the linter was shut down' });
        s.task = undefined;
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
      if (!slot) {
        // A worker costs a thread start and its own parsers: worth it only for a backlog.
        if (this.#slots.length >= this.#size || this.#queue.length < BACKLOG_PER_WORKER * this.#slots.length) return;
        slot = {};
        this.#slots.push(slot);
      }
      const task = this.#queue.shift()!;
      this.#start(slot, task);
    }
  }

  #spawn(slot: Slot): Worker {
    const { script, eval: isCode } = workerScript();
    const worker = new Worker(script, { eval: isCode, resourceLimits: { maxOldGenerationSizeMb: this.budget.memoryMb }, stdout: false, stderr: false });
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
    slot.timer = setTimeout(() => this.#fail(slot, worker, `not linted: the lint worker did not start within ${this.#startTimeoutMs} ms`), this.#startTimeoutMs);
    worker.postMessage(task.request);
  }

  #finish(slot: Slot, response: WorkerResponse): void {
    clearTimeout(slot.timer);
    const task = slot.task;
    slot.task = undefined;
    slot.worker?.unref();
    if (response.kind !== 'started' && response.retire && slot.worker) {
      const w = slot.worker;
      slot.worker = undefined;
      void w.terminate();
    }
    task?.resolve(response);
    this.#dispatch();
  }

  /** The worker is given up on: its task is answered with `why` and the next task gets a new worker. */
  #fail(slot: Slot, worker: Worker, why: string): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    void worker.terminate();
    const task = slot.task;
    if (task) this.#finish(slot, { id: task.request.id, kind: 'failed', message: why });
    else clearTimeout(slot.timer);
  }
}
