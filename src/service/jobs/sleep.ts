// A job that only waits: lets tests prove that progress, cancellation and concurrency work end
// to end through the real service process without touching Docker or a database.
import { sleep, type JobContext } from '../../core/common/job';
import type { JobParams, JobResult } from '../protocol';

export async function sleepJob(params: JobParams<'service.sleep'>, ctx: JobContext): Promise<JobResult<'service.sleep'>> {
  const started = Date.now();
  const steps = 10;
  for (let i = 1; i <= steps; i++) {
    await sleep(params.ms / steps, ctx.signal);
    ctx.progress({ step: 'sleep', fraction: i / steps });
  }
  return { sleptMs: Date.now() - started };
}
