// The one door between the extension and the engine. The extension never imports src/core
// directly: it sends these typed requests to the background service, which runs the engine. Each
// job kind declares its params and result in JobKinds; the service registers one handler per kind.
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { MigrationsSince, RollbackResult } from '../core/deploy/rollback';
import type { ServiceStatus } from '../core/deploy/status';
import type { ProxyHealth } from '../core/deploy/proxy';
import type { SwarmStatus } from '../core/deploy/swarmStatus';
import type { HostContainer } from '../core/deploy/hostContainers';
import type { ImageRow } from '../core/images/listImages';

export const SERVICE_PROTOCOL_VERSION = 1;

/**
 * Environment the editor starts the service with (scripts/bench/memory.mjs uses the same). glibc's
 * malloc otherwise keeps what a verify freed: compiling PGlite's WebAssembly and loading its data
 * directory make many large, short-lived allocations, which glibc serves from its heap (it raises
 * its mmap threshold after the first large free) and never returns once fragmented, one arena per
 * thread. A fixed low threshold maps every allocation of 32 KiB or more on its own, so freeing it
 * gives it back; two arenas bound the rest. Measured: 465 MiB → about 110 MiB after a Verify.
 */
export const SERVICE_PROCESS_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '32768',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

export interface HealthReport {
  readonly protocol: number;
  readonly version: string;
  readonly pid: number;
  readonly uptimeMs: number;
  readonly rssBytes: number;
  readonly runningJobs: number;
}

export interface ConfigProblemDto {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
}

export interface EnvironmentSummary {
  readonly name: string;
  readonly sshTarget: string;
  readonly hostKeyPinned: boolean;
  readonly database?: string;
  readonly backupsDir: string;
  readonly keep: number;
}

export interface ConfigInitDto {
  readonly text: string;
  /** What the file was written from, for the message: "package.json \"todo-app\"", "Dockerfile", … */
  readonly found: readonly string[];
}

export interface ConfigSummary {
  readonly file: string;
  readonly found: boolean;
  readonly ok: boolean;
  readonly project?: string;
  /** secretEnv: names of the service's secret variables (values never cross this door here). */
  readonly services: readonly { name: string; port: number; secretEnv: readonly string[] }[];
  readonly database?: { kind: string; migrations: string };
  readonly environments: readonly EnvironmentSummary[];
  readonly problems: readonly ConfigProblemDto[];
}

/** An image Greenlight built, as the Images view shows it: the engine's own row type, so the two cannot drift. */
export type ImageRowDto = ImageRow;
export interface ImagesListDto {
  /** False when the Docker engine cannot be reached; `problem` says why. */
  readonly dockerAvailable: boolean;
  readonly endpoint: string;
  readonly problem?: string;
  readonly services: readonly { service: string; images: readonly ImageRowDto[] }[];
}
export interface ImageBuildDto {
  readonly version: string;
  readonly dirty: boolean;
  readonly images: readonly { service: string; tag: string; imageId: string; sizeBytes: number; durationMs: number }[];
}
export interface ImageTestDto {
  readonly passed: boolean;
  readonly version: string;
  readonly mode: string;
  readonly images: readonly { service: string; tag: string; imageId: string }[];
  readonly durationMs: number;
  readonly failure?: { step: string; message: string };
  readonly logFile: string;
}
export interface ImageExportDto {
  readonly dir: string;
  readonly version: string;
  readonly files: readonly { service: string; file: string; sha256: string; bytes: number }[];
  readonly deployInfo: string;
}

/** A migration's state on one database (see src/core/migrate/runner.ts MigrationStatusEntry). */
export type MigrationStateDto = 'applied' | 'pending' | 'checksum-changed' | 'failed' | 'missing';
export interface MigrationEntryDto {
  readonly fileName: string;
  readonly state: MigrationStateDto;
  readonly appliedAt?: string;
  readonly appliedBy?: string;
  readonly imageVersion?: string;
  readonly baseline?: boolean;
  readonly outOfOrder?: boolean;
  readonly failure?: { readonly at: string; readonly by: string; readonly error: string; readonly statementIndex?: number; readonly partial: boolean };
}
/** One database the panel shows: the local one (PGlite or database.local.url) or an environment's. */
export interface MigrationTargetDto {
  /** "local" or "env:<name>". */
  readonly id: string;
  readonly label: string;
  readonly kind: 'local' | 'environment';
  /** The database as messages name it; never a password. */
  readonly database: string;
  /** False when the database could not be reached; `problem` says why. */
  readonly reachable: boolean;
  readonly problem?: string;
  readonly problemKind?: ConnectionProblemKind;
  readonly ledgerExists: boolean;
  readonly entries: readonly MigrationEntryDto[];
  readonly durationMs: number;
}
export interface MigrationsStatusDto {
  readonly dir?: string;
  readonly kind?: 'postgres' | 'arangodb';
  /** Why no migrations could be listed (no migrations directory, a broken greenlight.yaml). */
  readonly problem?: string;
  readonly files: readonly { readonly fileName: string; readonly path: string; readonly noTransaction: boolean }[];
  readonly targets: readonly MigrationTargetDto[];
  readonly checkedAt: string;
}
export interface MigrationProblemDto {
  readonly message: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number };
  readonly hint?: string;
}
/** The result of `migrate verify` as the panel shows it (src/core/migrate/verify.ts VerifyReport). */
export interface MigrationVerifyDto {
  readonly ok: boolean;
  readonly database: string;
  readonly serverVersion: string;
  /** The last file verified when one file was asked for (the files before it run first). */
  readonly through?: string;
  readonly migrations: readonly {
    readonly fileName: string;
    readonly path: string;
    readonly status: 'ok' | 'failed' | 'not-idempotent' | 'not-run' | 'already-applied';
    readonly durationMs?: number;
    readonly problem?: MigrationProblemDto;
  }[];
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly message: string }[];
  readonly durationMs: number;
  /** The text report, also written to reportFile. */
  readonly text: string;
  readonly reportFile: string;
  readonly finishedAt: string;
}
export interface MigrationDryRunDto {
  readonly target: string;
  readonly database: string;
  readonly executed: boolean;
  readonly ok: boolean;
  readonly pending: readonly { readonly fileName: string; readonly outcome: 'planned' | 'ok' | 'failed' | 'skipped' | 'not-run'; readonly note?: string; readonly problem?: MigrationProblemDto }[];
  readonly checksumChanged: readonly string[];
  readonly text: string;
}
/** Schema drift of one target: what differs from a fresh migrate of the files its ledger lists. */
export interface MigrationDriftDto {
  readonly target: string;
  /** The compared database, as the engine describes it (no password). */
  readonly database: string;
  /** Where the fresh migrate ran (a scratch database). */
  readonly reference: string;
  readonly comparedFiles: number;
  readonly note?: string;
  readonly differences: readonly { readonly object: string; readonly kind: 'missing' | 'extra' | 'differs'; readonly detail?: string }[];
  readonly text: string;
  readonly finishedAt: string;
}

/** One service on an environment, as the Environments view shows it (the engine's type). */
export type DeployedServiceDto = ServiceStatus;
/** One line of the host's audit log (src/core/deploy/audit.ts AuditRecord). */
export interface AuditEntryDto {
  readonly at: string;
  readonly action: 'deploy' | 'rollback' | 'recover' | 'lock-break';
  readonly deployId: string;
  readonly who: string;
  readonly machine: string;
  readonly service?: string;
  readonly version?: string;
  readonly previousVersion?: string;
  readonly result: string;
  readonly serving?: string;
  readonly backupId?: string;
  readonly releaseTasks?: readonly string[];
  readonly untestedOverride?: string;
  readonly message?: string;
}
export interface LockHolderDto {
  readonly who: string;
  readonly machine: string;
  readonly since: string;
  readonly what: string;
}
/** An environment's live state; `problem` says why the host could not be asked (never a hang). */
/**
 * Why an environment could not be asked, so each gets its own words and fix: no identity file and
 * no agent (nothing was tried; "Set Identity File…"), a host key that is not pinned or changed
 * ("Trust Host Key…"), a refused login, or a host that did not answer. 'restricted': the
 * workspace is not trusted, so Greenlight connects nowhere.
 */
export type ConnectionProblemKind = 'not-configured' | 'host-key' | 'auth' | 'unreachable' | 'restricted';
export interface EnvironmentStatusDto {
  readonly env: string;
  readonly host: string;
  readonly reachable: boolean;
  readonly problem?: string;
  /** Set when the host key was refused: the view offers "Trust Host Key". */
  readonly hostKeyRefused?: boolean;
  readonly problemKind?: ConnectionProblemKind;
  readonly services: readonly DeployedServiceDto[];
  readonly lock?: LockHolderDto | 'unknown holder';
  readonly recent: readonly AuditEntryDto[];
  readonly checkedAt: string;
  /** Every container running on the host, Greenlight's or not (absent when it could not be listed: see containersProblem). */
  readonly containers?: readonly HostContainerDto[];
  readonly containersProblem?: string;
  /** A swarm environment: nodes, replicas per version, release history (src/core/deploy/swarmStatus.ts). */
  readonly swarm?: SwarmStatus;
  /** The host's proxy: container state, routes with in-flight and failed requests (src/core/deploy/proxy.ts ProxyHealth); absent without a proxy container. */
  readonly proxy?: ProxyHealth;
}
/** A container on an environment's host as src/core/deploy/hostContainers.ts lists it. */
export type HostContainerDto = HostContainer;
export interface BackupRowDto {
  readonly id: string;
  readonly env: string;
  readonly file: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly verified: boolean;
  readonly verifiedAt?: string;
  /** What the listing can say about the file now (changed since its check, never checked…). */
  readonly checkNote?: string;
  readonly sha256?: string;
  readonly reason?: 'manual' | 'pre-deploy' | 'pre-restore';
  readonly deployVersion?: string;
  readonly deployId?: string;
}
export interface BackupsListDto {
  readonly env: string;
  readonly dir: string;
  readonly reachable: boolean;
  readonly problem?: string;
  readonly hostKeyRefused?: boolean;
  readonly problemKind?: ConnectionProblemKind;
  /** Newest first. */
  readonly backups: readonly BackupRowDto[];
  /** What the retention policy would delete now (a preview; nothing is deleted by listing). */
  readonly wouldPrune: readonly string[];
}
export interface DeployResultDto {
  readonly deployId: string;
  readonly outcome: 'succeeded' | 'failed' | 'rolled-back' | 'cancelled';
  readonly service: string;
  readonly version: string;
  readonly previousVersion?: string;
  readonly serving: string;
  readonly message: string;
  readonly backupId?: string;
  readonly restoreOffer?: { readonly backupId: string; readonly tasksRun: readonly string[] };
  readonly shipped?: { readonly bytes: number; readonly ms: number; readonly alreadyPresent: boolean };
  readonly switchMs?: number;
  readonly warnings: readonly string[];
  readonly durationMs: number;
}
export type MigrationsSinceDto = MigrationsSince;
export interface RollbackPlanDto {
  readonly service: string;
  readonly current?: string;
  /** Retained versions, newest first, each with the release tasks that ran since it. */
  readonly retained: readonly { readonly version: string; readonly createdAt: string; readonly migrationsSince?: MigrationsSinceDto }[];
}
/** The engine's rollback result as it is (src/core/deploy/rollback.ts). */
export type RollbackResultDto = RollbackResult;
/** The host key an environment's host offers, compared with the pinned one. */
export interface HostKeyCheckDto {
  readonly env: string;
  readonly host: string;
  readonly port: number;
  readonly status: 'trusted' | 'unknown' | 'changed';
  readonly keyType?: string;
  readonly fingerprint?: string;
  /** "<type> <base64>", what ssh.hostKey takes. */
  readonly keyLine?: string;
  readonly message?: string;
}
/** Secrets the editor takes from SecretStorage; the service wraps them in Secret and never logs them. */
export interface EnvironmentSecretsParams {
  readonly dbPassword?: string;
  readonly secretEnv?: Readonly<Record<string, string>>;
}
type EnvParams = { workspaceRoot: string; env: string };

/**
 * Every job the service runs: params sent by the extension, result returned when it ends.
 * Add an entry here and a handler in src/service/jobs/ to add a job.
 */
export interface JobKinds {
  'config.summary': { params: { workspaceRoot: string }; result: ConfigSummary };
  /** The commented greenlight.yaml `greenlight init` would write for the workspace (not written: the editor writes it). */
  'config.init': { params: { workspaceRoot: string; /** False in Restricted Mode: git is not run there. */ useGit: boolean; ssh?: { host: string; user: string; port?: number }; envName?: string }; result: ConfigInitDto };
  'service.sleep': { params: { ms: number }; result: { sleptMs: number } };
  'images.list': { params: { workspaceRoot: string }; result: ImagesListDto };
  'images.build': { params: { workspaceRoot: string; services?: string[]; noCache?: boolean }; result: ImageBuildDto };
  'images.test': { params: { workspaceRoot: string; version?: string; mode?: 'test-db' | 'snapshot' | 'none' }; result: ImageTestDto };
  'images.export': { params: { workspaceRoot: string; version?: string; services?: string[]; outDir?: string }; result: ImageExportDto };
  'images.remove': { params: { workspaceRoot: string; ref: string }; result: { removed: string } };
  'images.testLog': { params: { workspaceRoot: string; imageId: string }; result: { text: string; file?: string } };
  'migrate.status': { params: { workspaceRoot: string; environments?: boolean; timeoutMs?: number; dbPasswords?: Record<string, string> }; result: MigrationsStatusDto };
  'migrate.verify': { params: { workspaceRoot: string; through?: string; rerun?: boolean }; result: MigrationVerifyDto };
  'migrate.dryRun': { params: { workspaceRoot: string; target: string; execute?: boolean; dbPassword?: string }; result: MigrationDryRunDto };
  'migrate.drift': { params: { workspaceRoot: string; target: string; dbPassword?: string }; result: MigrationDriftDto };
  'deploy.status': { params: EnvParams & { timeoutMs?: number }; result: EnvironmentStatusDto };
  /** backup 'always': take the pre-deploy backup even when no migrations are pending (default 'auto'). */
  'deploy.run': { params: EnvParams & { image: string; service?: string; untestedOverride?: string; breakLock?: boolean; backup?: 'auto' | 'always'; secrets: EnvironmentSecretsParams }; result: DeployResultDto };
  'deploy.rollbackPlan': { params: EnvParams & { service?: string }; result: RollbackPlanDto };
  'deploy.rollback': { params: EnvParams & { service?: string; toVersion?: string }; result: RollbackResultDto };
  'deploy.hostKey': { params: EnvParams; result: HostKeyCheckDto };
  'deploy.pinHostKeyEdit': { params: { text: string; file: string; env: string; keyLine: string }; result: { edits: { offset: number; length: number; newText: string }[] } };
  /** What an `ssh` client needs to open a shell on the environment's host: target, key file, and the pinned host keys as known_hosts lines. */
  'deploy.sshTarget': { params: EnvParams; result: { host: string; port: number; user: string; identityFile?: string; knownHosts: string[]; /** The host's Docker socket (a shell into a container runs `docker -H unix://… exec` there). */ dockerSocket?: string } };
  'deploy.setIdentityFileEdit': { params: { text: string; file: string; env: string; identityFile: string }; result: { edits: { offset: number; length: number; newText: string }[] } };
  /** Streams a host container's log lines as job log lines (stdout info, stderr warn) until it stops or the job is cancelled. */
  'containers.logs': { params: EnvParams & { id: string; follow: boolean; tail?: number }; result: { lines: number } };
  'containers.restart': { params: EnvParams & { id: string }; result: { name: string; startedAt: string } };
  'containers.stop': { params: EnvParams & { id: string }; result: { name: string; running: boolean } };
  /**
   * A loopback port forwarded over the environment's SSH connection to a host container's web port.
   * Reports progress step "forwarding" with the URL once listening; runs until cancelled or idle for idleSeconds.
   */
  'containers.forward': { params: EnvParams & { id: string; port?: number; idleSeconds?: number }; result: { url: string; connections: number; closedBecause: 'cancelled' | 'idle' } };
  'backup.list': { params: EnvParams & { timeoutMs?: number }; result: BackupsListDto };
  'backup.create': { params: EnvParams & { secrets: EnvironmentSecretsParams }; result: BackupRowDto };
  'backup.verify': { params: EnvParams & { id: string }; result: { id: string; ok: boolean; problems: string[]; sha256: string } };
  'backup.restore': { params: EnvParams & { id: string; confirmed: boolean; secrets: EnvironmentSecretsParams }; result: { restored: boolean; durationMs: number } };
  'backup.delete': { params: EnvParams & { id: string }; result: { deleted: string } };
  'backup.download': { params: EnvParams & { id: string; toFile: string }; result: { file: string; bytes: number; sha256: string; matchesRecord: boolean } };
}

export type JobKind = keyof JobKinds;
export type JobParams<K extends JobKind> = JobKinds[K]['params'];
export type JobResult<K extends JobKind> = JobKinds[K]['result'];

export interface JobStartParams<K extends JobKind = JobKind> {
  readonly jobId: string;
  readonly kind: K;
  readonly params: JobParams<K>;
}

export type JobOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly cancelled: boolean; readonly message: string; readonly exitCode?: number };

/** Where the service keeps the last verify report, relative to the workspace root. */
export const VERIFY_REPORT_FILE = '.greenlight/migrations/verify-report.txt';

export const HealthRequest = new RequestType0<HealthReport, void>('greenlight/health');
/** Runs a job to its end; progress and log lines arrive as notifications tagged with jobId. */
export const JobRunRequest = new RequestType<JobStartParams, JobOutcome, void>('greenlight/job/run');
export const JobCancelRequest = new RequestType<{ jobId: string }, { cancelled: boolean }, void>('greenlight/job/cancel');

export interface JobProgressParams {
  readonly jobId: string;
  readonly step: string;
  readonly message?: string;
  readonly fraction?: number;
}
export interface JobLogParams {
  readonly jobId: string;
  readonly line: string;
  readonly level: 'info' | 'warn' | 'error';
}
export const JobProgressNotification = new NotificationType<JobProgressParams>('greenlight/job/progress');
export const JobLogNotification = new NotificationType<JobLogParams>('greenlight/job/log');
/** Sent by the service when something the views show has changed (images, deploys, backups). */
export const StateChangedNotification = new NotificationType<{ area: 'config' | 'images' | 'environments' | 'backups' | 'migrations' }>(
  'greenlight/stateChanged',
);
