// Builds the workspace's images in the service, streaming the build output to the job log.
import type { JobContext } from '../../core/common/job';
import { buildImages } from '../../core/images/build';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import type { JobParams, JobResult } from '../protocol';

export async function imagesBuildJob(params: JobParams<'images.build'>, ctx: JobContext): Promise<JobResult<'images.build'>> {
  const r = await buildImages({ workspaceRoot: params.workspaceRoot, engine: localDocker(), services: params.services, noCache: params.noCache }, ctx);
  return { version: r.version, dirty: r.dirty, images: r.images };
}
