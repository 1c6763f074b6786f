// Deploy naming, labels, container specs and host commands, as data. Everything the deploy does
// on the host is built here from config, so unit tests can pin it exactly (Kamal style).
import { randomBytes } from 'node:crypto';
import { timestamp } from '../backup/naming';
import { Secret } from '../common/secret';
import type { PgTarget } from '../backup/pgCommands';
import type { EnvironmentConfig, GreenlightConfig, ServiceConfig } from '../config/schema';
import type { ContainerSpec } from '../ship/docker';

export const LABEL = {
  project: 'greenlight.project',
  service: 'greenlight.service',
  env: 'greenlight.env',
  version: 'greenlight.version',
  role: 'greenlight.role',
  deployId: 'greenlight.deploy-id',
  imageId: 'greenlight.image-id',
  deployedAt: 'greenlight.deployed-at',
  deployedBy: 'greenlight.deployed-by',
} as const;

export interface DeployNames {
  /** The serving container: `<project>-<service>`. */
  readonly current: string;
  /** The new version while it is checked beside the old one. */
  readonly next: string;
  readonly previous: (version: string) => string;
  readonly previousPrefix: string;
  readonly task: (name: string) => string;
}

export function namesFor(project: string, service: string): DeployNames {
  const current = `${project}-${service}`;
  return {
    current,
    next: `${current}-next`,
    previous: (v) => `${current}-previous-${v.replace(/[^a-zA-Z0-9_.-]/g, '-')}`,
    previousPrefix: `${current}-previous-`,
    task: (name) => `${current}-task-${name}`,
  };
}

export interface DeploySecrets {
  /** The database password (SecretStorage in the editor, environment variable in the CLI). */
  readonly dbPassword?: Secret;
  /** Values for service.secretEnv names. */
  readonly env: Readonly<Record<string, Secret>>;
}

export function pgTargetOf(env: EnvironmentConfig, secrets: Pick<DeploySecrets, 'dbPassword'>): PgTarget | undefined {
  if (!env.database) return undefined;
  const c = env.database.container;
  return {
    host: env.database.host,
    port: env.database.port ?? 5432,
    database: env.database.name,
    user: env.database.user,
    password: secrets.dbPassword,
    container: c ? { name: c.name, dockerSocket: env.docker.socket, host: c.host, port: c.port } : undefined,
  };
}

/** The connection URL the service receives; a Secret itself when it embeds the password. */
export function databaseUrl(pg: PgTarget): Secret | string {
  const auth = pg.password ? `${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password.reveal())}` : encodeURIComponent(pg.user);
  const url = `postgres://${auth}@${pg.host}:${pg.port}/${encodeURIComponent(pg.database)}`;
  return pg.password ? new Secret(url) : url;
}

export interface SpecInput {
  readonly config: GreenlightConfig;
  readonly envName: string;
  readonly env: EnvironmentConfig;
  readonly service: ServiceConfig;
  readonly image: string;
  readonly imageId: string;
  readonly version: string;
  readonly deployId: string;
  readonly who: string;
  readonly secrets: DeploySecrets;
  readonly now: Date;
}

function baseLabels(i: SpecInput, role: string): Record<string, string> {
  return {
    [LABEL.project]: i.config.project,
    [LABEL.service]: i.service.name,
    [LABEL.env]: i.envName,
    [LABEL.version]: i.version,
    [LABEL.role]: role,
    [LABEL.deployId]: i.deployId,
    [LABEL.imageId]: i.imageId,
    [LABEL.deployedAt]: i.now.toISOString(),
    [LABEL.deployedBy]: i.who,
  };
}

function envOf(i: SpecInput, port: number): { env: Record<string, string>; secretEnv: Record<string, Secret> } {
  const secretEnv: Record<string, Secret> = {};
  const env: Record<string, string> = { ...i.service.env, PORT: String(port) };
  // A postgres:// URL only for PostgreSQL: an ArangoDB service is configured through its own env/secretEnv.
  const pg = i.config.database?.kind === 'arangodb' ? undefined : pgTargetOf(i.env, i.secrets);
  if (pg) {
    const url = databaseUrl(pg);
    if (typeof url === 'string') env[i.service.databaseUrlEnv] = url;
    else secretEnv[i.service.databaseUrlEnv] = url;
  }
  for (const name of i.service.secretEnv) {
    const s = i.secrets.env[name];
    if (s) secretEnv[name] = s;
  }
  return { env, secretEnv };
}

/** The new version's container while it is checked beside the old one: temporary name and port. */
export function nextSpec(i: SpecInput): ContainerSpec {
  const port = i.service.port + i.env.tempPortOffset;
  return { name: namesFor(i.config.project, i.service.name).next, image: i.image, ...envOf(i, port), labels: baseLabels(i, 'next'), networkMode: 'host', restart: 'no', volumes: i.service.volumes, init: true };
}

/** The serving container after the swap: the service's name and port. */
export function currentSpec(i: SpecInput): ContainerSpec {
  return { name: namesFor(i.config.project, i.service.name).current, image: i.image, ...envOf(i, i.service.port), labels: baseLabels(i, 'current'), networkMode: 'host', restart: 'unless-stopped', volumes: i.service.volumes, init: true };
}

/** A one-off release-task container of the new image (on the temporary port, should it listen). */
export function taskSpec(i: SpecInput, task: { name: string; command: readonly string[] }): ContainerSpec {
  const port = i.service.port + i.env.tempPortOffset;
  return {
    name: namesFor(i.config.project, i.service.name).task(task.name),
    image: i.image,
    ...envOf(i, port),
    cmd: task.command,
    labels: { ...baseLabels(i, 'task'), 'greenlight.task': task.name },
    networkMode: 'host',
    restart: 'no',
    volumes: i.service.volumes,
    init: true,
  };
}

/** Release tasks in order: the app-managed migrate command first, then the environment's tasks. */
export function releaseTasksOf(config: GreenlightConfig, env: EnvironmentConfig): { name: string; command: readonly string[]; migrates: boolean }[] {
  const tasks: { name: string; command: readonly string[]; migrates: boolean }[] = [];
  if (config.database?.migrateCommand) tasks.push({ name: 'migrate', command: config.database.migrateCommand, migrates: true });
  for (const t of env.releaseTasks) tasks.push({ name: t.name, command: t.command, migrates: /migrat|seed/i.test(t.name) });
  return tasks;
}

/** Deploy lock and audit log on the host. */
export function stateCommands(stateDir: string): {
  lockDir: string;
  auditFile: string;
  mkdirState: string[];
  acquire: string[];
  writeHolder: string[];
  readHolder: string[];
  release: string[];
  appendAudit: string[];
  tailAudit: (n: number) => string[];
} {
  const lockDir = `${stateDir}/deploy.lock`;
  const auditFile = `${stateDir}/audit.log`;
  return {
    lockDir,
    auditFile,
    mkdirState: ['mkdir', '-p', '-m', '700', '--', stateDir],
    // mkdir is atomic: exactly one of two concurrent deploys creates the directory.
    acquire: ['mkdir', '-m', '700', '--', lockDir],
    writeHolder: ['sh', '-c', 'umask 077 && cat > "$1"', 'greenlight-lock', `${lockDir}/holder.json`],
    readHolder: ['cat', '--', `${lockDir}/holder.json`],
    release: ['rm', '-rf', '--', lockDir],
    // Append-only: every record is one JSON line added with >>.
    appendAudit: ['sh', '-c', 'umask 077 && cat >> "$1"', 'greenlight-audit', auditFile],
    tailAudit: (n) => ['tail', '-n', String(n), '--', auditFile],
  };
}

/** A deploy's id: when it started, and a few random bytes so two in the same second differ. */
export function newDeployId(now = new Date()): string {
  return `${timestamp(now)}-${randomBytes(3).toString('hex')}`;
}
