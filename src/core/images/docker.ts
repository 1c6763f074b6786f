// The one Docker contract of the engine: what build, test, export, ship, backup and deploy need
// from a Docker engine, as plain data. One adapter (adapters/dockerodeAdapter.ts) implements it over
// dockerode for the local engine and for remote engines over SSH; the engines never see dockerode,
// so container specs are data that unit tests compare exactly. It lives in images, the lowest
// folder that uses it, so ship and deploy (above) can import it and images need not import them.
import type { Readable, Writable } from 'node:stream';
import type { Secret } from '../common/secret';
import type { BuildEvent } from './buildOutput';

export interface ImageInfo {
  /** "sha256:…" — the digest of the image config, identical on every engine that holds the image. */
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly sizeBytes: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly env: readonly string[];
  /** The image's layers (diff IDs), base first. */
  readonly layers: readonly string[];
  /** ISO time the image was created (absent where a fake engine does not say). */
  readonly created?: string;
  /** "registry/repo@sha256:…" for each registry it was pushed to or pulled from (absent where a fake engine does not say). */
  readonly repoDigests?: readonly string[];
}

export interface ImageEvent {
  /** Docker's action name: tag, untag, delete, load, import, pull. */
  readonly action: string;
  /** The image ID or reference the event is about. */
  readonly id: string;
}

/** The image actions that change what `docker images` lists. */
export const IMAGE_LIST_ACTIONS = ['tag', 'untag', 'delete', 'load', 'import', 'pull'] as const;

export interface BuildRequest {
  readonly context: Readable;
  readonly dockerfile: string;
  readonly tag: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly buildArgs?: Readonly<Record<string, string>>;
  readonly noCache?: boolean;
  /** The stage of a multi-stage Dockerfile to build (`docker build --target`); default: the last. */
  readonly target?: string;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  /** Values only ever revealed into the container's environment, never into logs. */
  readonly secretEnv: Readonly<Record<string, Secret>>;
  readonly cmd?: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /**
   * "host": the host's network stack; "bridge": the engine's networks (`networks`, `publish`);
   * "none": no network at all (a one-off that must not reach anything).
   */
  readonly networkMode: 'host' | 'bridge' | 'none';
  /** User-defined networks to join (bridge only), each with the extra DNS names the container answers to there. */
  readonly networks?: readonly ContainerNetwork[];
  /** Published ports (bridge only), as `docker run -p`. */
  readonly publish?: readonly PublishedPort[];
  /** "always": also after the engine restarts, even when it was stopped by hand (the cluster's registry). */
  readonly restart: 'always' | 'unless-stopped' | 'no';
  readonly volumes: readonly string[];
  /** Run an init process as PID 1 so the app receives SIGTERM and stops promptly. */
  readonly init: boolean;
  /** Resolver options written to the container's resolv.conf (`docker run --dns-option`), e.g. "ndots:1". */
  readonly dnsOptions?: readonly string[];
}

export interface ContainerNetwork {
  readonly name: string;
  readonly aliases: readonly string[];
}

export interface PublishedPort {
  readonly hostIp?: string;
  readonly host: number;
  readonly container: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly labels: Readonly<Record<string, string>>;
  /** "running", "exited", "created", … */
  readonly state: string;
  readonly status: string;
  readonly createdAt: number;
  /** Its ports as `docker ps` lists them: each exposed port, with the host port when published (absent where an engine does not say). */
  readonly ports?: readonly ContainerPort[];
}

export interface ContainerPort {
  readonly container: number;
  readonly protocol: string;
  /** The host port it is published on (absent: exposed only). */
  readonly host?: number;
  /** The host address it is published on ("0.0.0.0", "::", "127.0.0.1"). */
  readonly hostIp?: string;
}

export interface ContainerState {
  readonly running: boolean;
  readonly status: string;
  readonly exitCode: number;
  readonly startedAt: string;
  readonly restartCount: number;
  readonly oomKilled: boolean;
  /** The engine's own error for a container that could not start (absent or empty when none). */
  readonly error?: string;
  /** When it last exited (absent while it never has). */
  readonly finishedAt?: string;
  /** The container's address on each network it is attached to (bridge networking; empty with host). */
  readonly addresses: Readonly<Record<string, string>>;
}

/** Where a container's output goes: its stdout and stderr, kept apart. */
export interface OutputStreams {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export interface LogsOptions {
  /** Keep streaming until the container stops or the signal aborts. */
  readonly follow: boolean;
  /** Only lines written at or after this time (Unix seconds). */
  readonly since?: number;
  /** Only the last N lines (absent: all). */
  readonly tail?: number;
  readonly timestamps?: boolean;
  readonly signal?: AbortSignal;
}

/** What a container runs with, so a one-off can be started like it (`greenlight exec --new`). */
export interface RunSettings {
  readonly image: string;
  /** The container's whole environment; values may be secrets (a database URL), so all are Secrets. */
  readonly env: Readonly<Record<string, Secret>>;
  readonly networkMode: 'host' | 'bridge';
  /** The user-defined networks it is attached to (bridge only), without its DNS names: a one-off must not take its traffic. */
  readonly networks: readonly ContainerNetwork[];
  readonly volumes: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

export interface DockerEngine {
  /** Where it is, for messages ("local engine", "198.18.77.2"). */
  readonly where: string;
  /** Its address as the docker CLI would name it ("unix:///var/run/docker.sock (context default)", "ssh://198.18.77.2…"). */
  readonly endpoint: string;
  /** Fails when the engine does not answer. */
  ping(): Promise<void>;
  version(): Promise<{ version: string; apiVersion: string }>;
  /**
   * Builds an image without network access (what goes into it comes from the context), feeding
   * every daemon event to onEvent; resolves when the stream ends, rejects with CancelledError on abort.
   */
  build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal: AbortSignal): Promise<void>;
  inspectImage(ref: string): Promise<ImageInfo | undefined>;
  /**
   * The images the engine holds, or those carrying all these labels, each as inspectImage reads it
   * (the image list shows tags, size and age; a ship compares layers).
   */
  listImages(labels?: Readonly<Record<string, string>>): Promise<ImageInfo[]>;
  /**
   * Follows the engine's image events (IMAGE_LIST_ACTIONS) until `signal` aborts (resolves) or the
   * connection ends (resolves: the daemon restarted) or fails (rejects).
   */
  watchImageEvents(onEvent: (e: ImageEvent) => void, signal: AbortSignal): Promise<void>;
  /** `docker save` as a stream. */
  saveImage(ref: string): Promise<Readable>;
  /** `docker load`; resolves with the engine's "Loaded image…" lines once the engine has committed the load. */
  loadImage(tar: Readable, signal?: AbortSignal): Promise<string[]>;
  tagImage(ref: string, repo: string, tag: string): Promise<void>;
  pushImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void>;
  pullImage(ref: string, onProgress?: (line: string) => void, signal?: AbortSignal): Promise<void>;
  removeImage(ref: string): Promise<void>;
  listContainers(labels: Readonly<Record<string, string>>): Promise<ContainerSummary[]>;
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Removes it, running or not; absent is fine. `volumes` also removes its anonymous volumes (`docker rm -v`). */
  removeContainer(id: string, opts?: { readonly volumes?: boolean }): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  /**
   * Creates a user-defined network unless one of that name exists; true when it created it. A bridge
   * network by default; on a swarm manager an attachable overlay network (`driver: 'overlay'`).
   */
  ensureNetwork(name: string, labels: Readonly<Record<string, string>>, opts?: { readonly driver: 'bridge' | 'overlay' }): Promise<boolean>;
  inspectContainer(id: string): Promise<(ContainerSummary & { readonly stateDetail: ContainerState }) | undefined>;
  logs(id: string, tail: number): Promise<string>;
  /** The last `tail` lines, each with the stream (stdout or stderr) it was written to. */
  logLines(id: string, tail: number): Promise<LogLine[]>;
  /** Streams the container's log lines into `out` (stdout and stderr kept apart) until done or aborted. */
  streamLogs(id: string, opts: LogsOptions, out: OutputStreams): Promise<void>;
  /**
   * Writes files into a container's file system (`docker cp`, the engine's put-archive): each under
   * `dir`, which is created (mode 0700) when missing, with its own mode. Contents never reach a log.
   */
  putFiles(id: string, dir: string, files: readonly { readonly name: string; readonly content: Buffer; readonly mode: number }[]): Promise<void>;
  /** Runs argv (never a shell string) inside the running container; resolves to its exit code. */
  exec(id: string, argv: readonly string[], out: OutputStreams, signal?: AbortSignal): Promise<number>;
  /** The image, environment, network and mounts of a container; undefined when there is none. */
  runSettings(id: string): Promise<RunSettings | undefined>;
  /** Waits for the container to exit and returns its exit code; rejects with CancelledError on abort. */
  wait(id: string, signal?: AbortSignal): Promise<number>;
  /** Swarm mode: nodes, services and tasks, answered by a manager (src/core/deploy/swarm.ts). */
  readonly swarm: SwarmApi;
  /** Releases its connections (a remote engine's SSH channels); the local engine holds none. */
  close(): void;
}

/** One node of a swarm as its manager reports it. */
export interface SwarmNode {
  readonly id: string;
  readonly hostname: string;
  readonly role: 'manager' | 'worker';
  /** "ready", "down", "unknown", "disconnected". */
  readonly state: string;
  /** "active", "pause", "drain". */
  readonly availability: string;
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly leader: boolean;
}

export interface SwarmPort {
  readonly target: number;
  /** Absent: the engine picks a port per task (host mode) or for the service (ingress). */
  readonly published?: number;
  readonly protocol: 'tcp' | 'udp';
  readonly mode: 'host' | 'ingress';
}

/** What a swarm service runs, as data (the adapter turns it into the engine's ServiceSpec). */
export interface SwarmServiceSpec {
  readonly name: string;
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Labels of its containers (the same version/deploy labels a single-host container carries). */
  readonly containerLabels: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  /** Values only ever revealed into the service's spec on the manager, never into logs. */
  readonly secretEnv: Readonly<Record<string, Secret>>;
  readonly cmd?: readonly string[];
  /** The health command as an argv run inside each task (Docker's HEALTHCHECK CMD form). */
  readonly healthcheck?: { readonly test: readonly string[]; readonly intervalMs: number; readonly timeoutMs: number; readonly retries: number; readonly startPeriodMs: number };
  readonly replicas: number;
  readonly constraints: readonly string[];
  readonly maxReplicasPerNode?: number;
  readonly resources: { readonly cpus?: number; readonly memoryBytes?: number; readonly reserveCpus?: number; readonly reserveMemoryBytes?: number };
  readonly networks: readonly ContainerNetwork[];
  readonly ports: readonly SwarmPort[];
  readonly volumes: readonly string[];
  readonly update: { readonly parallelism: number; readonly delayMs: number; readonly monitorMs: number; readonly maxFailureRatio: number; readonly order: 'start-first' | 'stop-first'; readonly failureAction: 'rollback' | 'pause' | 'continue' };
  readonly init: boolean;
  /** A global job: one task on every ready node, run once and never restarted (`replicas` and `update` do not apply). */
  readonly job?: boolean;
}

export interface SwarmService {
  readonly id: string;
  /** The object version the next update must name. */
  readonly version: number;
  readonly name: string;
  /** The image of its current spec ("registry/repo@sha256:…"). */
  readonly image: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly replicas: number;
  /** The image of the spec before the last update (what `docker service rollback` returns to). */
  readonly previousImage?: string;
  readonly previousLabels?: Readonly<Record<string, string>>;
  /** The rolling update's state: "updating", "paused", "completed", "rollback_started", "rollback_paused", "rollback_completed". */
  readonly updateState?: string;
  readonly updateMessage?: string;
}

export interface SwarmTask {
  readonly id: string;
  readonly slot?: number;
  readonly nodeId: string;
  readonly image: string;
  /** What the orchestrator wants: "running", "shutdown", "complete", … */
  readonly desiredState: string;
  /** Where it is: "new", "pending", "assigned", "preparing", "starting", "running", "complete", "failed", "shutdown", "rejected", … */
  readonly state: string;
  readonly error?: string;
  readonly exitCode?: number;
  readonly containerId?: string;
  /** Host-mode ports the task published on its node. */
  readonly ports: readonly SwarmPort[];
  readonly createdAt: string;
}

export interface SwarmApi {
  /** This engine's place in a swarm: "inactive", "active", …; `manager` when it can manage the cluster. */
  info(): Promise<{ readonly state: string; readonly manager: boolean; readonly nodeId: string }>;
  nodes(): Promise<SwarmNode[]>;
  inspectService(name: string): Promise<SwarmService | undefined>;
  createService(spec: SwarmServiceSpec): Promise<string>;
  /** Replaces the service's spec (a rolling update by its update settings); `version` from inspectService. */
  updateService(id: string, version: number, spec: SwarmServiceSpec): Promise<void>;
  /** `docker service rollback`: back to the spec before the last update. */
  rollbackService(id: string, version: number): Promise<void>;
  removeService(id: string): Promise<void>;
  tasks(service: string): Promise<SwarmTask[]>;
}
