// Lists the project's images with their tested state for the Images view. A Docker engine that
// cannot be reached is a state to show, not an error.
import * as path from 'node:path';
import type { JobContext } from '../../core/common/job';
import { CONFIG_FILE_NAME, loadConfig } from '../../core/config/load';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import { listProjectImages } from '../../core/images/listImages';
import type { JobParams, JobResult } from '../protocol';

export async function imagesListJob(params: JobParams<'images.list'>, _ctx: JobContext): Promise<JobResult<'images.list'>> {
  const engine = localDocker();
  const cfg = await loadConfig(path.join(params.workspaceRoot, CONFIG_FILE_NAME));
  if (!cfg.ok) return { dockerAvailable: true, endpoint: engine.endpoint, problem: 'greenlight.yaml has problems', services: [] };
  try {
    await engine.ping();
  } catch (e) {
    return { dockerAvailable: false, endpoint: engine.endpoint, problem: (e as Error).message, services: [] };
  }
  return { dockerAvailable: true, endpoint: engine.endpoint, services: await listProjectImages(cfg.root, cfg.config.project, engine) };
}
