// Opens an environment for one operation, the same way for the CLI and the service: read
// greenlight.yaml, resolve the environment, take secrets from the given variables (the CLI's
// process environment; the service passes what the editor's SecretStorage holds), connect once.
import * as path from 'node:path';
import { InputError } from '../common/errors';
import type { JobContext } from '../common/job';
import { Secret } from '../common/secret';
import { CONFIG_FILE_NAME, formatProblem, loadConfig } from '../config/load';
import type { GreenlightConfig } from '../config/schema';
import { RemoteHost } from '../ship/remoteHost';
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

export async function openEnvironment(
  ctx: Pick<JobContext, 'signal' | 'log'>,
  opts: {
    configFile?: string;
    cwd: string;
    envName: string;
    vars: Readonly<Record<string, string | undefined>>;
    retryForMs?: number;
    /** False for operations that never touch the database or set secrets (status, logs, exec): an unset password variable is then no error. */
    needsSecrets?: boolean;
  },
): Promise<EnvironmentSession> {
  const { config, root } = await loadProject(path.resolve(opts.cwd, opts.configFile ?? CONFIG_FILE_NAME));
  const secrets = opts.needsSecrets === false ? { env: {} } : secretsFrom(config, opts.envName, opts.vars);
  const environment = resolveEnvironment(config, root, opts.envName, secrets.dbPassword);
  const host = await RemoteHost.connect(environment.ssh, environment.dockerSocket, ctx, { retryForMs: opts.retryForMs ?? 30000 });
  return { config, root, environment, secrets, host, close: () => host.close() };
}
