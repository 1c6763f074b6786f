// Maps each job kind to the engine call that performs it. Handlers receive a JobContext (signal,
// progress, log) and return the kind's result; errors propagate to the caller as JobOutcome.
import type { JobContext } from '../../core/common/job';
import type { JobKind, JobParams, JobResult } from '../protocol';
import { backupCreateJob, backupDeleteJob, backupDownloadJob, backupListJob, backupRestoreJob, backupVerifyJob } from './backup';
import { configInitJob } from './configInit';
import { containersForwardJob, containersLogsJob, containersRestartJob, containersStopJob } from './containers';
import { configSummaryJob } from './configSummary';
import { deployRunJob } from './deploy';
import { deployHostKeyJob, deployPinHostKeyEditJob, deploySetIdentityFileEditJob, deploySshTargetJob } from './deployHostKey';
import { imagesBuildJob } from './imagesBuild';
import { imagesExportJob } from './imagesExport';
import { imagesListJob } from './imagesList';
import { imagesRemoveJob } from './imagesRemove';
import { imagesTestJob } from './imagesTest';
import { imagesTestLogJob } from './imagesTestLog';
import { migrateDriftJob, migrateDryRunJob, migrateStatusJob, migrateVerifyJob } from './migrate';
import { deployRollbackJob, deployRollbackPlanJob } from './rollback';
import { sleepJob } from './sleep';
import { deployStatusJob } from './status';

export type JobHandler<K extends JobKind> = (params: JobParams<K>, ctx: JobContext) => Promise<JobResult<K>>;

export type JobHandlers = { [K in JobKind]: JobHandler<K> };

export const jobHandlers: JobHandlers = {
  'config.summary': configSummaryJob,
  'config.init': configInitJob,
  'service.sleep': sleepJob,
  'images.list': imagesListJob,
  'images.build': imagesBuildJob,
  'images.test': imagesTestJob,
  'images.export': imagesExportJob,
  'images.remove': imagesRemoveJob,
  'images.testLog': imagesTestLogJob,
  'deploy.status': deployStatusJob,
  'deploy.run': deployRunJob,
  'deploy.rollbackPlan': deployRollbackPlanJob,
  'deploy.rollback': deployRollbackJob,
  'deploy.hostKey': deployHostKeyJob,
  'deploy.pinHostKeyEdit': deployPinHostKeyEditJob,
  'deploy.setIdentityFileEdit': deploySetIdentityFileEditJob,
  'deploy.sshTarget': deploySshTargetJob,
  'containers.logs': containersLogsJob,
  'containers.restart': containersRestartJob,
  'containers.stop': containersStopJob,
  'containers.forward': containersForwardJob,
  'backup.list': backupListJob,
  'backup.create': backupCreateJob,
  'backup.verify': backupVerifyJob,
  'backup.restore': backupRestoreJob,
  'backup.delete': backupDeleteJob,
  'backup.download': backupDownloadJob,
  'migrate.status': migrateStatusJob,
  'migrate.verify': migrateVerifyJob,
  'migrate.dryRun': migrateDryRunJob,
  'migrate.drift': migrateDriftJob,
};
