// Reads greenlight.yaml for the views: what exists and what is wrong with it.
import * as path from 'node:path';
import type { JobContext } from '../../core/common/job';
import { CONFIG_FILE_NAME, loadConfig } from '../../core/config/load';
import { summarizeConfig } from '../../core/config/summary';
import type { JobParams, JobResult } from '../protocol';

export async function configSummaryJob(params: JobParams<'config.summary'>, _ctx: JobContext): Promise<JobResult<'config.summary'>> {
  const file = path.join(params.workspaceRoot, CONFIG_FILE_NAME);
  return summarizeConfig(await loadConfig(file));
}
