// The audit log on the host: one JSON line per deploy, rollback, recovery, refusal, lock break
// and interrupted deploy, only ever appended. It answers "who deployed what, when, with which backup, and how did it end".
import type { JobContext } from '../common/job';
import { redact, type Secret } from '../common/secret';
import type { RemoteHost } from '../ship/remoteHost';
import { stateCommands } from './plan';

export interface AuditRecord {
  readonly at: string;
  readonly action: 'deploy' | 'rollback' | 'recover' | 'lock-break';
  readonly deployId: string;
  readonly who: string;
  readonly machine: string;
  readonly env: string;
  readonly service?: string;
  readonly version?: string;
  readonly imageId?: string;
  readonly previousVersion?: string;
  /** `interrupted`: a deploy that never finished (killed, or its connection lost), written by whoever broke its lock. */
  readonly result: 'succeeded' | 'failed' | 'rolled-back' | 'cancelled' | 'refused' | 'interrupted';
  /** The version serving when the operation ended. */
  readonly serving?: string;
  readonly backupId?: string;
  readonly releaseTasks?: readonly string[];
  readonly untestedOverride?: string;
  readonly message?: string;
  readonly durationMs?: number;
  /** For lock breaks and recoveries: the step the interrupted deploy had reached, and its id. */
  readonly interruptedStep?: string;
  readonly interruptedDeployId?: string;
}

export async function appendAudit(host: RemoteHost, stateDir: string, rec: AuditRecord, secrets: readonly Secret[] = []): Promise<void> {
  const c = stateCommands(stateDir);
  await host.run(c.mkdirState);
  await host.run(c.appendAudit, { stdin: redact(JSON.stringify(rec), secrets) + '\n' });
}

export async function tailAudit(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, stateDir: string, n = 20): Promise<AuditRecord[]> {
  const r = await host.exec(stateCommands(stateDir).tailAudit(n), { signal: ctx.signal });
  if (r.code !== 0) return [];
  const out: AuditRecord[] = [];
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AuditRecord);
    } catch {
      // A torn line (a crash mid-append) is skipped; the rest of the log still reads.
    }
  }
  return out.reverse();
}
