// "Roll Back" in the service. The plan lists the retained versions and, for each, the release
// tasks (migrations, seeds) that ran in the deploys since it and the pre-deploy backup taken
// before the first of them, so the editor can say so before anything changes. The rollback
// itself is the engine's: under the deploy lock, health-checked, put back when unhealthy.
import type { JobContext } from '../../core/common/job';
import { tailAudit } from '../../core/deploy/audit';
import { pickService } from '../../core/deploy/environment';
import { LABEL, namesFor } from '../../core/deploy/plan';
import { listRetained, migrationsSince, rollback } from '../../core/deploy/rollback';
import type { JobParams, JobResult } from '../protocol';
import { withEnvironment } from './deploySession';

export async function deployRollbackPlanJob(params: JobParams<'deploy.rollbackPlan'>, ctx: JobContext): Promise<JobResult<'deploy.rollbackPlan'>> {
  return await withEnvironment(ctx, { ...params, timeoutMs: 30_000 }, async (s, c) => {
    const service = pickService(s.config, params.service);
    const cur = await s.host.docker.inspectContainer(namesFor(s.config.project, service.name).current);
    const audit = await tailAudit(c, s.host, s.environment.env.stateDir, 200);
    const retained = (await listRetained(s.host, s.config, s.environment.name, service.name)).map((r) => {
      const version = r.labels[LABEL.version] ?? r.name;
      return { version, createdAt: new Date(r.createdAt).toISOString(), migrationsSince: migrationsSince(audit, service.name, version) };
    });
    return { service: service.name, current: cur?.labels[LABEL.version], retained };
  });
}

export async function deployRollbackJob(params: JobParams<'deploy.rollback'>, ctx: JobContext): Promise<JobResult<'deploy.rollback'>> {
  return await withEnvironment(ctx, { ...params, retryForMs: 30_000 }, async (s, c) => {
    return await rollback(c, s.host, { config: s.config, environment: s.environment, service: params.service, toVersion: params.toVersion });
  });
}
