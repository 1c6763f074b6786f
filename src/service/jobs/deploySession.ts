// Opens one environment for one service job through the engine's one door (core/deploy/session.ts
// openEnvironment): greenlight.yaml of the workspace, the secrets the editor sent (wrapped in
// Secret at once, never logged), one SSH connection for the whole operation. Views pass a timeout
// so an unreachable host is an error row after a few seconds, never a hang.
import * as path from 'node:path';
import { InputError, errorMessage } from '../../core/common/errors';
import type { JobContext } from '../../core/common/job';
import { Secret } from '../../core/common/secret';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import type { GreenlightConfig } from '../../core/config/schema';
import type { ResolvedEnvironment } from '../../core/deploy/environment';
import type { DeploySecrets } from '../../core/deploy/plan';
import { loadProject, openEnvironment, type EnvironmentSession } from '../../core/deploy/session';
import { AuthenticationError, HostKeyError, SshNotConfiguredError, type RemoteHost } from '../../core/ship/remoteHost';
import type { ConnectionProblemKind, EnvironmentSecretsParams } from '../protocol';

export interface JobSession {
  readonly config: GreenlightConfig;
  readonly root: string;
  readonly environment: ResolvedEnvironment;
  readonly secrets: DeploySecrets;
  readonly host: RemoteHost;
}

/** Wraps what the editor sent; an empty password means "the database takes none". */
export function secretsOf(p: EnvironmentSecretsParams | undefined): DeploySecrets {
  const env: Record<string, Secret> = {};
  for (const [k, v] of Object.entries(p?.secretEnv ?? {})) env[k] = new Secret(v);
  return { dbPassword: p?.dbPassword ? new Secret(p.dbPassword) : undefined, env };
}

export async function loadWorkspace(workspaceRoot: string): Promise<{ config: GreenlightConfig; root: string }> {
  return await loadProject(path.join(workspaceRoot, CONFIG_FILE_NAME));
}

/**
 * Runs fn with a connected environment and closes the connection afterwards. With timeoutMs the
 * whole operation is abandoned (and the connection dropped) after that long.
 */
export async function withEnvironment<T>(
  ctx: JobContext,
  opts: { workspaceRoot: string; env: string; secrets?: EnvironmentSecretsParams; timeoutMs?: number; retryForMs?: number },
  fn: (s: JobSession, ctx: JobContext) => Promise<T>,
): Promise<T> {
  const project = await loadWorkspace(opts.workspaceRoot);
  let jobCtx = ctx;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  if (opts.timeoutMs) {
    const ac = new AbortController();
    const onOuter = (): void => ac.abort();
    ctx.signal.addEventListener('abort', onOuter, { once: true });
    timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, opts.timeoutMs);
    jobCtx = { ...ctx, signal: ac.signal };
  }
  let session: EnvironmentSession | undefined;
  try {
    session = await openEnvironment(jobCtx, { project, envName: opts.env, secrets: secretsOf(opts.secrets), retryForMs: opts.retryForMs ?? 0 });
    return await fn(session, jobCtx);
  } catch (e) {
    if (timedOut) {
      const ssh = project.config.environments[opts.env]?.ssh;
      const who = ssh ? `${ssh.user}@${ssh.host}:${ssh.port}` : `environment "${opts.env}"`;
      throw new InputError(`${who} did not answer within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s`);
    }
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    session?.close();
  }
}

/** Which of the user's fixes applies to a failed connection (see ConnectionProblemKind). */
export function problemKindOf(e: unknown): ConnectionProblemKind {
  if (e instanceof SshNotConfiguredError) return 'not-configured';
  if (e instanceof HostKeyError) return 'host-key';
  if (e instanceof AuthenticationError) return 'auth';
  return 'unreachable';
}

/** What a view shows instead of data when the host could not be asked. */
export function unreachable(e: unknown): { reachable: false; problem: string; hostKeyRefused?: boolean; problemKind: ConnectionProblemKind } {
  const problemKind = problemKindOf(e);
  return { reachable: false, problem: errorMessage(e), hostKeyRefused: problemKind === 'host-key' ? true : undefined, problemKind };
}
