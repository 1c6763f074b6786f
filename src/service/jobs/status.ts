// The Environments view's data for one environment: each service's running version, health and
// uptime, the deploy lock holder and the audit tail. An unreachable host (or a refused host key)
// is a result with the reason, not a job error, so the view shows an error row and never hangs.
import type { JobContext } from '../../core/common/job';
import { errorMessage } from '../../core/common/errors';
import { listHostContainers, type HostContainer } from '../../core/deploy/hostContainers';
import { environmentStatus } from '../../core/deploy/status';
import type { AuditEntryDto, JobParams, JobResult } from '../protocol';
import { loadWorkspace, unreachable, withEnvironment } from './deploySession';

const DEFAULT_TIMEOUT_MS = 20_000;

export async function deployStatusJob(params: JobParams<'deploy.status'>, ctx: JobContext): Promise<JobResult<'deploy.status'>> {
  const checkedAt = new Date().toISOString();
  const { config } = await loadWorkspace(params.workspaceRoot);
  const e = config.environments[params.env];
  const host = e ? `${e.ssh.user}@${e.ssh.host}:${e.ssh.port}` : params.env;
  try {
    return await withEnvironment(ctx, { ...params, timeoutMs: params.timeoutMs ?? DEFAULT_TIMEOUT_MS }, async (s, c) => {
      const st = await environmentStatus(c, s.host, s.config, s.environment);
      const lock = st.lock === undefined || typeof st.lock === 'string' ? st.lock : { who: st.lock.who, machine: st.lock.machine, since: st.lock.since, what: st.lock.what };
      const recent: AuditEntryDto[] = st.recent.map((a) => ({
        at: a.at,
        action: a.action,
        deployId: a.deployId,
        who: a.who,
        machine: a.machine,
        service: a.service,
        version: a.version,
        previousVersion: a.previousVersion,
        result: a.result,
        serving: a.serving,
        backupId: a.backupId,
        releaseTasks: a.releaseTasks,
        untestedOverride: a.untestedOverride,
        message: a.message,
      }));
      // Every container of the host, not only Greenlight's; a failed listing costs the view only that part.
      let containers: HostContainer[] | undefined;
      let containersProblem: string | undefined;
      try {
        containers = await listHostContainers(s.host, s.config);
      } catch (e) {
        containersProblem = errorMessage(e);
      }
      return { env: st.env, host: st.host, reachable: true, services: st.services, lock, recent, checkedAt, containers, containersProblem, swarm: st.swarm, proxy: st.proxy };
    });
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return { env: params.env, host, ...unreachable(err), services: [], recent: [], checkedAt };
  }
}
