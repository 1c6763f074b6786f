// Image versions and labels. A version names exactly one commit and one build moment:
// `v<short-sha>-<YYYYMMDD-HHMMSS>` (UTC), with `-dirty` when the working tree had uncommitted
// changes, so an image built from edited files can never pass for the commit it claims.

/** Length of the abbreviated commit in versions; fixed so tags sort and parse the same everywhere. */
export const SHORT_SHA_LENGTH = 7;

const VERSION_RE = /^v([0-9a-f]{7,40})-(\d{8})-(\d{6})(-dirty)?$/;

export interface VersionParts {
  readonly shortSha: string;
  /** When the build started, to the second, in UTC. */
  readonly builtAt: Date;
  readonly dirty: boolean;
}

/** Formats a date as YYYYMMDD-HHMMSS in UTC (the build host's time zone must not change tags). */
export function formatStamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

export function makeVersion(gitSha: string, builtAt: Date, dirty: boolean): string {
  if (!/^[0-9a-f]{7,40}$/.test(gitSha)) throw new Error(`not a git commit id: "${gitSha}"`);
  return `v${gitSha.slice(0, SHORT_SHA_LENGTH)}-${formatStamp(builtAt)}${dirty ? '-dirty' : ''}`;
}

export function parseVersion(version: string): VersionParts | undefined {
  const m = VERSION_RE.exec(version);
  if (!m) return undefined;
  const [, sha, day, time, dirty] = m as unknown as [string, string, string, string, string | undefined];
  const builtAt = new Date(
    Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8)), Number(time.slice(0, 2)), Number(time.slice(2, 4)), Number(time.slice(4, 6))),
  );
  return { shortSha: sha, builtAt, dirty: dirty !== undefined };
}

export function imageTag(service: string, version: string): string {
  return `${service}:${version}`;
}

/** Labels Greenlight reads back to find its own images; the OCI ones are for everybody else. */
export const LABEL = {
  project: 'greenlight.project',
  service: 'greenlight.service',
  version: 'greenlight.version',
  dirty: 'greenlight.dirty',
  test: 'greenlight.test',
  testRun: 'greenlight.test.run',
  testCreated: 'greenlight.test.created',
  ociRevision: 'org.opencontainers.image.revision',
  ociCreated: 'org.opencontainers.image.created',
  ociVersion: 'org.opencontainers.image.version',
  ociSource: 'org.opencontainers.image.source',
  ociTitle: 'org.opencontainers.image.title',
} as const;

export interface BuildIdentity {
  readonly project: string;
  readonly service: string;
  readonly version: string;
  readonly gitSha: string;
  readonly dirty: boolean;
  readonly createdAt: Date;
  /** Where the source lives: the origin remote's URL, or a file: URL of the workspace. */
  readonly source: string;
}

export function imageLabels(id: BuildIdentity): Record<string, string> {
  return {
    [LABEL.ociRevision]: id.gitSha,
    [LABEL.ociCreated]: id.createdAt.toISOString(),
    [LABEL.ociVersion]: id.version,
    [LABEL.ociSource]: id.source,
    [LABEL.ociTitle]: id.service,
    [LABEL.project]: id.project,
    [LABEL.service]: id.service,
    [LABEL.version]: id.version,
    [LABEL.dirty]: String(id.dirty),
  };
}

/** Removes user:password@ from a remote URL so credentials never end up in an image label. */
export function stripUrlCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}
