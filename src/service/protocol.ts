// The one door between the extension and the engine. The extension never imports src/core
// directly: it sends these typed requests to the background service, which runs the engine. Each
// job kind declares its params and result in JobKinds; the service registers one handler per kind.
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';

export const SERVICE_PROTOCOL_VERSION = 1;

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

export interface ConfigSummary {
  readonly file: string;
  readonly found: boolean;
  readonly ok: boolean;
  readonly project?: string;
  readonly services: readonly { name: string; port: number }[];
  readonly database?: { kind: string; migrations: string };
  readonly environments: readonly EnvironmentSummary[];
  readonly problems: readonly ConfigProblemDto[];
}

/** An image Greenlight built, as the Images view shows it (see src/core/images/listImages.ts). */
export interface ImageRowDto {
  readonly service: string;
  readonly version: string;
  readonly tag: string;
  readonly imageId: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly dirty: boolean;
  readonly gitSha: string;
  readonly tested: 'passed' | 'failed' | 'untested';
  readonly testedAt?: string;
  readonly testLogFile?: string;
  readonly exported: boolean;
}
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

/**
 * Every job the service runs: params sent by the extension, result returned when it ends.
 * Add an entry here and a handler in src/service/jobs/ to add a job.
 */
export interface JobKinds {
  'config.summary': { params: { workspaceRoot: string }; result: ConfigSummary };
  'service.sleep': { params: { ms: number }; result: { sleptMs: number } };
  'images.list': { params: { workspaceRoot: string }; result: ImagesListDto };
  'images.build': { params: { workspaceRoot: string; services?: string[]; noCache?: boolean }; result: ImageBuildDto };
  'images.test': { params: { workspaceRoot: string; version?: string; mode?: 'test-db' | 'snapshot' | 'none' }; result: ImageTestDto };
  'images.export': { params: { workspaceRoot: string; version?: string; services?: string[]; outDir?: string }; result: ImageExportDto };
  'images.remove': { params: { workspaceRoot: string; ref: string }; result: { removed: string } };
  'images.testLog': { params: { workspaceRoot: string; imageId: string }; result: { text: string; file?: string } };
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
