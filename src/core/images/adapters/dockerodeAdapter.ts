// The one dockerode adapter: the DockerEngine contract (../docker.ts) for the local engine (build,
// test, export, image events, and the local side of ship) and for remote engines. The protocol
// details (JSON progress streams, multiplexed logs, 304s) stay here. A remote engine is reached
// over the operation's one SSH connection: a keep-alive http.Agent whose sockets are SSH channels
// (streamlocal forwards to the engine's unix socket, or `docker system dial-stdio`), so API calls
// never open a new SSH connection the way docker-modem's built-in "ssh" protocol does.
import * as http from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { OperationError } from '../../common/errors';
import { CancelledError } from '../../common/job';
import { Secret } from '../../common/secret';
import type { BuildEvent } from '../buildOutput';
import {
  IMAGE_LIST_ACTIONS,
  type BuildRequest,
  type ContainerSpec,
  type ContainerState,
  type ContainerSummary,
  type DockerEngine,
  type ImageEvent,
  type ImageInfo,
  type LogLine,
  type LogsOptions,
  type OutputStreams,
  type PublishedPort,
  type RunSettings,
  type SwarmApi,
  type SwarmNode,
  type SwarmService,
  type SwarmServiceSpec,
  type SwarmTask,
} from '../docker';
import { chooseDockerEndpoint, describeDockerEndpoint, modemOptions, type DockerEndpointChoice } from './dockerContextAdapter';

export type RemoteDockerTransport = 'socket' | 'dial-stdio';

/**
 * The channels of an SSH connection a remote engine is reached through. Ship's SshConnection is
 * one; it is named structurally here because images sit below ship and cannot import it.
 */
export interface DockerSshChannels {
  readonly target: { readonly host: string };
  forwardUnix(socketPath: string): Promise<Duplex>;
  dialStdio(): Promise<Duplex>;
}

class SshAgent extends http.Agent {
  constructor(private readonly open: () => Promise<Duplex>) {
    super({ keepAlive: true, maxSockets: 8, maxFreeSockets: 4 });
  }

  override createConnection(_opts: http.ClientRequestArgs, cb?: (err: Error | null, s: Duplex) => void): Duplex | undefined {
    this.open().then(
      (s) => cb?.(null, s),
      (e: Error) => cb?.(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** Counts channels opened for the Docker API; the benchmark reports it to prove one SSH connection serves many calls. */
export interface ChannelStats {
  opened: number;
}

/** A remote engine over one SSH connection: its unix socket forwarded, or `docker system dial-stdio`. */
export function remoteDocker(conn: DockerSshChannels, socketPath: string, transport: RemoteDockerTransport = 'socket', stats?: ChannelStats): DockerEngine {
  const agent = new SshAgent(() => {
    if (stats) stats.opened++;
    return transport === 'socket' ? conn.forwardUnix(socketPath) : conn.dialStdio();
  });
  const docker = new Docker({ protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions);
  const endpoint = transport === 'socket' ? `ssh://${conn.target.host}${socketPath}` : `ssh://${conn.target.host} (docker system dial-stdio)`;
  return new DockerodeEngine(docker, conn.target.host, endpoint, () => agent.destroy());
}

/** The engine at an explicit URL, or at a chosen endpoint (docker-modem resolves DOCKER_HOST and the default itself). */
export function connectDocker(endpoint: string | DockerEndpointChoice): DockerEngine {
  const docker = new Docker(typeof endpoint === 'string' ? urlOptions(endpoint) : modemOptions(endpoint));
  return new DockerodeEngine(docker, 'local engine', typeof endpoint === 'string' ? endpoint : describeDockerEndpoint(endpoint), () => undefined);
}

/**
 * The engine on this machine that `docker` would use with these variables: DOCKER_HOST, the
 * current docker context, the user or system socket (dockerContextAdapter.ts finds it).
 */
export function localDocker(env: NodeJS.ProcessEnv = process.env): DockerEngine {
  return connectDocker(chooseDockerEndpoint(env));
}

function urlOptions(endpoint: string): Docker.DockerOptions {
  if (endpoint.startsWith('unix://')) return { socketPath: endpoint.slice('unix://'.length) };
  if (endpoint.startsWith('/')) return { socketPath: endpoint };
  const u = new URL(endpoint.replace(/^tcp:/, 'http:'));
  return { host: u.hostname, port: Number(u.port || 2375), protocol: 'http' };
}

function notFound(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404;
}

function apiError(where: string, what: string, e: unknown): OperationError {
  const msg = (e as { json?: { message?: string } }).json?.message ?? (e as Error).message ?? String(e);
  return new OperationError(`docker (${where}) ${what}: ${msg.trim()}`);
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onLine?: (line: string) => void): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, out: unknown[]) => (err ? reject(err) : resolve(out)),
      (ev: { status?: string; id?: string; progress?: string; error?: string; stream?: string }) => {
        const line = ev.error ?? ev.stream?.trim() ?? [ev.id, ev.status, ev.progress].filter(Boolean).join(' ');
        if (line) onLine?.(line);
      },
    );
  });
}

class DockerodeEngine implements DockerEngine {
  readonly swarm: SwarmApi;
  constructor(
    private readonly docker: Docker,
    readonly where: string,
    readonly endpoint: string,
    private readonly onClose: () => void,
  ) {
    this.swarm = new DockerodeSwarm(docker, where);
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new CancelledError());
      const opts = {
        t: req.tag,
        dockerfile: req.dockerfile,
        labels: { ...req.labels },
        buildargs: { ...(req.buildArgs ?? {}) },
        // Builds never reach the network: what goes into an image comes from the workspace.
        networkmode: 'none',
        nocache: req.noCache ?? false,
        ...(req.target ? { target: req.target } : {}),
        rm: true,
        forcerm: true,
      };
      this.docker.buildImage(req.context, opts, (err, stream) => {
        if (err || !stream) return reject(err ?? new Error('the daemon returned no build stream'));
        const onAbort = (): void => {
          // Closing the connection makes the daemon cancel the build.
          (stream as Readable).destroy();
          req.context.destroy();
          reject(new CancelledError());
        };
        signal.addEventListener('abort', onAbort, { once: true });
        this.docker.modem.followProgress(
          stream,
          (e: Error | null) => {
            signal.removeEventListener('abort', onAbort);
            if (signal.aborted) return;
            if (e) reject(e);
            else resolve();
          },
          (ev: BuildEvent) => onEvent(ev),
        );
      });
    });
  }

  async watchImageEvents(onEvent: (e: ImageEvent) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const stream = (await this.docker.getEvents({ filters: { type: ['image'], event: [...IMAGE_LIST_ACTIONS] }, abortSignal: signal })) as unknown as Readable;
    await new Promise<void>((resolve, reject) => {
      let rest = '';
      const finish = (err?: Error): void => {
        signal.removeEventListener('abort', onAbort);
        if (err && !signal.aborted) reject(err);
        else resolve();
      };
      const onAbort = (): void => {
        stream.destroy();
        finish();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // The daemon writes one JSON object per event; a chunk may hold several or part of one.
      stream.on('data', (chunk: Buffer) => {
        rest += chunk.toString('utf8');
        let nl: number;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, nl).trim();
          rest = rest.slice(nl + 1);
          if (!line) continue;
          try {
            const e = JSON.parse(line) as { Action?: string; status?: string; Actor?: { ID?: string }; id?: string };
            onEvent({ action: e.Action ?? e.status ?? '', id: e.Actor?.ID ?? e.id ?? '' });
          } catch {
            // A line the daemon did not mean as an event; the next one still counts.
          }
        }
      });
      stream.on('end', () => finish());
      stream.on('close', () => finish());
      stream.on('error', (e) => finish(e));
    });
  }

  async version(): Promise<{ version: string; apiVersion: string }> {
    try {
      const v = await this.docker.version();
      return { version: v.Version, apiVersion: v.ApiVersion };
    } catch (e) {
      throw apiError(this.where, 'version', e);
    }
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    try {
      const i = await this.docker.getImage(ref).inspect();
      return {
        id: i.Id,
        repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
        sizeBytes: i.Size,
        labels: i.Config?.Labels ?? {},
        env: i.Config?.Env ?? [],
        layers: i.RootFS?.Layers ?? [],
        created: i.Created,
        repoDigests: i.RepoDigests ?? [],
      };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw apiError(this.where, `inspect image ${ref}`, e);
    }
  }

  async listImages(labels?: Readonly<Record<string, string>>): Promise<ImageInfo[]> {
    let ids: string[];
    try {
      const filters = labels ? { filters: JSON.stringify({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) }) } : {};
      ids = (await this.docker.listImages(filters as Docker.ListImagesOptions)).map((i) => i.Id);
    } catch (e) {
      throw apiError(this.where, 'list images', e);
    }
    const out: ImageInfo[] = [];
    for (const id of ids) {
      const info = await this.inspectImage(id);
      if (info) out.push(info);
    }
    return out;
  }

  async saveImage(ref: string): Promise<Readable> {
    try {
      return (await this.docker.getImage(ref).get()) as unknown as Readable;
    } catch (e) {
      throw apiError(this.where, `save ${ref}`, e);
    }
  }

  async loadImage(tar: Readable, signal?: AbortSignal): Promise<string[]> {
    try {
      const res = (await this.docker.loadImage(tar, { quiet: true, abortSignal: signal } as object)) as unknown as NodeJS.ReadableStream;
      const out = (await followProgress(this.docker, res)) as { stream?: string; error?: string }[];
      const err = out.find((o) => o.error);
      if (err) throw new Error(err.error);
      return out.map((o) => o.stream?.trim() ?? '').filter((s) => s.length > 0);
    } catch (e) {
      throw apiError(this.where, 'load', e);
    }
  }

  async tagImage(ref: string, repo: string, tag: string): Promise<void> {
    try {
      await this.docker.getImage(ref).tag({ repo, tag });
    } catch (e) {
      throw apiError(this.where, `tag ${ref} as ${repo}:${tag}`, e);
    }
  }

  async pushImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    try {
      // The engine insists on an X-Registry-Auth header even for a registry without auth.
      const s = (await this.docker.getImage(ref).push({ abortSignal: signal, authconfig: {} } as object)) as unknown as NodeJS.ReadableStream;
      await followProgress(this.docker, s, onProgress);
    } catch (e) {
      throw apiError(this.where, `push ${ref}`, e);
    }
  }

  async pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void> {
    try {
      const s = (await this.docker.pull(ref, { abortSignal: signal } as object)) as unknown as NodeJS.ReadableStream;
      await followProgress(this.docker, s, onProgress);
    } catch (e) {
      throw apiError(this.where, `pull ${ref}`, e);
    }
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.docker.getImage(ref).remove();
    } catch (e) {
      if (!notFound(e)) throw apiError(this.where, `remove image ${ref}`, e);
    }
  }

  async listContainers(labels: Readonly<Record<string, string>>): Promise<ContainerSummary[]> {
    try {
      const list = await this.docker.listContainers({ all: true, filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        imageId: c.ImageID,
        labels: c.Labels ?? {},
        state: c.State,
        status: c.Status,
        createdAt: c.Created * 1000,
        ports: (c.Ports ?? []).map((x) => ({ container: x.PrivatePort, protocol: x.Type, host: x.PublicPort || undefined, hostIp: x.IP || undefined })),
      }));
    } catch (e) {
      throw apiError(this.where, 'list containers', e);
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const env = [
      ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      ...Object.entries(spec.secretEnv).map(([k, v]) => `${k}=${v.reveal()}`),
    ];
    const networks = spec.networkMode === 'bridge' ? (spec.networks ?? []) : [];
    const publish = spec.networkMode === 'bridge' ? (spec.publish ?? []) : [];
    const first = networks[0];
    try {
      const c = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Env: env,
        Cmd: spec.cmd ? [...spec.cmd] : undefined,
        Labels: { ...spec.labels },
        HostConfig: {
          Init: spec.init,
          DnsOptions: spec.dnsOptions?.length ? [...spec.dnsOptions] : undefined,
          NetworkMode: spec.networkMode === 'bridge' ? (first?.name ?? 'bridge') : spec.networkMode,
          RestartPolicy: { Name: spec.restart },
          Binds: spec.volumes.length ? [...spec.volumes] : undefined,
          PortBindings: publish.length ? portBindings(publish) : undefined,
        },
        ExposedPorts: publish.length ? Object.fromEntries(publish.map((p) => [`${p.container}/${p.protocol}`, {}])) : undefined,
        // The create call takes one network (API < 1.44); the others are connected before the start.
        NetworkingConfig: first ? { EndpointsConfig: { [first.name]: { Aliases: [...first.aliases] } } } : undefined,
      });
      for (const n of networks.slice(1)) {
        await this.docker.getNetwork(n.name).connect({ Container: c.id, EndpointConfig: { Aliases: [...n.aliases] } });
      }
      return c.id;
    } catch (e) {
      throw apiError(this.where, `create container ${spec.name}`, e);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 304) throw apiError(this.where, `start ${id}`, e);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw apiError(this.where, `stop ${id}`, e);
    }
  }

  async removeContainer(id: string, opts?: { readonly volumes?: boolean }): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: opts?.volumes ?? false });
    } catch (e) {
      if (!notFound(e)) throw apiError(this.where, `remove ${id}`, e);
    }
  }

  async renameContainer(id: string, name: string): Promise<void> {
    try {
      await this.docker.getContainer(id).rename({ name });
    } catch (e) {
      throw apiError(this.where, `rename ${id} to ${name}`, e);
    }
  }

  async ensureNetwork(name: string, labels: Readonly<Record<string, string>>, opts?: { readonly driver: 'bridge' | 'overlay' }): Promise<boolean> {
    try {
      await this.docker.getNetwork(name).inspect();
      return false;
    } catch (e) {
      if (!notFound(e)) throw apiError(this.where, `inspect network ${name}`, e);
    }
    try {
      // An overlay network is attachable, so one-off containers (release tasks) can join it too.
      const overlay = opts?.driver === 'overlay';
      await this.docker.createNetwork({ Name: name, Driver: overlay ? 'overlay' : 'bridge', Attachable: overlay ? true : undefined, CheckDuplicate: true, Labels: { ...labels } });
      return true;
    } catch (e) {
      // Two deploys creating the same network at once: the other one won, which is what we wanted.
      if ((e as { statusCode?: number }).statusCode === 409) return false;
      throw apiError(this.where, `create network ${name}`, e);
    }
  }

  async inspectContainer(id: string): Promise<(ContainerSummary & { readonly stateDetail: ContainerState }) | undefined> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        imageId: c.Image,
        labels: c.Config.Labels ?? {},
        state: c.State.Status,
        status: c.State.Status,
        createdAt: Date.parse(c.Created),
        stateDetail: {
          running: c.State.Running,
          status: c.State.Status,
          exitCode: c.State.ExitCode,
          startedAt: c.State.StartedAt,
          restartCount: c.RestartCount,
          oomKilled: c.State.OOMKilled,
          error: c.State.Error,
          finishedAt: c.State.FinishedAt,
          addresses: Object.fromEntries(
            Object.entries(c.NetworkSettings?.Networks ?? {})
              .filter(([, n]) => !!n.IPAddress)
              .map(([name, n]) => [name, n.IPAddress]),
          ),
        },
      };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw apiError(this.where, `inspect ${id}`, e);
    }
  }

  async logs(id: string, tail: number): Promise<string> {
    try {
      const buf = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
      return demux(buf);
    } catch (e) {
      if (notFound(e)) return '';
      throw apiError(this.where, `logs ${id}`, e);
    }
  }

  async logLines(id: string, tail: number): Promise<LogLine[]> {
    try {
      const buf = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
      return demuxLines(buf);
    } catch (e) {
      if (notFound(e)) return [];
      throw apiError(this.where, `logs ${id}`, e);
    }
  }

  async streamLogs(id: string, opts: LogsOptions, out: OutputStreams): Promise<void> {
    const container = this.docker.getContainer(id);
    const common = { stdout: true, stderr: true, since: opts.since, tail: opts.tail ?? 'all', timestamps: opts.timestamps ?? false, abortSignal: opts.signal };
    try {
      if (!opts.follow) {
        // Without follow dockerode hands back the whole framed body at once.
        const buf = (await container.logs({ ...common, follow: false } as Docker.ContainerLogsOptions & { follow: false })) as unknown as Buffer;
        for (const [kind, chunk] of frames(buf)) (kind === 2 ? out.stderr : out.stdout).write(chunk);
        return;
      }
      const stream = (await container.logs({ ...common, follow: true } as Docker.ContainerLogsOptions & { follow: true })) as unknown as Readable;
      await this.#pump(stream, out, opts.signal);
    } catch (e) {
      if (opts.signal?.aborted) throw new CancelledError();
      if (notFound(e)) throw new OperationError(`docker (${this.where}): no container ${id}`);
      throw apiError(this.where, `logs ${id}`, e);
    }
  }

  async putFiles(id: string, dir: string, files: readonly { readonly name: string; readonly content: Buffer; readonly mode: number }[]): Promise<void> {
    if (!dir.startsWith('/') || dir.split('/').includes('..')) throw new OperationError(`putFiles: ${dir} is not an absolute directory path`);
    for (const f of files) if (!/^[A-Za-z0-9_.*-]+$/.test(f.name) || f.name === '.' || f.name === '..') throw new OperationError(`putFiles: "${f.name}" is not a plain file name`);
    // The archive is unpacked at / with the directory as its first entry, so the engine creates it.
    const rel = dir.replace(/^\/+|\/+$/g, '');
    const tar = pack();
    tar.entry({ name: `${rel}/`, type: 'directory', mode: 0o700 });
    for (const f of files) tar.entry({ name: `${rel}/${f.name}`, mode: f.mode, size: f.content.length }, f.content);
    tar.finalize();
    try {
      await this.docker.getContainer(id).putArchive(tar as unknown as NodeJS.ReadableStream, { path: '/' });
    } catch (e) {
      throw apiError(this.where, `put ${files.length} file(s) into ${dir} of ${id}`, e);
    }
  }

  async exec(id: string, argv: readonly string[], out: OutputStreams, signal?: AbortSignal): Promise<number> {
    if (argv.length === 0) throw new OperationError('exec: no command given');
    try {
      const exec = await this.docker.getContainer(id).exec({ Cmd: [...argv], AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false });
      const stream = (await exec.start({ hijack: false, stdin: false, abortSignal: signal } as object)) as unknown as Readable;
      await this.#pump(stream, out, signal);
      const r = await exec.inspect();
      if (r.Running) throw new OperationError(`docker (${this.where}) exec in ${id}: the output ended but ${argv[0]} is still running`);
      return r.ExitCode ?? 1;
    } catch (e) {
      if (signal?.aborted) throw new CancelledError();
      if (e instanceof OperationError) throw e;
      throw apiError(this.where, `exec ${argv[0]} in ${id}`, e);
    }
  }

  async runSettings(id: string): Promise<RunSettings | undefined> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      const env: Record<string, Secret> = {};
      for (const kv of c.Config.Env ?? []) {
        const i = kv.indexOf('=');
        if (i > 0) env[kv.slice(0, i)] = new Secret(kv.slice(i + 1));
      }
      const host = c.HostConfig.NetworkMode === 'host';
      // The engine's default network is joined by leaving the list empty; user networks by name.
      const networks = host ? [] : Object.keys(c.NetworkSettings?.Networks ?? {}).filter((n) => n !== 'bridge').map((name) => ({ name, aliases: [] }));
      return { image: c.Image, env, networkMode: host ? 'host' : 'bridge', networks, volumes: c.HostConfig.Binds ?? [], labels: c.Config.Labels ?? {} };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw apiError(this.where, `inspect ${id}`, e);
    }
  }

  /** Demultiplexes a non-TTY container stream into out until it ends or the signal aborts. */
  async #pump(stream: Readable, out: OutputStreams, signal: AbortSignal | undefined): Promise<void> {
    const onAbort = (): void => void stream.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.docker.modem.demuxStream(stream, out.stdout, out.stderr);
      await finished(stream).catch((e: unknown) => {
        // A follow ended by Ctrl-C is the normal end of `logs --follow`, not a failure.
        if (!signal?.aborted) throw e;
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async wait(id: string, signal?: AbortSignal): Promise<number> {
    try {
      const r = (await this.docker.getContainer(id).wait({ abortSignal: signal } as object)) as { StatusCode: number };
      return r.StatusCode;
    } catch (e) {
      if (signal?.aborted) throw new CancelledError();
      throw apiError(this.where, `wait ${id}`, e);
    }
  }

  close(): void {
    this.onClose();
  }
}

/** Docker's PortBindings: one entry per container port, each with the host ports bound to it. */
function portBindings(publish: readonly PublishedPort[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of publish) (out[`${p.container}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: String(p.host) });
  return out;
}

/** Container logs without a TTY come as 8-byte-framed stdout/stderr records. */
function demux(buf: Buffer): string {
  if (!Buffer.isBuffer(buf)) return String(buf);
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2 || buf[i] === 0) && buf[i + 1] === 0) {
    const n = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + n));
    i += 8 + n;
  }
  return i === 0 ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** The same records, each line with the stream it was written to (a partial last line is kept). */
function demuxLines(buf: Buffer): LogLine[] {
  if (!Buffer.isBuffer(buf)) return String(buf).split('\n').filter(Boolean).map((text) => ({ stream: 'stdout' as const, text }));
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  const out: LogLine[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2 || buf[i] === 0) && buf[i + 1] === 0) {
    const stream = buf[i] === 2 ? 'stderr' : 'stdout';
    const n = buf.readUInt32BE(i + 4);
    const lines = (pending[stream] + buf.subarray(i + 8, i + 8 + n).toString('utf8')).split('\n');
    pending[stream] = lines.pop() ?? '';
    for (const text of lines) out.push({ stream, text });
    i += 8 + n;
  }
  if (i === 0) return buf.toString('utf8').split('\n').filter(Boolean).map((text) => ({ stream: 'stdout' as const, text }));
  for (const stream of ['stdout', 'stderr'] as const) if (pending[stream]) out.push({ stream, text: pending[stream] });
  return out;
}

/** The records of a framed body as [stream type (1 stdout, 2 stderr), bytes]; an unframed body is one stdout record. */
function frames(buf: Buffer): [number, Buffer][] {
  if (!Buffer.isBuffer(buf)) return [[1, Buffer.from(String(buf))]];
  const out: [number, Buffer][] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2 || buf[i] === 0) && buf[i + 1] === 0) {
    const n = buf.readUInt32BE(i + 4);
    out.push([buf[i]!, buf.subarray(i + 8, i + 8 + n)]);
    i += 8 + n;
  }
  return i === 0 ? [[1, buf]] : out;
}

/** Swarm mode over the same connection: the manager's nodes, services and tasks. */
class DockerodeSwarm implements SwarmApi {
  constructor(
    private readonly docker: Docker,
    private readonly where: string,
  ) {}

  async info(): Promise<{ state: string; manager: boolean; nodeId: string }> {
    try {
      const i = (await this.docker.info()) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string } };
      return { state: i.Swarm?.LocalNodeState ?? 'inactive', manager: i.Swarm?.ControlAvailable === true, nodeId: i.Swarm?.NodeID ?? '' };
    } catch (e) {
      throw apiError(this.where, 'docker info', e);
    }
  }

  async nodes(): Promise<SwarmNode[]> {
    try {
      const list = (await this.docker.listNodes()) as Array<{ ID: string; Description?: { Hostname?: string }; Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> }; Status?: { State?: string; Addr?: string }; ManagerStatus?: { Leader?: boolean } }>;
      return list.map((n) => ({
        id: n.ID,
        hostname: n.Description?.Hostname ?? '',
        role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
        state: n.Status?.State ?? 'unknown',
        availability: n.Spec?.Availability ?? 'unknown',
        address: n.Status?.Addr ?? '',
        labels: n.Spec?.Labels ?? {},
        leader: n.ManagerStatus?.Leader === true,
      }));
    } catch (e) {
      throw apiError(this.where, 'list swarm nodes', e);
    }
  }

  async inspectService(name: string): Promise<SwarmService | undefined> {
    try {
      const s = (await this.docker.getService(name).inspect()) as RawService;
      return {
        id: s.ID,
        version: s.Version.Index,
        name: s.Spec.Name,
        image: s.Spec.TaskTemplate?.ContainerSpec?.Image ?? '',
        labels: s.Spec.Labels ?? {},
        replicas: s.Spec.Mode?.Replicated?.Replicas ?? 0,
        previousImage: s.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image,
        previousLabels: s.PreviousSpec?.Labels,
        updateState: s.UpdateStatus?.State,
        updateMessage: s.UpdateStatus?.Message,
      };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw apiError(this.where, `inspect service ${name}`, e);
    }
  }

  async createService(spec: SwarmServiceSpec): Promise<string> {
    try {
      const r = (await this.docker.createService({ authconfig: {} } as Docker.AuthConfig, serviceSpec(spec) as Docker.ServiceSpec)) as unknown as { id?: string; ID?: string };
      return r.id ?? r.ID ?? spec.name;
    } catch (e) {
      throw apiError(this.where, `create service ${spec.name}`, e);
    }
  }

  async updateService(id: string, version: number, spec: SwarmServiceSpec): Promise<void> {
    try {
      await this.docker.getService(id).update({ _query: { version }, _body: serviceSpec(spec), authconfig: {} } as object);
    } catch (e) {
      throw apiError(this.where, `update service ${spec.name}`, e);
    }
  }

  async rollbackService(id: string, version: number): Promise<void> {
    try {
      // The engine takes the previous spec itself ("rollback=previous"); the body must still be a spec.
      const s = (await this.docker.getService(id).inspect()) as RawService;
      await this.docker.getService(id).update({ _query: { version, rollback: 'previous' }, _body: s.Spec, authconfig: {} } as object);
    } catch (e) {
      throw apiError(this.where, `roll back service ${id}`, e);
    }
  }

  async removeService(id: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (e) {
      if (!notFound(e)) throw apiError(this.where, `remove service ${id}`, e);
    }
  }

  async tasks(service: string): Promise<SwarmTask[]> {
    try {
      const list = (await this.docker.listTasks({ filters: { service: [service] } })) as RawTask[];
      return list.map((t) => ({
        id: t.ID,
        slot: t.Slot,
        nodeId: t.NodeID ?? '',
        image: t.Spec?.ContainerSpec?.Image ?? '',
        desiredState: t.DesiredState ?? '',
        state: t.Status?.State ?? '',
        error: t.Status?.Err || undefined,
        exitCode: t.Status?.ContainerStatus?.ExitCode,
        containerId: t.Status?.ContainerStatus?.ContainerID,
        ports: (t.Status?.PortStatus?.Ports ?? []).map((p) => ({ target: p.TargetPort, published: p.PublishedPort, protocol: p.Protocol === 'udp' ? 'udp' : 'tcp', mode: p.PublishMode === 'ingress' ? 'ingress' : 'host' })),
        createdAt: t.CreatedAt ?? '',
      }));
    } catch (e) {
      throw apiError(this.where, `list tasks of ${service}`, e);
    }
  }
}

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string } }; Mode?: { Replicated?: { Replicas?: number } } };
  PreviousSpec?: { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Image?: string } } };
  UpdateStatus?: { State?: string; Message?: string };
}

interface RawTask {
  ID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number }; PortStatus?: { Ports?: Array<{ TargetPort: number; PublishedPort?: number; Protocol?: string; PublishMode?: string }> } };
}

const MS = 1e6; // the engine counts durations in nanoseconds

/** The engine's ServiceSpec for a SwarmServiceSpec. */
export function serviceSpec(spec: SwarmServiceSpec): Record<string, unknown> {
  const env = [...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`), ...Object.entries(spec.secretEnv).map(([k, v]) => `${k}=${v.reveal()}`)];
  const h = spec.healthcheck;
  const r = spec.resources;
  const limits = r.cpus !== undefined || r.memoryBytes !== undefined ? { NanoCPUs: r.cpus !== undefined ? Math.round(r.cpus * 1e9) : undefined, MemoryBytes: r.memoryBytes } : undefined;
  const reservations = r.reserveCpus !== undefined || r.reserveMemoryBytes !== undefined ? { NanoCPUs: r.reserveCpus !== undefined ? Math.round(r.reserveCpus * 1e9) : undefined, MemoryBytes: r.reserveMemoryBytes } : undefined;
  const update = { Parallelism: spec.update.parallelism, Delay: spec.update.delayMs * MS, Monitor: spec.update.monitorMs * MS, MaxFailureRatio: spec.update.maxFailureRatio, Order: spec.update.order, FailureAction: spec.update.failureAction };
  return {
    Name: spec.name,
    Labels: { ...spec.labels },
    TaskTemplate: {
      ContainerSpec: {
        Image: spec.image,
        Labels: { ...spec.containerLabels },
        Env: env,
        Args: spec.cmd ? [...spec.cmd] : undefined,
        Init: spec.init,
        HealthCheck: h ? { Test: ['CMD', ...h.test], Interval: h.intervalMs * MS, Timeout: h.timeoutMs * MS, Retries: h.retries, StartPeriod: h.startPeriodMs * MS } : undefined,
        Mounts: spec.volumes.map(mountOf),
      },
      Resources: limits || reservations ? { Limits: limits, Reservations: reservations } : undefined,
      Placement: { Constraints: [...spec.constraints], MaxReplicas: spec.maxReplicasPerNode },
      RestartPolicy: spec.job ? { Condition: 'none' } : { Condition: 'any', Delay: 1000 * MS },
      Networks: spec.networks.map((n) => ({ Target: n.name, Aliases: [...n.aliases] })),
    },
    Mode: spec.job ? { GlobalJob: {} } : { Replicated: { Replicas: spec.replicas } },
    UpdateConfig: spec.job ? undefined : update,
    // A rollback rolls the same way, and pauses rather than loop when the previous version fails too.
    RollbackConfig: spec.job ? undefined : { ...update, FailureAction: 'pause' },
    EndpointSpec: { Mode: 'vip', Ports: spec.ports.map((p) => ({ Protocol: p.protocol, TargetPort: p.target, PublishedPort: p.published, PublishMode: p.mode })) },
  };
}

/** "name:/path[:ro]" is a named volume, "/host:/path[:ro]" a bind mount. */
function mountOf(v: string): { Type: 'volume' | 'bind'; Source: string; Target: string; ReadOnly: boolean } {
  const [source = '', target = '', mode] = v.split(':');
  return { Type: source.startsWith('/') ? 'bind' : 'volume', Source: source, Target: target, ReadOnly: mode === 'ro' };
}
