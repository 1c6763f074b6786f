// Resolves an environment of greenlight.yaml into what the engines need: the SSH target, the
// Docker socket on the host, the database target and the backup target (of the database's kind:
// pg_dump on the host for PostgreSQL, an arangojs export over the SSH connection for ArangoDB).
import { InputError } from '../common/errors';
import type { Secret } from '../common/secret';
import { arangoTargetOf } from '../backup/arangoRemote';
import type { AnyBackupTarget } from '../backup/backups';
import type { EnvironmentConfig, GreenlightConfig, ServiceConfig } from '../config/schema';
import { sshTargetOf } from '../ship/remoteHost';
import type { SshTarget } from '../ship/sshAdapter';
import { pgTargetOf } from './plan';

export interface ResolvedEnvironment {
  readonly name: string;
  /** The directory of greenlight.yaml: project paths (migrations, keys) are relative to it. */
  readonly root: string;
  readonly env: EnvironmentConfig;
  readonly ssh: SshTarget;
  readonly dockerSocket: string;
  /** Where health checks connect, as seen from the host. */
  readonly serviceAddress: string;
  readonly backup?: AnyBackupTarget;
}

export function resolveEnvironment(config: GreenlightConfig, configRoot: string, name: string, dbPassword?: Secret): ResolvedEnvironment {
  const env = config.environments[name];
  if (!env) {
    const known = Object.keys(config.environments);
    throw new InputError(`no environment "${name}" in greenlight.yaml${known.length ? ` (known: ${known.join(', ')})` : ' (it declares no environments)'}`);
  }
  const pg = pgTargetOf(env, { dbPassword });
  const arango = config.database?.kind === 'arangodb' ? arangoTargetOf(env, dbPassword) : undefined;
  // Every backup taken through this environment (pre-deploy, `backup create`, "Back Up Now") applies it.
  const retention = env.backups.gfs ? { keep: env.backups.keep, gfs: env.backups.gfs } : { keep: env.backups.keep };
  return {
    name,
    root: configRoot,
    env,
    ssh: sshTargetOf(env, configRoot),
    dockerSocket: env.docker.socket,
    serviceAddress: env.host ?? env.ssh.host,
    backup: arango ? { kind: 'arangodb', env: name, dir: env.backups.dir, arango, retention } : pg ? { env: name, dir: env.backups.dir, pg, retention } : undefined,
  };
}

export function pickService(config: GreenlightConfig, name?: string): ServiceConfig {
  if (config.services.length === 0) throw new InputError('greenlight.yaml declares no services');
  if (name) {
    const s = config.services.find((x) => x.name === name);
    if (!s) throw new InputError(`no service "${name}" in greenlight.yaml (known: ${config.services.map((x) => x.name).join(', ')})`);
    return s;
  }
  if (config.services.length > 1) throw new InputError(`greenlight.yaml declares ${config.services.length} services; say which one (--service)`);
  return config.services[0]!;
}
