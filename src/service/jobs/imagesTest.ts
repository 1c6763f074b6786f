// Tests built images in the service. A failed test is a result (the view shows ✗ and the log),
// not a job error; bad config or a missing image still fails the job.
import type { JobContext } from '../../core/common/job';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import { builtinMigrations } from '../../core/images/migrations';
import { testImages } from '../../core/images/testRun';
import type { JobParams, JobResult } from '../protocol';

export async function imagesTestJob(params: JobParams<'images.test'>, ctx: JobContext): Promise<JobResult<'images.test'>> {
  const r = await testImages(
    { workspaceRoot: params.workspaceRoot, engine: localDocker(), version: params.version, mode: params.mode, migrate: builtinMigrations },
    ctx,
  );
  return { passed: r.passed, version: r.version, mode: r.mode, images: r.images, durationMs: r.durationMs, failure: r.failure, logFile: r.logFile };
}
