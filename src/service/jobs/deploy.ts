// "Deploy Tested Image" in the service: the engine's deploy (gate, preflight, lock, ship, backup,
// health, release tasks, swap, automatic rollback) with every step streamed through the job's
// progress and log, and the job's AbortSignal as cancellation (before the swap production stays
// untouched). The secrets the editor sent are wrapped in Secret at once and redacted from logs.
import { errorMessage } from '../../core/common/errors';
import type { JobContext } from '../../core/common/job';
import { redact } from '../../core/common/secret';
import { deploy } from '../../core/deploy/deploy';
import { breakLock } from '../../core/deploy/lock';
import { openLedger } from '../../core/images/ledger';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import type { JobParams, JobResult } from '../protocol';
import { secretsOf, withEnvironment } from './deploySession';

export async function deployRunJob(params: JobParams<'deploy.run'>, ctx: JobContext): Promise<JobResult<'deploy.run'>> {
  const secrets = secretsOf(params.secrets);
  const all = [secrets.dbPassword, ...Object.values(secrets.env)].filter((s) => s !== undefined);
  // Every line leaves the service through redact(), whatever the engine already did.
  const safe: JobContext = {
    signal: ctx.signal,
    progress: (p) => ctx.progress({ ...p, message: p.message === undefined ? undefined : redact(p.message, all) }),
    log: (line, level) => ctx.log(redact(line, all), level),
  };
  const local = localDocker();
  try {
    return await withEnvironment(safe, { workspaceRoot: params.workspaceRoot, env: params.env, secrets: params.secrets, retryForMs: 30_000 }, async (s, c) => {
      if (params.breakLock) {
        const h = await breakLock(c, s.host, s.environment.env.stateDir);
        c.log(h === 'free' ? 'lock: there was no lock to break' : `lock: broke the lock${h ? ` of ${h.who} (${h.what}, since ${h.since})` : ''}`, 'warn');
      }
      if (params.untestedOverride) c.log(`override: deploying ${params.image} without a passing test; reason given: "${params.untestedOverride}"`, 'warn');
      const ledger = await openLedger(s.root);
      const r = await deploy(c, local, s.host, {
        config: s.config,
        environment: s.environment,
        service: params.service,
        image: params.image,
        ledger,
        untestedOverride: params.untestedOverride,
        backup: params.backup,
        secrets: s.secrets,
      });
      return {
        deployId: r.deployId,
        outcome: r.outcome,
        service: r.service,
        version: r.version,
        previousVersion: r.previousVersion,
        serving: r.serving,
        message: redact(r.message, all),
        backupId: r.backup?.id,
        restoreOffer: r.restoreOffer,
        shipped: r.ship ? { bytes: r.ship.bytes, ms: r.ship.ms, alreadyPresent: r.ship.alreadyPresent } : undefined,
        switchMs: r.switchMs,
        warnings: r.warnings.map((w) => redact(w, all)),
        durationMs: r.durationMs,
      };
    });
  } catch (e) {
    // Errors travel to the editor as text: the same redaction applies.
    if (e instanceof Error) e.message = redact(errorMessage(e), all);
    throw e;
  } finally {
    local.close();
  }
}
