// Removes one image tag (Docker refuses while a container uses it, and says so).
import type { JobContext } from '../../core/common/job';
import { OperationError } from '../../core/common/errors';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import type { JobParams, JobResult } from '../protocol';

export async function imagesRemoveJob(params: JobParams<'images.remove'>, ctx: JobContext): Promise<JobResult<'images.remove'>> {
  const engine = localDocker();
  try {
    await engine.removeImage(params.ref);
  } catch (e) {
    throw new OperationError(`cannot remove ${params.ref}: ${(e as { json?: { message?: string } }).json?.message ?? (e as Error).message}`);
  }
  ctx.log(`removed ${params.ref}`);
  return { removed: params.ref };
}
