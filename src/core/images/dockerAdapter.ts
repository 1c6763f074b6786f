// The only file in src/core/images that touches dockerode. It translates the engine's small
// DockerEngine interface into Docker API calls, so build, test and export read as plain steps
// and the protocol details (JSON progress streams, multiplexed logs, 304s) stay here.
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { CancelledError } from '../common/job';
import type { BuildEvent } from './buildOutput';
import { chooseDockerEndpoint, describeDockerEndpoint, modemOptions, type DockerEndpointChoice } from './adapters/dockerContextAdapter';

export interface ImageInfo {
  /** "sha256:<hex>" */
  readonly id: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly sizeBytes: number;
  /** ISO time the image was created. */
  readonly created: string;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly cmd?: readonly string[];
  /** "host" for test containers: no port proxy, the app binds 127.0.0.1 itself. */
  readonly networkMode: 'host' | 'none';
}

export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  readonly status: string;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  readonly error: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: string;
  /** Unix seconds. */
  readonly created: number;
}

export interface BuildRequest {
  readonly context: Readable;
  readonly dockerfile: string;
  readonly tag: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly noCache?: boolean;
}

export interface DockerEngine {
  readonly endpoint: string;
  ping(): Promise<void>;
  /** Runs a build, feeding every daemon event to onEvent; resolves when the stream ends. */
  build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal: AbortSignal): Promise<void>;
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  listImages(labels: readonly string[]): Promise<ImageInfo[]>;
  removeImage(ref: string): Promise<void>;
  /** `docker save` of one reference (a tag keeps its name when loaded), as a tar stream. */
  saveImage(ref: string): Promise<Readable>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerState | undefined>;
  /** The container's stdout and stderr, demultiplexed, the last `tail` lines. */
  containerLogs(id: string, tail?: number): Promise<string>;
  /** Waits until the container exits and returns its exit code. */
  waitContainer(id: string, signal?: AbortSignal): Promise<number>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(labels: readonly string[]): Promise<ContainerSummary[]>;
  /**
   * Follows the engine's image events (tag, untag, delete, load, import, pull) until `signal`
   * aborts (resolves) or the connection ends (resolves: the daemon restarted) or fails (rejects).
   */
  watchImageEvents(onEvent: (e: ImageEvent) => void, signal: AbortSignal): Promise<void>;
}

export interface ImageEvent {
  /** Docker's action name: tag, untag, delete, load, import, pull. */
  readonly action: string;
  /** The image ID or reference the event is about. */
  readonly id: string;
}

/** The image actions that change what `docker images` lists. */
export const IMAGE_LIST_ACTIONS = ['tag', 'untag', 'delete', 'load', 'import', 'pull'] as const;

/** Where the engine is, found as the docker CLI finds it (DOCKER_HOST, the current docker context, the user or system socket). */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpointChoice {
  return chooseDockerEndpoint(env);
}

function dockerOptions(endpoint: string): Docker.DockerOptions {
  if (endpoint.startsWith('unix://')) return { socketPath: endpoint.slice('unix://'.length) };
  if (endpoint.startsWith('/')) return { socketPath: endpoint };
  const u = new URL(endpoint.replace(/^tcp:/, 'http:'));
  return { host: u.hostname, port: Number(u.port || 2375), protocol: 'http' };
}

/** Splits Docker's multiplexed log format (8-byte frame headers) into text. */
export function demuxDockerLog(buf: Buffer): string {
  // A TTY container's log is raw text; a multiplexed one starts with stream type 0, 1 or 2 and three zero bytes.
  if (buf.length < 8 || buf[0]! > 2 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

function statusCode(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

function toImageInfo(i: { Id: string; RepoTags?: string[] | null; Labels?: Record<string, string> | null; Size: number; Created: number | string }): ImageInfo {
  const created = typeof i.Created === 'number' ? new Date(i.Created * 1000).toISOString() : i.Created;
  return {
    id: i.Id,
    tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    labels: i.Labels ?? {},
    sizeBytes: i.Size,
    created,
  };
}

/** An engine at an explicit URL, or at a chosen endpoint (docker-modem resolves DOCKER_HOST and the default itself). */
export function connectDocker(endpoint: string | DockerEndpointChoice = dockerEndpoint()): DockerEngine {
  const docker = new Docker(typeof endpoint === 'string' ? dockerOptions(endpoint) : modemOptions(endpoint));
  return {
    endpoint: typeof endpoint === 'string' ? endpoint : describeDockerEndpoint(endpoint),
    async ping() {
      await docker.ping();
    },

    build(req, onEvent, signal) {
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
          rm: true,
          forcerm: true,
        };
        docker.buildImage(req.context, opts, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('the daemon returned no build stream'));
          const onAbort = (): void => {
            // Closing the connection makes the daemon cancel the build.
            (stream as Readable).destroy();
            req.context.destroy();
            reject(new CancelledError());
          };
          signal.addEventListener('abort', onAbort, { once: true });
          docker.modem.followProgress(
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
    },

    async inspectImage(ref) {
      try {
        const i = await docker.getImage(ref).inspect();
        return toImageInfo({ Id: i.Id, RepoTags: i.RepoTags, Labels: i.Config?.Labels ?? {}, Size: i.Size, Created: i.Created });
      } catch (e) {
        if (statusCode(e) === 404) return undefined;
        throw e;
      }
    },

    async watchImageEvents(onEvent, signal) {
      if (signal.aborted) return;
      const stream = (await docker.getEvents({ filters: { type: ['image'], event: [...IMAGE_LIST_ACTIONS] }, abortSignal: signal })) as unknown as Readable;
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
    },

    async listImages(labels) {
      const list = await docker.listImages({ filters: JSON.stringify({ label: [...labels] }) } as Docker.ListImagesOptions);
      return list.map((i) => toImageInfo(i));
    },

    async removeImage(ref) {
      await docker.getImage(ref).remove({ noprune: false });
    },

    async saveImage(ref) {
      return (await docker.getImage(ref).get()) as unknown as Readable;
    },

    async createContainer(spec) {
      const c = await docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: { ...spec.labels },
        Cmd: spec.cmd ? [...spec.cmd] : undefined,
        HostConfig: { NetworkMode: spec.networkMode, AutoRemove: false },
      });
      return c.id;
    },

    async startContainer(id) {
      await docker.getContainer(id).start();
    },

    async inspectContainer(id) {
      try {
        const c = await docker.getContainer(id).inspect();
        return {
          id: c.Id,
          name: c.Name.replace(/^\//, ''),
          running: c.State.Running,
          status: c.State.Status,
          exitCode: c.State.ExitCode,
          oomKilled: c.State.OOMKilled,
          error: c.State.Error,
          startedAt: c.State.StartedAt,
          finishedAt: c.State.FinishedAt,
        };
      } catch (e) {
        if (statusCode(e) === 404) return undefined;
        throw e;
      }
    },

    async containerLogs(id, tail = 200) {
      const out = (await docker.getContainer(id).logs({ stdout: true, stderr: true, follow: false, tail, timestamps: false })) as unknown as Buffer;
      return demuxDockerLog(Buffer.isBuffer(out) ? out : Buffer.from(String(out)));
    },

    async waitContainer(id, signal) {
      const c = docker.getContainer(id);
      const waiting = c.wait() as Promise<{ StatusCode: number }>;
      if (!signal) return (await waiting).StatusCode;
      return new Promise<number>((resolve, reject) => {
        const onAbort = (): void => reject(new CancelledError());
        signal.addEventListener('abort', onAbort, { once: true });
        waiting.then(
          (r) => {
            signal.removeEventListener('abort', onAbort);
            resolve(r.StatusCode);
          },
          (e: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(e);
          },
        );
      });
    },

    async stopContainer(id, timeoutSeconds) {
      try {
        await docker.getContainer(id).stop({ t: timeoutSeconds });
      } catch (e) {
        // 304: already stopped; 404: already gone. Both are the state we want.
        if (statusCode(e) !== 304 && statusCode(e) !== 404) throw e;
      }
    },

    async removeContainer(id) {
      try {
        await docker.getContainer(id).remove({ force: true, v: true });
      } catch (e) {
        if (statusCode(e) !== 404) throw e;
      }
    },

    async listContainers(labels) {
      const list = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [...labels] }) } as Docker.ContainerListOptions);
      return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), labels: c.Labels ?? {}, state: c.State, created: c.Created }));
    },
  };
}
