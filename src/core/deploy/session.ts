// The one door to an environment, the same for the CLI, the service's jobs (deploy, views, the
// migration panel) and the demo: read greenlight.yaml (or take the project already read), take
// the secrets (from variables: the CLI's process environment; or already wrapped: what the
// editor's SecretStorage holds), resolve the environment, connect once. What differs between
// callers is only options: whether secrets are required, how long to retry a rebooting host, and
// how quickly a view gives up on a host that accepts connections but never answers.
import * as path from 'node:path';
import { InputError } from '../common/errors';
import type { JobContext } from '../common/job';
import { Secret } from '../common/secret';
import { CONFIG_FILE_NAME, formatProblem, loadConfig } from '../config/load';
import type { GreenlightConfig } from '../config/schema';
import { RemoteHost, type ConnectOptions } from '../ship/remoteHost';
import { resolveEnvironment, type ResolvedEnvironment } from './environment';
import type { DeploySecrets } from './plan';

export interface EnvironmentSession {
  readonly config: GreenlightConfig;
  readonly root: string;
  readonly environment: ResolvedEnvironment;
  readonly secrets: DeploySecrets;
  readonly host: RemoteHost;
  close(): void;
}

export async function loadProject(configFile: string): Promise<{ config: GreenlightConfig; root: string }> {
  const r = await loadConfig(configFile);
  if (!r.ok) throw new InputError(r.problems.map(formatProblem).join('\n'));
  return { config: r.config, root: r.root };
}

/** Secrets named in the config, read from `vars`. A named but missing variable is an error. */
export function secretsFrom(config: GreenlightConfig, envName: string, vars: Readonly<Record<string, string | undefined>>): DeploySecrets {
  const env = config.environments[envName];
  let dbPassword: Secret | undefined;
  const pwVar = env?.database?.passwordEnv;
  if (pwVar) {
    const v = vars[pwVar];
    if (v === undefined) throw new InputError(`environment "${envName}" takes its database password from $${pwVar}, which is not set`);
    dbPassword = new Secret(v);
  }
  const out: Record<string, Secret> = {};
  for (const s of config.services) {
    for (const name of s.secretEnv) {
      const v = vars[name];
      if (v !== undefined) out[name] = new Secret(v);
    }
  }
  return { dbPassword, env: out };
}

export interface OpenEnvironmentOptions extends ConnectOptions {
  readonly envName: string;
  /** The project already read (the service and the panel have it); otherwise greenlight.yaml is read from cwd. */
  readonly project?: { readonly config: GreenlightConfig; readonly root: string };
  readonly cwd?: string;
  /** The configuration file, relative to cwd (default greenlight.yaml). */
  readonly configFile?: string;
  /** Secrets already wrapped (the editor's SecretStorage); when given, `vars` is not read. */
  readonly secrets?: DeploySecrets;
  /** Where named secret variables are read from (the CLI's process environment). */
  readonly vars?: Readonly<Record<string, string | undefined>>;
  /** False for operations that never touch the database or set secrets (status, logs, exec): an unset password variable is then no error. */
  readonly needsSecrets?: boolean;
}

/**
 * Opens the environment for one operation. Retries a refused connection for 30 s unless
 * `retryForMs` says otherwise; closes nothing on failure because nothing stays open.
 */
export async function openEnvironment(ctx: Pick<JobContext, 'signal' | 'log'>, opts: OpenEnvironmentOptions): Promise<EnvironmentSession> {
  const { config, root } = opts.project ?? (await loadProject(path.resolve(opts.cwd ?? process.cwd(), opts.configFile ?? CONFIG_FILE_NAME)));
  const secrets = opts.secrets ?? (opts.needsSecrets === false ? { env: {} } : secretsFrom(config, opts.envName, opts.vars ?? {}));
  const environment = resolveEnvironment(config, root, opts.envName, secrets.dbPassword);
  const host = await RemoteHost.connect(environment.ssh, environment.dockerSocket, ctx, {
    retryForMs: opts.retryForMs ?? 30000,
    readyTimeoutMs: opts.readyTimeoutMs,
    bannerTimeoutMs: opts.bannerTimeoutMs,
  });
  return { config, root, environment, secrets, host, close: () => host.close() };
}
