// Maps each job kind to the engine call that performs it. Handlers receive a JobContext (signal,
// progress, log) and return the kind's result; errors propagate to the caller as JobOutcome.
import type { JobContext } from '../../core/common/job';
import type { JobKind, JobParams, JobResult } from '../protocol';
import { configSummaryJob } from './configSummary';
import { imagesBuildJob } from './imagesBuild';
import { imagesExportJob } from './imagesExport';
import { imagesListJob } from './imagesList';
import { imagesRemoveJob } from './imagesRemove';
import { imagesTestJob } from './imagesTest';
import { imagesTestLogJob } from './imagesTestLog';
import { migrateDryRunJob, migrateStatusJob, migrateVerifyJob } from './migrate';
import { sleepJob } from './sleep';

export type JobHandler<K extends JobKind> = (params: JobParams<K>, ctx: JobContext) => Promise<JobResult<K>>;

export type JobHandlers = { [K in JobKind]: JobHandler<K> };

export const jobHandlers: JobHandlers = {
  'config.summary': configSummaryJob,
  'service.sleep': sleepJob,
  'images.list': imagesListJob,
  'images.build': imagesBuildJob,
  'images.test': imagesTestJob,
  'images.export': imagesExportJob,
  'images.remove': imagesRemoveJob,
  'images.testLog': imagesTestLogJob,
  'migrate.status': migrateStatusJob,
  'migrate.verify': migrateVerifyJob,
  'migrate.dryRun': migrateDryRunJob,
};
