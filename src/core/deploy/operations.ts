// Everyday operations on a deployed service, over the environment's one SSH connection to the
// host's Docker engine: read its logs, and run a command in it (in the serving container, or in a
// new one-off container of the same image with the same environment, network and mounts). Commands
// are argv arrays handed to the engine as data; nothing is ever parsed by a shell.
import { randomBytes } from 'node:crypto';
import { InputError, OperationError } from '../common/errors';
import type { JobContext } from '../common/job';
import type { GreenlightConfig } from '../config/schema';
import type { OutputStreams } from '../images/docker';
import type { RemoteHost } from '../ship/remoteHost';
import { pickService } from './environment';
import { LABEL, namesFor } from './plan';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * `--since` as Unix seconds: a duration back from `now` ("90s", "10m", "1h30m", "2d") or a time
 * ("2025-01-20T10:00:00Z", "2025-01-20 10:00" in local time, or Unix seconds).
 */
export function parseSince(text: string, now: Date = new Date()): number {
  const t = text.trim();
  if (/^(\d+[smhdw])+$/.test(t)) {
    let seconds = 0;
    for (const [, n, unit] of t.matchAll(/(\d+)([smhdw])/g)) seconds += Number(n) * UNIT_SECONDS[unit!]!;
    return Math.floor(now.getTime() / 1000) - seconds;
  }
  if (/^\d{9,11}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(t)) {
    const ms = Date.parse(t.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new InputError(`--since "${text}": expected a duration such as 10m, 1h30m or 2d, or a time such as 2025-01-20T10:00:00Z`);
}

/** The serving container of a service, which must exist on the host. */
async function servingContainer(host: RemoteHost, config: GreenlightConfig, envName: string, serviceName?: string): Promise<{ service: string; id: string; running: boolean }> {
  const service = pickService(config, serviceName);
  const name = namesFor(config.project, service.name).current;
  const c = await host.docker.inspectContainer(name);
  if (!c) throw new OperationError(`${service.name} is not deployed on ${envName} (no container ${name} on ${host.where})`);
  return { service: service.name, id: c.id, running: c.stateDetail.running };
}

export interface LogsRequest {
  readonly config: GreenlightConfig;
  readonly envName: string;
  readonly service?: string;
  readonly follow: boolean;
  /** Unix seconds (see parseSince). */
  readonly since?: number;
  readonly tail?: number;
  readonly timestamps?: boolean;
}

/** Streams a service's log lines into `out`; with follow, until the container stops or ctx is cancelled. */
export async function serviceLogs(ctx: JobContext, host: RemoteHost, req: LogsRequest, out: OutputStreams): Promise<void> {
  const c = await servingContainer(host, req.config, req.envName, req.service);
  await host.docker.streamLogs(c.id, { follow: req.follow, since: req.since, tail: req.tail, timestamps: req.timestamps, signal: ctx.signal }, out);
}

export interface ExecRequest {
  readonly config: GreenlightConfig;
  readonly envName: string;
  readonly service?: string;
  readonly argv: readonly string[];
  /** Run in a new one-off container of the serving image instead of the serving container. */
  readonly fresh: boolean;
}

/** Runs argv in the service and resolves to the command's own exit code. */
export async function execInService(ctx: JobContext, host: RemoteHost, req: ExecRequest, out: OutputStreams): Promise<number> {
  if (req.argv.length === 0 || req.argv[0] === '') throw new InputError('exec: give the command after --, e.g. greenlight exec --env production -- ls -la /app');
  const c = await servingContainer(host, req.config, req.envName, req.service);
  if (!req.fresh) {
    if (!c.running) throw new OperationError(`${c.service} on ${req.envName} is not running; --new runs the command in a new container of its image`);
    return await host.docker.exec(c.id, req.argv, out, ctx.signal);
  }
  const settings = await host.docker.runSettings(c.id);
  if (!settings) throw new OperationError(`${c.service} on ${req.envName}: its container went away`);
  const name = `${namesFor(req.config.project, c.service).current}-exec-${randomBytes(3).toString('hex')}`;
  const id = await host.docker.createContainer({
    name,
    image: settings.image,
    env: {},
    // The serving container's variables include the database URL: they stay Secrets throughout.
    secretEnv: settings.env,
    cmd: req.argv,
    labels: {
      [LABEL.project]: req.config.project,
      [LABEL.service]: c.service,
      [LABEL.env]: req.envName,
      [LABEL.role]: 'exec',
      ...(settings.labels[LABEL.version] ? { [LABEL.version]: settings.labels[LABEL.version] } : {}),
    },
    networkMode: settings.networkMode,
    networks: settings.networks,
    restart: 'no',
    volumes: settings.volumes,
    init: true,
  });
  try {
    ctx.log(`exec: one-off container ${name} of ${settings.image.slice(0, 19)}`);
    await host.docker.startContainer(id);
    // Following the logs from the start gives all output, and ends when the command exits.
    await host.docker.streamLogs(id, { follow: true, signal: ctx.signal }, out);
    return await host.docker.wait(id, ctx.signal);
  } finally {
    await host.docker.removeContainer(id);
  }
}
