// Exports tested images to .tar.gz files with checksums in the service.
import type { JobContext } from '../../core/common/job';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import { exportImages } from '../../core/images/exportImages';
import type { JobParams, JobResult } from '../protocol';

export async function imagesExportJob(params: JobParams<'images.export'>, ctx: JobContext): Promise<JobResult<'images.export'>> {
  const r = await exportImages(
    { workspaceRoot: params.workspaceRoot, engine: localDocker(), version: params.version, services: params.services, outDir: params.outDir },
    ctx,
  );
  return { dir: r.dir, version: r.version, deployInfo: r.deployInfo, files: r.images.map((i) => ({ service: i.service, file: i.file, sha256: i.sha256, bytes: i.bytes })) };
}
