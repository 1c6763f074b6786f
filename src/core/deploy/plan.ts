// Deploy naming, labels, container specs and host commands, as data. Everything the deploy does
// on the host is built here from config, so unit tests can pin it exactly (Kamal style).
import { randomBytes } from 'node:crypto';
import { timestamp } from '../backup/naming';
import { Secret } from '../common/secret';
import type { PgTarget } from '../backup/pgCommands';
import { networkModeOf, type EnvironmentConfig, type GreenlightConfig, type ServiceConfig, type TaskPhase } from '../config/schema';
import type { ContainerSpec } from '../images/docker';

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
  /** A version's container behind the proxy until it is switched to (then it takes `current`). */
  readonly versioned: (version: string) => string;
  readonly task: (name: string) => string;
}

export function namesFor(project: string, service: string): DeployNames {
  const current = `${project}-${service}`;
  return {
    current,
    next: `${current}-next`,
    previous: (v) => `${current}-previous-${v.replace(/[^a-zA-Z0-9_.-]/g, '-')}`,
    previousPrefix: `${current}-previous-`,
    versioned: (v) => `${current}-v-${v.replace(/[^a-zA-Z0-9_.-]/g, '-')}`,
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

export function envOf(i: SpecInput, port: number): { env: Record<string, string>; secretEnv: Record<string, Secret> } {
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

/** The port the app listens on in a container of this role: in host networking the candidate and
 * the one-off tasks take port + tempPortOffset, since they share the host's ports with the serving
 * version; in bridge networking every container has its own address and listens on service.port. */
export function listenPortOf(service: ServiceConfig, env: EnvironmentConfig, role: 'serving' | 'candidate' | 'task'): number {
  return role !== 'serving' && networkModeOf(service) === 'host' ? service.port + env.tempPortOffset : service.port;
}

/** The network part of a container spec: the serving version answers to the service's names and
 * owns the published ports; a candidate or task joins the same networks (to reach the database by
 * name) without those names or ports, so no traffic reaches it before the switch. */
function networkingOf(service: ServiceConfig, role: 'serving' | 'candidate' | 'task'): Pick<ContainerSpec, 'networkMode' | 'networks' | 'publish'> {
  if (networkModeOf(service) === 'host') return { networkMode: 'host' };
  const serving = role === 'serving';
  return {
    networkMode: 'bridge',
    networks: service.networks.map((n) => ({ name: n.name, aliases: serving ? [...new Set([service.name, ...n.aliases])] : [] })),
    publish: serving ? service.publish.map((p) => ({ hostIp: p.hostIp, host: p.host, container: p.container, protocol: p.protocol })) : [],
  };
}

/** The new version's container while it is checked beside the old one: temporary name, no service names or published ports. */
export function nextSpec(i: SpecInput): ContainerSpec {
  return { name: namesFor(i.config.project, i.service.name).next, image: i.image, ...envOf(i, listenPortOf(i.service, i.env, 'candidate')), labels: baseLabels(i, 'next'), ...networkingOf(i.service, 'candidate'), restart: 'no', volumes: i.service.volumes, init: true };
}

/** The serving container after the switch: the service's name, network names and published ports. */
export function currentSpec(i: SpecInput): ContainerSpec {
  return { name: namesFor(i.config.project, i.service.name).current, image: i.image, ...envOf(i, i.service.port), labels: baseLabels(i, 'current'), ...networkingOf(i.service, 'serving'), restart: 'unless-stopped', volumes: i.service.volumes, init: true };
}

/** A version's container behind the host's proxy: its own versioned name, the service's networks
 * (without the service's names) and the proxy network under its own alias, which the proxy's
 * route dials; no published ports (the proxy owns them). It keeps running as the serving version
 * after the switch, so it restarts with the host from the start. */
export function proxiedSpec(i: SpecInput, alias: string): ContainerSpec {
  const networks = i.service.networks.filter((n) => n.name !== i.env.proxy.network).map((n) => ({ name: n.name, aliases: [] as string[] }));
  return {
    name: namesFor(i.config.project, i.service.name).versioned(i.version),
    image: i.image,
    ...envOf(i, i.service.port),
    labels: { ...baseLabels(i, 'current'), 'greenlight.upstream': alias },
    networkMode: 'bridge',
    networks: [...networks, { name: i.env.proxy.network, aliases: [alias] }],
    publish: [],
    restart: 'unless-stopped',
    volumes: i.service.volumes,
    init: true,
  };
}

/** A one-off release-task container of the new image, on the service's networks (so it reaches the database by name). */
export function taskSpec(i: SpecInput, task: { name: string; command: readonly string[] }): ContainerSpec {
  return {
    name: namesFor(i.config.project, i.service.name).task(task.name),
    image: i.image,
    ...envOf(i, listenPortOf(i.service, i.env, 'task')),
    cmd: task.command,
    labels: { ...baseLabels(i, 'task'), 'greenlight.task': task.name },
    ...networkingOf(i.service, 'task'),
    restart: 'no',
    volumes: i.service.volumes,
    init: true,
  };
}

export interface ReleaseTask {
  readonly name: string;
  readonly command: readonly string[];
  /** It may change the database (migrations, seeds), so a backup is taken before it. */
  readonly migrates: boolean;
  readonly phase: TaskPhase;
}

/** Release tasks in order: the app-managed migrate command first, then the environment's tasks. */
export function releaseTasksOf(config: GreenlightConfig, env: EnvironmentConfig): ReleaseTask[] {
  const tasks: ReleaseTask[] = [];
  if (config.database?.migrateCommand) tasks.push({ name: 'migrate', command: config.database.migrateCommand, migrates: true, phase: config.database.migratePhase });
  for (const t of env.releaseTasks) tasks.push({ name: t.name, command: t.command, migrates: /migrat|seed/i.test(t.name), phase: t.phase });
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
