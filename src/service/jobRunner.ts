// Runs jobs by kind, one AbortController each, so a cancel request (or the client's cancellation
// token) stops exactly that job. Errors become a JobOutcome the extension can show as is.
import { CancelledError, type JobContext } from '../core/common/job';
import { GreenlightError, errorMessage } from '../core/common/errors';
import type { JobHandlers } from './jobs/registry';
import type { JobLogParams, JobOutcome, JobProgressParams, JobStartParams } from './protocol';

export interface JobSink {
  progress(p: JobProgressParams): void;
  log(p: JobLogParams): void;
}

export class JobRunner {
  readonly #running = new Map<string, AbortController>();

  constructor(
    private readonly handlers: JobHandlers,
    private readonly sink: JobSink,
  ) {}

  get runningCount(): number {
    return this.#running.size;
  }

  async run(start: JobStartParams, external?: AbortSignal): Promise<JobOutcome> {
    const handler = this.handlers[start.kind] as ((p: unknown, c: JobContext) => Promise<unknown>) | undefined;
    if (!handler) return { ok: false, cancelled: false, message: `unknown job kind "${start.kind}"`, exitCode: 2 };
    if (this.#running.has(start.jobId)) return { ok: false, cancelled: false, message: `job id ${start.jobId} is already running`, exitCode: 2 };
    const ac = new AbortController();
    const onExternal = (): void => ac.abort();
    external?.addEventListener('abort', onExternal, { once: true });
    this.#running.set(start.jobId, ac);
    const ctx: JobContext = {
      signal: ac.signal,
      progress: (p) => this.sink.progress({ jobId: start.jobId, ...p }),
      log: (line, level = 'info') => this.sink.log({ jobId: start.jobId, line, level }),
    };
    try {
      const result = await handler(start.params, ctx);
      return { ok: true, result };
    } catch (e) {
      const cancelled = e instanceof CancelledError || ac.signal.aborted;
      return {
        ok: false,
        cancelled,
        message: cancelled ? 'cancelled' : errorMessage(e),
        exitCode: e instanceof GreenlightError ? e.exitCode : 1,
      };
    } finally {
      external?.removeEventListener('abort', onExternal);
      this.#running.delete(start.jobId);
    }
  }

  cancel(jobId: string): boolean {
    const ac = this.#running.get(jobId);
    if (!ac) return false;
    ac.abort();
    return true;
  }

  cancelAll(): void {
    for (const ac of this.#running.values()) ac.abort();
  }
}
