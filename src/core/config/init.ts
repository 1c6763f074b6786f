// First run: what a workspace already says about itself (package name, Dockerfiles, compose files,
// migration folders, the git remote) and the commented greenlight.yaml written from it. Reading
// the workspace (inspectWorkspace) is kept apart from writing the file (renderProjectFile), which
// is pure, so `greenlight init` and the editor's "Create Project File" produce the same text and
// unit tests can pin it. Only the SSH target cannot be inferred; callers ask for it.
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Document, isMap, isPair, isScalar, parse as parseYaml, type Node, type Pair } from 'yaml';
import { InputError } from '../common/errors';
import { CONFIG_FILE_NAME, formatProblem, parseConfig } from './load';

export type MigrationTool = 'plain-sql' | 'goose' | 'dbmate' | 'golang-migrate' | 'flyway' | 'sqitch' | 'prisma' | 'diesel' | 'rails' | 'django' | 'arangodb';

export interface MigrationFacts {
  readonly tool: MigrationTool;
  /** Relative to the workspace root, with forward slashes. */
  readonly dir: string;
  readonly count: number;
  /** Seed files or folders the tool's layout has (Rails db/seeds.rb, db/seeds/). */
  readonly seeds: readonly string[];
  /** Further migration folders of the same tool (other Django apps). */
  readonly more: readonly string[];
  /** Flyway versions that sort wrongly by file name (V10__ before V2__). */
  readonly unpaddedVersions?: boolean;
}

export interface DockerfileFacts {
  /** Relative path of the Dockerfile, forward slashes. */
  readonly file: string;
  readonly ports: readonly number[];
  readonly healthPath?: string;
  /** The image the final stage starts FROM (an earlier stage's name followed to its image). */
  readonly baseImage?: string;
  /** Local sources of COPY/ADD (no --from, no URL), as written. */
  readonly copySources?: readonly string[];
  /** Its COPY sources name files of the repository root that its own folder lacks: it builds from the root (a monorepo's apps/web/Dockerfile). */
  readonly rootContext?: boolean;
  /** It installs or runs tools that build OS packages (rpm-build, debhelper, fpm): it makes a .deb or .rpm, not an image to run. */
  readonly packageBuilder?: boolean;
}

export interface ComposeServiceFacts {
  readonly name: string;
  readonly build?: { readonly context: string; readonly dockerfile?: string; readonly target?: string };
  readonly image?: string;
  /** Container-side ports from `ports:` and `expose:`. */
  readonly ports: readonly number[];
  readonly networks: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly healthPath?: string;
  /** For a built service: its Dockerfile as a workspace path (compose resolves both against the compose file's folder). */
  readonly dockerfileFile?: string;
  /** For a built service: the image its Dockerfile's final stage starts FROM, when that Dockerfile was read. */
  readonly builtFrom?: string;
  /** For a built service: it bind-mounts its own build context (`.:/src/app`), so the source on disk runs, not the image: a development setup. */
  readonly mountsContext?: boolean;
}

export interface DatabaseFacts {
  readonly kind: 'postgres' | 'arangodb';
  /** Where it was seen, for the comment: "compose service db (postgres:16)", "migrations". */
  readonly source: string;
  readonly name?: string;
  readonly user?: string;
  readonly port?: number;
}

export interface WorkspaceFacts {
  readonly folderName: string;
  readonly packageName?: string;
  readonly gitRemote?: string;
  readonly dockerfiles: readonly DockerfileFacts[];
  readonly composeFile?: string;
  readonly composeServices: readonly ComposeServiceFacts[];
  readonly composeNetworks: readonly string[];
  readonly database?: DatabaseFacts;
  readonly migrations?: MigrationFacts;
}

export interface SshAnswer {
  readonly host: string;
  readonly user: string;
  readonly port?: number;
}

export interface InitAnswers {
  /** Absent: the file gets a commented example environment instead of a real one. */
  readonly ssh?: SshAnswer;
  /** Name of the environment (default "production"). */
  readonly envName?: string;
}

/** Parses `user@host` or `user@host:port` (as given to --ssh or typed into an input box). */
export function parseSshTarget(text: string): SshAnswer {
  const m = /^([A-Za-z0-9._][A-Za-z0-9._-]*)@([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw new InputError(`SSH target "${text}": expected user@host or user@host:port`);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new InputError(`SSH target "${text}": port ${port} is not between 1 and 65535`);
  return { user: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

// ---------------------------------------------------------------------------------------------
// Reading the workspace

/** Folders never looked into: dependencies, VCS data, build output, virtualenvs. */
const SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'out', 'build', 'target', '.venv', 'venv', '__pycache__', '.tools', 'vendor', 'tmp', 'log', '.next', 'coverage']);
const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
/** Folders deep: enough for persistence/sql/migrations/sql (ory/kratos) and apps' migrations/ in a monorepo. */
const MAX_DEPTH = 4;
const FLYWAY_DIR = 'src/main/resources/db/migration';

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function listDir(p: string): Promise<string[]> {
  try {
    return (await readdir(p)).sort();
  } catch {
    return [];
  }
}

/** Every file path (relative, forward slashes) down to MAX_DEPTH folders, dependencies skipped. */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (rel: string, depth: number): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        // Hidden folders are editor and CI settings, except .docker/, where some projects keep their Dockerfiles (ory/kratos).
        if (!SKIPPED.has(e.name) && (!e.name.startsWith('.') || e.name === '.docker') && depth < MAX_DEPTH) await visit(r, depth + 1);
      } else if (e.isFile()) out.push(r);
    }
  };
  await visit('', 0);
  return out;
}

/** A folder of tests, fixtures or examples anywhere in the path. */
const TEST_SEGMENT = /^(tests?|specs?|e2e|__tests__|testdata|test-data|testing|fixtures?|examples?|samples?|playwright|cypress|integration-?tests?|integrationtest)$/i;

function isTestPath(file: string): boolean {
  return file.split('/').slice(0, -1).some((seg) => TEST_SEGMENT.test(seg));
}

/**
 * The compose file the project is run with: one at the root, else the shallowest in a subfolder
 * (many projects keep theirs in docker/ or deploy/, next to the Dockerfile they build).
 */
function findComposeFile(files: readonly string[]): string | undefined {
  const atRoot = COMPOSE_FILES.find((f) => files.includes(f));
  if (atRoot) return atRoot;
  const nested = files.filter((f) => COMPOSE_FILES.includes(path.posix.basename(f)));
  nested.sort((a, b) => a.split('/').length - b.split('/').length || COMPOSE_FILES.indexOf(path.posix.basename(a)) - COMPOSE_FILES.indexOf(path.posix.basename(b)) || (a < b ? -1 : a > b ? 1 : 0));
  return nested[0];
}

function gitRemote(root: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['remote', 'get-url', 'origin'], { cwd: root, timeout: 5000, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout) => {
      // Credentials in an https remote never reach the project file.
      resolve(err ? undefined : String(stdout).trim().replace(/^(https?:\/\/)[^@/]+@/, '$1') || undefined);
    });
  });
}

/** The last URL path of a HEALTHCHECK or compose healthcheck command, e.g. /health. */
export function healthPathOf(command: string): string | undefined {
  const m = /https?:\/\/[^\s/'"]+(\/[^\s'"]*)/.exec(command);
  return m?.[1] && m[1] !== '/' ? m[1] : m ? '/' : undefined;
}

/**
 * Tools that build OS packages, installed or run by a Dockerfile that makes a .deb or .rpm
 * (miniflux's packaging/debian and packaging/rpm): such an image is a build step, not a service.
 */
const PACKAGE_BUILD_TOOLS = /(^|[\s'";&|(])(rpm-build|rpmbuild|rpmdevtools|debhelper|dh-make|devscripts|dpkg-buildpackage|debuild|fpm|nfpm|makepkg|abuild)(?=$|[\s'";&|)])/;

/** EXPOSE ports and the HEALTHCHECK path of a Dockerfile's text (line continuations joined). */
export function dockerfileFacts(file: string, text: string): DockerfileFacts {
  const ports: number[] = [];
  let healthPath: string | undefined;
  const stages = new Map<string, string>();
  const copySources: string[] = [];
  const vars = new Map<string, string>();
  let baseImage: string | undefined;
  let packageBuilder = false;
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    // FROM [--platform=…] <image> [AS <name>]: a stage built on an earlier one has that one's image.
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      baseImage = stages.get(from[1]!.toLowerCase()) ?? from[1]!;
      if (from[2]) stages.set(from[2].toLowerCase(), baseImage);
    }
    // ARG NAME=value and ENV NAME=value (or ENV NAME value) give a later ${NAME} its value.
    const arg = /^(?:ARG|ENV)\s+([A-Za-z_][A-Za-z0-9_]*)(?:=|\s+)(\S+)\s*$/i.exec(line);
    if (arg) vars.set(arg[1]!, arg[2]!.replace(/^["']|["']$/g, ''));
    const expose = /^EXPOSE\s+(.+)$/i.exec(line);
    if (expose) {
      // EXPOSE ${PORT:-3333} or EXPOSE $PORT after ARG PORT=8080: the port it stands for by default.
      const expanded = expose[1]!.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string | undefined, dflt: string | undefined, bare: string | undefined) => vars.get(name ?? bare ?? '') ?? dflt ?? '');
      for (const tok of expanded.split(/\s+/)) {
        const p = /^(\d{1,5})(?:\/tcp)?$/i.exec(tok);
        if (p && Number(p[1]) >= 1 && Number(p[1]) <= 65535 && !ports.includes(Number(p[1]))) ports.push(Number(p[1]));
      }
    }
    const copy = /^(?:COPY|ADD)\s+(.+)$/i.exec(line);
    if (copy && !/--from=/i.test(copy[1]!)) {
      const args = copy[1]!.split(/\s+/).filter((a) => !a.startsWith('--'));
      for (const src of args.slice(0, -1)) if (!/^(\.\/?|\/.*|[a-z]+:\/\/.*|.*[*?[$].*)$/i.test(src) && !copySources.includes(src)) copySources.push(src.replace(/^\.\//, '').replace(/\/$/, ''));
    }
    const hc = /^HEALTHCHECK\s+(.+)$/i.exec(line);
    if (hc && !/^NONE$/i.test(hc[1]!.trim())) healthPath = healthPathOf(hc[1]!) ?? healthPath;
    if (/^(RUN|CMD|ENTRYPOINT)\s/i.test(line) && PACKAGE_BUILD_TOOLS.test(line)) packageBuilder = true;
  }
  return { file, ports, healthPath, ...(baseImage ? { baseImage } : {}), ...(copySources.length ? { copySources } : {}), ...(packageBuilder ? { packageBuilder } : {}) };
}

/** The repository name of an image reference: "postgres" for docker.io/library/postgres:16@sha256:…. */
function imageRepo(image: string): string {
  return image.toLowerCase().split('@')[0]!.replace(/:[^/:]*$/, '').split('/').pop() ?? '';
}

/**
 * Images of a database, cache or queue: a compose service built FROM one (postgres with an
 * extension added, say) is infrastructure the project runs beside its app, not an app Greenlight
 * builds and deploys.
 */
const INFRASTRUCTURE = /^(postgres|postgis|timescaledb(-ha)?|pgvector|arangodb|mysql|mariadb|mongo|redis|valkey|memcached|clickhouse(-server)?|elasticsearch|opensearch|rabbitmq|nats|kafka|zookeeper|minio|electric|pgbouncer|pgpool|pgpool-ii)$/;

function isInfrastructureImage(image: string | undefined): boolean {
  return image !== undefined && INFRASTRUCTURE.test(imageRepo(image));
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function containerPort(spec: unknown): number | undefined {
  // "3000", "8080:3000", "127.0.0.1:8080:3000/tcp", 3000, or the long form { target: 3000 }.
  const rec = asRecord(spec);
  if (rec) return typeof rec.target === 'number' ? rec.target : undefined;
  const s = String(spec).replace(/\/(tcp|udp)$/, '');
  const last = s.split(':').pop() ?? '';
  const n = Number(last.split('-')[0]);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * A compose value as it would read once compose interpolated it, when that is known without the
 * user's environment: `$$` is a literal dollar, `${VAR:-default}` and `${VAR-default}` are their
 * default; any other `$VAR` reference is unknown here (undefined).
 */
export function composeLiteral(value: string): string | undefined {
  const withDefault = /^\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}$]*)\}$/.exec(value);
  if (withDefault) return withDefault[1];
  return value.replace(/\$\$/g, '').includes('$') ? undefined : value.replace(/\$\$/g, '$');
}

function envOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, x: string): void => {
    // A value only the user's environment knows (POSTGRES_DB=$DB_NAME) is left out, not written as text.
    const literal = composeLiteral(x);
    if (k && literal !== undefined) out[k] = literal;
  };
  if (Array.isArray(v)) {
    for (const item of v) {
      const [k, ...rest] = String(item).split('=');
      put(k ?? '', rest.join('='));
    }
  } else {
    for (const [k, x] of Object.entries(asRecord(v) ?? {})) put(k, x === null || x === undefined ? '' : String(x));
  }
  return out;
}

/** The services, their ports, networks and environment, of a compose file's text. */
export function composeFacts(file: string, text: string): { services: ComposeServiceFacts[]; networks: string[] } {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new InputError(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const root = asRecord(data) ?? {};
  const services: ComposeServiceFacts[] = [];
  for (const [name, raw] of Object.entries(asRecord(root.services) ?? {})) {
    const s = asRecord(raw) ?? {};
    const b = s.build;
    const rec = asRecord(b);
    const build = typeof b === 'string' ? { context: b } : rec ? { context: String(rec.context ?? '.'), dockerfile: rec.dockerfile === undefined ? undefined : String(rec.dockerfile), ...(typeof rec.target === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(rec.target) ? { target: rec.target } : {}) } : undefined;
    const ports = [...(Array.isArray(s.ports) ? s.ports : []), ...(Array.isArray(s.expose) ? s.expose : [])].map(containerPort).filter((p): p is number => p !== undefined);
    const networks = Array.isArray(s.networks) ? s.networks.map(String) : Object.keys(asRecord(s.networks) ?? {});
    const test = asRecord(s.healthcheck)?.test;
    const healthPath = test === undefined ? undefined : healthPathOf(Array.isArray(test) ? test.map(String).join(' ') : String(test));
    const dockerfileFile = build ? path.posix.normalize(path.posix.join(composeContext(file, build.context), ('dockerfile' in build ? build.dockerfile : undefined) ?? 'Dockerfile')) : undefined;
    const mountsContext = build !== undefined && bindSources(s.volumes).some((src) => composeContext(file, src) === composeContext(file, build.context));
    services.push({ name, build, ...(dockerfileFile ? { dockerfileFile } : {}), image: typeof s.image === 'string' ? s.image : undefined, ports: [...new Set(ports)], networks, environment: envOf(s.environment), healthPath, ...(mountsContext ? { mountsContext } : {}) });
  }
  return { services, networks: Object.keys(asRecord(root.networks) ?? {}) };
}

/** The host paths a compose service bind-mounts (`./src:/app`, `{ type: bind, source: . }`); named volumes are not paths. */
function bindSources(volumes: unknown): string[] {
  if (!Array.isArray(volumes)) return [];
  const out: string[] = [];
  for (const v of volumes) {
    const rec = asRecord(v);
    const src = typeof v === 'string' ? v.split(':')[0]! : rec?.type === 'bind' && typeof rec.source === 'string' ? rec.source : undefined;
    if (src !== undefined && /^(\.{1,2}(\/|$)|\/)/.test(src)) out.push(src);
  }
  return out;
}

/** The database a compose service runs, by its image. */
function composeDatabase(services: readonly ComposeServiceFacts[]): (DatabaseFacts & { service: string }) | undefined {
  for (const s of services) {
    const shown = s.image ?? (s.builtFrom ? `built FROM ${s.builtFrom}` : undefined);
    const image = (s.image ?? s.builtFrom ?? '').toLowerCase();
    const repo = imageRepo(image);
    if (/^(postgres|postgis|timescaledb(-ha)?|pgvector)$/.test(repo) || image.startsWith('pgvector/')) {
      const e = s.environment;
      return { kind: 'postgres', service: s.name, source: `compose service "${s.name}" (${shown})`, name: e.POSTGRES_DB || e.POSTGRES_USER || undefined, user: e.POSTGRES_USER || undefined, port: 5432 };
    }
    if (repo === 'arangodb') return { kind: 'arangodb', service: s.name, source: `compose service "${s.name}" (${shown})`, port: 8529 };
  }
  return undefined;
}

const SQL = /\.(sql|pgsql|psql)$/i;

/** Folders of one migration chain per database (migrations/mysql, migrations/postgres): PostgreSQL's first, other engines' last. */
function dialectRank(dir: string): number {
  const last = path.posix.basename(dir).toLowerCase();
  if (/^(postgres(ql)?|pg(sql)?|psql)$/.test(last)) return 0;
  if (/^(mysql|mariadb|sqlite3?|mssql|sqlserver|oracle|cockroach(db)?|clickhouse|tidb)$/.test(last)) return 2;
  return 1;
}

/** Which migration tool's layout the workspace follows, by the first that matches. */
async function findMigrations(root: string, files: readonly string[]): Promise<MigrationFacts | undefined> {
  const inDir = (dir: string, re: RegExp = /./): string[] => files.filter((f) => path.posix.dirname(f) === dir && re.test(path.posix.basename(f)));
  const exists = (f: string): boolean => files.includes(f);
  const firstLines = async (f: string): Promise<string> => ((await readText(path.join(root, f))) ?? '').slice(0, 2000);

  // Rails: db/migrate/*.rb, seeds in db/seeds.rb and db/seeds/.
  const rails = inDir('db/migrate', /\.rb$/);
  if (rails.length > 0) {
    const seeds = [...(exists('db/seeds.rb') ? ['db/seeds.rb'] : []), ...((await isDir(path.join(root, 'db/seeds'))) ? ['db/seeds'] : [])];
    return { tool: 'rails', dir: 'db/migrate', count: rails.length, seeds, more: [] };
  }
  // Django: <app>/migrations/0001_*.py, one folder per app.
  const django = [...new Set(files.filter((f) => /(^|\/)migrations\/\d{4}_[^/]*\.py$/.test(f)).map((f) => path.posix.dirname(f)))];
  if (django.length > 0) {
    const count = files.filter((f) => django.includes(path.posix.dirname(f)) && /\/\d{4}_[^/]*\.py$/.test(f)).length;
    return { tool: 'django', dir: django[0]!, count, seeds: [], more: django.slice(1) };
  }
  // Prisma: prisma/migrations/<timestamp>_<name>/migration.sql (one folder deeper than the walk's
  // depth limit for nested projects, so it is listed directly).
  // In a monorepo the schema sits in a package (internal-packages/database/prisma): the shallowest
  // prisma/ folder with migrations wins.
  // Prisma's layout is also recognised by itself: <folder>/<timestamp>_<name>/migration.sql beside a
  // migration_lock.toml (formbricks keeps it in packages/database/migration).
  const prismaLayouts = files.filter((f) => /(^|\/)migration_lock\.toml$/.test(f)).map((f) => posixDir(f));
  const prismaDirs = [...new Set(['prisma', ...files.filter((f) => /(^|\/)prisma\/schema\.prisma$/.test(f)).map((f) => path.posix.dirname(f))])].sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : 1));
  for (const dir of [...prismaDirs.map((d) => `${d}/migrations`), ...prismaLayouts]) {
    if (!(await isDir(path.join(root, dir)))) continue;
    const subs = [];
    for (const d of await listDir(path.join(root, dir))) if (await readText(path.join(root, dir, d, 'migration.sql')) !== undefined) subs.push(d);
    if (subs.length > 0) return { tool: 'prisma', dir, count: subs.length, seeds: [], more: [] };
  }
  // diesel: migrations/<version>_<name>/up.sql (and down.sql), one folder per migration.
  const diesel = [...new Set(files.filter((f) => /(^|\/)migrations(\/[^/]+)?\/[^/]+\/up\.sql$/.test(f)).map((f) => path.posix.dirname(path.posix.dirname(f))))].sort(
    // One folder per backend (vaultwarden: migrations/mysql, postgresql, sqlite): PostgreSQL's first.
    (a, b) => Number(/postgres|(^|\/)pg/i.test(b)) - Number(/postgres|(^|\/)pg/i.test(a)) || a.split('/').length - b.split('/').length || (a < b ? -1 : 1),
  );
  if (diesel.length > 0 && (exists('diesel.toml') || files.some((f) => /(^|\/)Cargo\.toml$/.test(f)))) {
    const dir = diesel[0]!;
    return { tool: 'diesel', dir, count: files.filter((f) => path.posix.dirname(path.posix.dirname(f)) === dir && f.endsWith('/up.sql')).length, seeds: [], more: diesel.slice(1) };
  }
  // sqitch: sqitch.plan beside deploy/ (and revert/, verify/).
  const plan = files.find((f) => path.posix.basename(f) === 'sqitch.plan');
  if (plan) {
    const base = path.posix.dirname(plan) === '.' ? '' : `${path.posix.dirname(plan)}/`;
    return { tool: 'sqitch', dir: `${base}deploy`, count: inDir(`${base}deploy`, SQL).length, seeds: [], more: [] };
  }
  // Folders holding migrations, in the usual places first; among folders of one depth, the one with
  // the most files (the main chain: supabase/storage's migrations/tenant beside migrations/multitenant).
  const migrationFiles = files.filter((f) => SQL.test(f) || /\.aql$/i.test(f) || /\.json$/i.test(f));
  const filesIn = (d: string): number => migrationFiles.filter((f) => path.posix.dirname(f) === d).length;
  const dirs = [...new Set(migrationFiles.map((f) => path.posix.dirname(f)))]
    // Folder names in any case (roundcube's SQL/postgres), a dialect's folder under sql/ too, and a
    // named chain under migrations/.
    .filter((d) => /(^|\/)(migrations?|db\/migrations?|sql|schema)$/i.test(d) || /(^|\/)db\/migration$/i.test(d) || /(^|\/)sql\/(postgres(ql)?|pg(sql)?)$/i.test(d) || /(^|\/)migrations\/[^/]+$/i.test(d))
    .sort((a, b) => a.split('/').length - b.split('/').length || dialectRank(a) - dialectRank(b) || filesIn(b) - filesIn(a) || (a < b ? -1 : 1));
  for (const dir of dirs) {
    const sql = inDir(dir, SQL);
    const aql = inDir(dir, /\.(aql|json)$/i);
    if (sql.length === 0 && aql.length > 0) {
      // ArangoDB: .aql files, or JSON schema operations ({ "op": "createCollection", … }).
      const jsonOps = aql.filter((f) => f.endsWith('.json'));
      const looksArango = aql.some((f) => /\.aql$/i.test(f)) || (jsonOps.length > 0 && /"(op|operation|collection)"\s*:/.test(await firstLines(jsonOps[0]!)));
      if (looksArango) return { tool: 'arangodb', dir, count: aql.length, seeds: [], more: [] };
      continue;
    }
    if (sql.length === 0) continue;
    if (sql.some((f) => /\.(up|down)\.sql$/i.test(f))) return { tool: 'golang-migrate', dir, count: sql.filter((f) => /\.up\.sql$/i.test(f)).length, seeds: [], more: [] };
    const flyway = sql.filter((f) => /^V\d+(?:[._]\d+)*__.+\.sql$/.test(path.posix.basename(f)));
    if (flyway.length > 0 && flyway.length === sql.filter((f) => !/^[RU]\d*__/.test(path.posix.basename(f))).length) {
      const byName = flyway.map((f) => path.posix.basename(f)).sort();
      const version = (n: string): number => Number(/^V(\d+)/.exec(n)![1]);
      const unpadded = byName.some((n, i) => i > 0 && version(n) < version(byName[i - 1]!));
      return { tool: 'flyway', dir, count: flyway.length, seeds: [], more: [], unpaddedVersions: unpadded };
    }
    const head = await firstLines(sql[0]!);
    if (/^\s*--\s*\+goose\s+Up/im.test(head)) return { tool: 'goose', dir, count: sql.length, seeds: [], more: [] };
    if (/^\s*--\s*migrate:up/im.test(head)) return { tool: 'dbmate', dir, count: sql.length, seeds: [], more: [] };
    const seeds = (await isDir(path.join(root, dir, 'seeds'))) ? [`${dir}/seeds`] : [];
    return { tool: 'plain-sql', dir, count: sql.length, seeds, more: [] };
  }
  return undefined;
}

/** The database kind a project's own settings name, when no compose service shows it. */
async function databaseFromSettings(root: string, files: readonly string[], m: MigrationFacts | undefined): Promise<DatabaseFacts | undefined> {
  if (m?.tool === 'arangodb') return { kind: 'arangodb', source: `the ArangoDB migrations in ${m.dir}` };
  const railsDb = await readText(path.join(root, 'config/database.yml'));
  if (railsDb && /adapter:\s*postgres/i.test(railsDb)) return { kind: 'postgres', source: 'config/database.yml' };
  const prisma = await readText(path.join(root, 'prisma/schema.prisma'));
  if (prisma && /provider\s*=\s*"postgres(ql)?"/.test(prisma)) return { kind: 'postgres', source: 'prisma/schema.prisma' };
  for (const f of files.filter((x) => /(^|\/)settings(\/[^/]+)?\.py$/.test(x))) {
    if (/django\.db\.backends\.postgresql|postgres(ql)?:\/\//.test((await readText(path.join(root, f))) ?? '')) return { kind: 'postgres', source: f };
  }
  const fromDeps = await databaseFromDependencies(root, files);
  if (fromDeps) return fromDeps;
  if (m) return { kind: 'postgres', source: `the SQL migrations in ${m.dir}` };
  return undefined;
}

/**
 * Drivers of the databases Greenlight serves, by manifest: a project whose only word on its
 * database is the driver it depends on (miniflux: github.com/lib/pq in go.mod) still names it.
 * PostgreSQL wins when a project supports several engines (shiori: MySQL, SQLite and PostgreSQL).
 */
const DATABASE_DRIVERS: readonly { readonly manifest: RegExp; readonly postgres: RegExp; readonly arangodb?: RegExp }[] = [
  { manifest: /^go\.mod$/, postgres: /^\s*(require\s+)?(github\.com\/lib\/pq|github\.com\/jackc\/pgx(\/v\d+)?)\s+v/m, arangodb: /^\s*(require\s+)?github\.com\/arangodb\/go-driver(\/v\d+)?\s+v/m },
  { manifest: /^package\.json$/, postgres: /"(pg|postgres|pg-promise|@neondatabase\/serverless|slonik)"\s*:/, arangodb: /"arangojs"\s*:/ },
  { manifest: /^(requirements[^/]*\.txt|pyproject\.toml|Pipfile|setup\.cfg)$/, postgres: /(^|[\s"'[,])(psycopg2?(-binary)?|asyncpg|pg8000)(?=$|[\s=<>~!;,"'[\]])/im, arangodb: /(^|[\s"'[,])python-arango(?=$|[\s=<>~!;,"'[\]])/im },
  { manifest: /^Gemfile$/, postgres: /^\s*gem\s+["']pg["']/m, arangodb: /^\s*gem\s+["']arangorb["']/m },
  { manifest: /^Cargo\.toml$/, postgres: /^\s*(tokio-postgres|postgres|deadpool-postgres|bb8-postgres)\s*=|features\s*=\s*\[[^\]]*"postgres(ql)?"/m, arangodb: /^\s*arangors\s*=/m },
  { manifest: /^(pom\.xml|build\.gradle(\.kts)?)$/, postgres: /org\.postgresql[:"'<\s]|<groupId>org\.postgresql<\/groupId>/ },
];

async function databaseFromDependencies(root: string, files: readonly string[]): Promise<DatabaseFacts | undefined> {
  let arango: string | undefined;
  for (const driver of DATABASE_DRIVERS) {
    // The root's manifest, else the shallowest ones (a monorepo's packages).
    const manifests = files.filter((f) => driver.manifest.test(path.posix.basename(f))).sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b)).slice(0, 8);
    for (const f of manifests) {
      const text = (await readText(path.join(root, f))) ?? '';
      if (driver.postgres.test(text)) return { kind: 'postgres', source: `a PostgreSQL driver in ${f}` };
      if (driver.arangodb?.test(text)) arango ??= f;
    }
  }
  return arango ? { kind: 'arangodb', source: `an ArangoDB driver in ${arango}` } : undefined;
}

/** Everything greenlight.yaml can be written from, read from the workspace folder `root` (git: false skips the remote). */
export async function inspectWorkspace(root: string, opts: { git?: boolean } = {}): Promise<WorkspaceFacts> {
  // Test suites, fixtures and examples bring Dockerfiles, compose files and SQL of their own
  // (vaultwarden's playwright/docker-compose.yml, roundcube's tests/src/sql): what the project
  // builds and migrates is read from the rest.
  const files = (await walk(root)).filter((f) => !isTestPath(f));
  // Flyway's Maven/Gradle layout is deeper than the walk goes.
  for (const f of await listDir(path.join(root, FLYWAY_DIR))) files.push(`${FLYWAY_DIR}/${f}`);
  let packageName: string | undefined;
  const pkg = await readText(path.join(root, 'package.json'));
  if (pkg) {
    try {
      const name = (JSON.parse(pkg) as { name?: unknown }).name;
      if (typeof name === 'string' && name) packageName = name;
    } catch {
      throw new InputError(`${path.join(root, 'package.json')}: not valid JSON`);
    }
  }
  const dockerfiles: DockerfileFacts[] = [];
  // Dockerfile, Dockerfile.api, Dockerfile-alpine, api.Dockerfile; not templates a build step renders
  // first (Dockerfile.j2, Dockerfile.tmpl).
  for (const f of files.filter((x) => /(^|\/)(Dockerfile|Containerfile)([.-][^/]+)?$|\.Dockerfile$/.test(x) && !/\.(j2|jinja2?|tmpl|tpl|template|in|erb|mustache|hbs)$/i.test(x))) {
    const facts = dockerfileFacts(f, (await readText(path.join(root, f))) ?? '');
    // A Dockerfile in a subfolder that copies what only the repository root has is built from the root.
    const dir = posixDir(f);
    const has = (p: string): boolean => files.includes(p) || files.some((x) => x.startsWith(`${p}/`));
    const rootContext = dir !== '.' && (facts.copySources ?? []).some((src) => has(src) && !has(path.posix.join(dir, src)));
    dockerfiles.push(rootContext ? { ...facts, rootContext } : facts);
  }
  const composeFile = findComposeFile(files);
  const composed = composeFile ? composeFacts(composeFile, (await readText(path.join(root, composeFile))) ?? '') : { services: [], networks: [] };
  // What each built compose service starts FROM, read from its Dockerfile (a database image with
  // an extension added is the database, not an app).
  const dockerfileAt = new Map(dockerfiles.map((d) => [d.file, d]));
  const compose = {
    ...composed,
    services: composed.services.map((s) => {
      const df = s.dockerfileFile === undefined ? undefined : dockerfileAt.get(s.dockerfileFile);
      return df?.baseImage ? { ...s, builtFrom: df.baseImage } : s;
    }),
  };
  const migrations = await findMigrations(root, files);
  const database = composeDatabase(compose.services) ?? (await databaseFromSettings(root, files, migrations));
  return {
    folderName: path.basename(path.resolve(root)),
    packageName,
    // git reads the workspace's own .git/config, which an untrusted workspace controls.
    gitRemote: opts.git === false ? undefined : await gitRemote(root),
    dockerfiles,
    composeFile,
    composeServices: compose.services,
    composeNetworks: compose.networks,
    database,
    migrations,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing the project file

/** A name greenlight.yaml accepts (lower-case letters, digits, "-", "_", "."), from any text. */
export function projectNameOf(text: string): string {
  const base = text.replace(/^@[^/]+\//, '').replace(/\.git$/, '').split('/').pop() ?? '';
  const n = base.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/-+$/, '');
  return n || 'app';
}

interface PlannedService {
  readonly name: string;
  readonly context: string;
  readonly dockerfile?: string;
  /** compose's build.target: the stage to build. */
  readonly target?: string;
  readonly port?: number;
  readonly portFrom: string;
  readonly healthPath?: string;
  readonly healthFrom?: string;
  /** Other Dockerfiles of the same folder taken as variants of this image (docker/Dockerfile.alpine beside Dockerfile.debian). */
  readonly variants?: readonly string[];
}

/** A compose build context as a workspace path: compose resolves it against the compose file's folder. */
function composeContext(composeFile: string, context: string): string {
  // normalize('docker/../') is './': written as the project file writes paths, '.'.
  return path.posix.normalize(path.posix.join(posixDir(composeFile), context.replace(/^\.\//, '') || '.')).replace(/\/+$/, '') || '.';
}

/** Folders that only hold Dockerfiles, built with the repository root as the context. */
const DOCKERFILE_HOLDER = /^\.?(docker|dockerfiles|containers?)$/i;

/** The holder folder a Dockerfile is in or under (extras/docker for extras/docker/production/Dockerfile). */
function holderOf(file: string): string | undefined {
  const segs = posixDir(file).split('/');
  const i = segs.findIndex((seg) => DOCKERFILE_HOLDER.test(seg));
  return i < 0 ? undefined : segs.slice(0, i + 1).join('/');
}

/** The words a Dockerfile's name and folders are made of (Dockerfile.postgres.dev: postgres, dev). */
function dockerfileWords(file: string): string[] {
  return file
    .replace(/(^|\/)(Dockerfile|Containerfile)(?=[.-]|$)|\.Dockerfile$/g, '$1')
    .split(/[/._-]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** A Dockerfile for development, debugging, CI or end-to-end tests by its name or folder (Dockerfile.dev, dev/app.Dockerfile, Dockerfile.e2e). */
function isDevelopmentDockerfile(file: string): boolean {
  return dockerfileWords(file).some((w) => /^(dev|devel|develop|development|debug|local|devcontainer|ci|e2e|test|testing)$/.test(w));
}

/** A Dockerfile named for the base or platform it builds on (Dockerfile.alpine, Dockerfile-distroless, arm64.Dockerfile). */
function isBaseVariant(file: string): boolean {
  const words = dockerfileWords(path.posix.basename(file));
  return words.length > 0 && words.every((w) => /^(alpine|debian|ubuntu|slim|distroless|scratch|bookworm|bullseye|buster|trixie|jammy|noble|focal|musl|glibc|ubi\d*|centos|fedora|rocky|alma|arm|arm64|armv7|aarch64|amd64|x86_64|minimal)$/.test(w));
}

/**
 * Of several Dockerfiles in one holder, the one a name marks as the release image (production,
 * prod, default, release), else the plain "Dockerfile", else the first by name.
 */
function preferredDockerfile(group: readonly DockerfileFacts[]): DockerfileFacts {
  return (
    group.find((d) => dockerfileWords(d.file.slice((holderOf(d.file) ?? '').length)).some((w) => /^(production|prod|default|release)$/.test(w))) ??
    group.find((d) => /^(Dockerfile|Containerfile)$/.test(path.posix.basename(d.file))) ??
    group[0]!
  );
}

function posixDir(f: string): string {
  const d = path.posix.dirname(f);
  return d === '' ? '.' : d;
}

/** The services to write, and what they were planned from (the comment on `services:` says it). */
interface ServicePlan {
  readonly services: PlannedService[];
  /** compose: its build services; development-compose: the Dockerfiles, the compose file being a development setup; dockerfiles: no compose build. */
  readonly from: 'compose' | 'development-compose' | 'dockerfiles';
}

/** The items of a list that pass, unless none does: then all of them (a rule that would leave nothing is not applied). */
function unlessNoneLeft<T>(items: readonly T[], keep: (item: T) => boolean): readonly T[] {
  const kept = items.filter(keep);
  return kept.length > 0 ? kept : items;
}

function planServices(f: WorkspaceFacts, project: string): ServicePlan {
  const byFile = new Map(f.dockerfiles.map((d) => [d.file, d]));
  // One outside the workspace (an absolute path, or above it) cannot be built from here; one built
  // FROM a database or cache image is infrastructure run beside the app.
  const contextOf = (c: string): string => composeContext(f.composeFile ?? COMPOSE_FILES[0]!, c);
  const built = f.composeServices.filter((s) => s.build && !path.posix.isAbsolute(s.build.context) && !/^\.\.(\/|$)/.test(contextOf(s.build.context)) && !isInfrastructureImage(s.builtFrom));
  // A compose file whose every built service mounts its own source over the image (shiori's
  // `.:/src/shiori`) is a development setup: what ships is built from the Dockerfiles, and the
  // ones that compose file builds are its development images.
  const developmentCompose = built.length > 0 && built.every((s) => s.mountsContext);
  const developmentFiles = new Set(developmentCompose ? built.map((s) => s.dockerfileFile).filter((x): x is string => x !== undefined) : []);
  const isDevelopment = (d: DockerfileFacts): boolean => isDevelopmentDockerfile(d.file) || developmentFiles.has(d.file);
  if (built.length > 0 && !developmentCompose) {
    const services = built.map((s): PlannedService => {
      const context = contextOf(s.build!.context);
      const dockerfile = s.build!.dockerfile === undefined ? undefined : path.posix.normalize(s.build!.dockerfile);
      const df = s.dockerfileFile === undefined ? undefined : byFile.get(s.dockerfileFile);
      const port = s.ports[0] ?? df?.ports[0];
      return {
        name: projectNameOf(s.name),
        context,
        dockerfile: dockerfile && dockerfile !== 'Dockerfile' ? dockerfile : undefined,
        ...(s.build!.target ? { target: s.build!.target } : {}),
        port,
        portFrom: s.ports[0] !== undefined ? `${f.composeFile} (services.${s.name}.ports)` : df?.ports[0] !== undefined ? `EXPOSE in ${df.file}` : '',
        healthPath: s.healthPath ?? df?.healthPath,
        healthFrom: s.healthPath ? `the healthcheck of ${f.composeFile}` : df?.healthPath ? `HEALTHCHECK in ${df.file}` : undefined,
      };
    });
    return { services, from: 'compose' };
  }
  // No compose build (or a development one): one service per Dockerfile (none built FROM a
  // database or cache image, none for development or building OS packages when another remains),
  // the root one named after the project. A folder that only holds Dockerfiles (docker/, .docker/, extras/docker/<variant>/) builds the repository
  // root, as `docker build -f docker/Dockerfile .` does, and its Dockerfiles are variants of one
  // image (alpine, debian, production): one service, the others named in a comment.
  // Beside a Dockerfile at the root (the app's image), a docker/ folder holds auxiliary images
  // (supabase/storage: a database variant and pgbouncer in .docker/), not the app's.
  const rootHasDockerfile = f.dockerfiles.some((d) => posixDir(d.file) === '.' && !isDevelopment(d) && !d.packageBuilder);
  const runnable = unlessNoneLeft(f.dockerfiles, (d) => !d.packageBuilder);
  const candidates = runnable.filter((d) => !isInfrastructureImage(d.baseImage) && !(rootHasDockerfile && holderOf(d.file) !== undefined));
  const apps = unlessNoneLeft(candidates, (d) => !isDevelopment(d));
  const holderVariants = new Map<string, DockerfileFacts[]>();
  for (const d of apps) {
    const holder = holderOf(d.file);
    if (holder !== undefined) holderVariants.set(holder, [...(holderVariants.get(holder) ?? []), d]);
  }
  // Outside a holder, Dockerfile.alpine or Dockerfile-distroless beside a folder's plain Dockerfile
  // is the same image on another base (shiori): a variant of it, not another service.
  const plainOf = new Map<DockerfileFacts, DockerfileFacts>();
  for (const d of apps) {
    if (holderOf(d.file) !== undefined || !isBaseVariant(d.file)) continue;
    const plain = apps.find((o) => o !== d && posixDir(o.file) === posixDir(d.file) && /^(Dockerfile|Containerfile)$/.test(path.posix.basename(o.file)));
    if (plain) plainOf.set(d, plain);
  }
  const planned = apps.filter((d) => {
    const group = holderVariants.get(holderOf(d.file) ?? '');
    return (!group || d === preferredDockerfile(group)) && !plainOf.has(d);
  });
  const taken = new Set<string>();
  const services = planned.map((d): PlannedService => {
    const folder = posixDir(d.file);
    const holder = holderOf(d.file);
    const group = holder === undefined ? undefined : holderVariants.get(holder);
    const base = path.posix.basename(d.file);
    const variant = base.replace(/^(Dockerfile|Containerfile)[.-]?|\.Dockerfile$/g, '');
    const sharesFolder = planned.filter((o) => posixDir(o.file) === folder).length > 1;
    // The only service is "web"; others are named after their file's suffix (at the root), their
    // holder folder's parent, or their folder, and their suffix where a folder holds several.
    const wanted =
      planned.length === 1
        ? 'web'
        : folder === '.'
          ? projectNameOf(variant || project)
          : group
            ? projectNameOf(path.posix.basename(posixDir(holder!)) === '.' ? project : path.posix.basename(posixDir(holder!)))
            : projectNameOf(sharesFolder && variant ? `${path.posix.basename(folder)}-${variant}` : folder);
    let name = wanted;
    for (let n = 2; taken.has(name); n++) name = `${wanted}-${n}`;
    taken.add(name);
    const fromRoot = group !== undefined || d.rootContext === true;
    const variants = group ? group.filter((o) => o !== d) : apps.filter((o) => plainOf.get(o) === d);
    return {
      name,
      context: fromRoot ? '.' : folder,
      dockerfile: fromRoot ? d.file : base === 'Dockerfile' ? undefined : base,
      port: d.ports[0],
      portFrom: d.ports[0] !== undefined ? `EXPOSE in ${d.file}` : '',
      healthPath: d.healthPath,
      healthFrom: d.healthPath ? `HEALTHCHECK in ${d.file}` : undefined,
      ...(variants.length > 0 ? { variants: variants.map((o) => o.file) } : {}),
    };
  });
  return { services, from: developmentCompose ? 'development-compose' : 'dockerfiles' };
}

interface MigrationPlan {
  readonly migrateCommand?: readonly string[];
  readonly note: string;
  readonly serviceEnv?: Readonly<Record<string, string>>;
  readonly databaseUrlEnv?: string;
}

/** How each tool's migrations are applied: Greenlight's own runner, or the tool in the image. */
function migrationPlan(m: MigrationFacts): MigrationPlan {
  switch (m.tool) {
    case 'plain-sql':
      return { note: `${m.count} plain SQL migration(s) in ${m.dir}; Greenlight applies them in file-name order and records each in its ledger.` };
    case 'arangodb':
      return { note: `${m.count} ArangoDB migration(s) (.aql / JSON operations) in ${m.dir}; Greenlight applies them in file-name order.` };
    case 'flyway':
      return {
        note:
          `${m.count} Flyway migration(s) in ${m.dir}: plain SQL, which Greenlight's runner applies in file-name order.` +
          (m.unpaddedVersions ? '\nWARNING: their versions are not zero-padded (V10__ sorts before V2__); pad them, or run flyway in the image through migrateCommand.' : ''),
      };
    case 'goose':
      return {
        note: `goose migrations in ${m.dir} (-- +goose Up/Down in one file): goose applies them in a one-off container of the image,\nreading the driver from GOOSE_DRIVER and the connection string from GOOSE_DBSTRING.`,
        migrateCommand: ['goose', '-dir', m.dir, 'up'],
        serviceEnv: { GOOSE_DRIVER: 'postgres' },
        databaseUrlEnv: 'GOOSE_DBSTRING',
      };
    case 'dbmate':
      return { note: `dbmate migrations in ${m.dir}: dbmate applies them in a one-off container of the image (it reads DATABASE_URL).`, migrateCommand: ['dbmate', '--migrations-dir', m.dir, '--no-dump-schema', 'up'] };
    case 'golang-migrate':
      // The CLI takes the URL only as an argument; the shell text is a constant and the folder
      // is passed as $0, so nothing from the workspace is ever parsed by the shell.
      return {
        note: `golang-migrate migrations in ${m.dir} (.up.sql/.down.sql): the migrate CLI applies them in a one-off container of the image.`,
        migrateCommand: ['sh', '-c', 'exec migrate -path "$0" -database "$DATABASE_URL" up', m.dir],
      };
    case 'sqitch':
      return { note: `sqitch project (plan order, deploy/revert/verify): sqitch deploys in a one-off container of the image;\nit reads the target from SQITCH_TARGET (a db:pg: URI).`, migrateCommand: ['sqitch', 'deploy'], databaseUrlEnv: 'SQITCH_TARGET' };
    case 'diesel':
      return {
        note:
          `${m.count} diesel migration(s) in ${m.dir} (<version>/up.sql): the diesel CLI applies them in a one-off container of the image (it reads DATABASE_URL).` +
          (m.more.length ? `\nMore diesel folders: ${m.more.join(', ')} (one per backend?); the one listed is applied.` : '') +
          `\nAn app that embeds its migrations (diesel_migrations) and runs them at start-up needs no migrateCommand: remove it.`,
        migrateCommand: ['diesel', 'migration', 'run', '--migration-dir', m.dir],
      };
    case 'prisma':
      return { note: `${m.count} Prisma migration(s) in ${m.dir}: prisma migrate deploy applies them in a one-off container of the image.`, migrateCommand: ['npx', 'prisma', 'migrate', 'deploy'] };
    case 'rails':
      return { note: `${m.count} Rails migration(s) in ${m.dir}: rails db:migrate applies them in a one-off container of the image.\nSeeds are linted for idempotency (Rails: db/seeds.rb, db/seeds/).`, migrateCommand: ['bin/rails', 'db:migrate'] };
    case 'django':
      return {
        note: `Django migrations in ${[m.dir, ...m.more].join(', ')}: manage.py migrate applies them in a one-off container of the image.` + (m.more.length ? `\nThe other apps' migration folders are linted through lint.paths below.` : ''),
        migrateCommand: ['python', 'manage.py', 'migrate', '--noinput'],
      };
  }
}

function findPair(node: unknown, key: string): Pair | undefined {
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key) as Pair | undefined;
}

/** Puts `comment` above the key at `keyPath` (each line becomes "# line"). */
function commentKey(doc: Document, keyPath: readonly (string | number)[], comment: string): void {
  const parent = keyPath.length === 1 ? doc.contents : doc.getIn(keyPath.slice(0, -1), true);
  const last = keyPath[keyPath.length - 1]!;
  if (typeof last === 'number') {
    const item = doc.getIn(keyPath, true) as Node | undefined;
    if (item) item.commentBefore = prefix(comment);
    return;
  }
  const pair = findPair(parent, last);
  if (pair && isScalar(pair.key)) pair.key.commentBefore = prefix(comment);
}

function prefix(comment: string): string {
  return comment
    .split('\n')
    .map((l) => (l ? ` ${l}` : ''))
    .join('\n');
}

function flow(doc: Document, keyPath: readonly (string | number)[]): void {
  const n = doc.getIn(keyPath, true) as { flow?: boolean } | undefined;
  if (n && typeof n === 'object') n.flow = true;
}

/** The commented greenlight.yaml text for these facts and answers; it always validates. */
export function renderProjectFile(f: WorkspaceFacts, answers: InitAnswers = {}): string {
  const projectFrom = f.packageName ? `the name in package.json ("${f.packageName}")` : f.gitRemote ? 'the git remote' : 'the folder name';
  const project = projectNameOf(f.packageName ?? f.gitRemote ?? f.folderName);
  const { services, from: plannedFrom } = planServices(f, project);
  const m = f.migrations;
  const mp = m ? migrationPlan(m) : undefined;
  const db = f.database;
  const dbName = (db?.name ?? project).replace(/[^A-Za-z0-9_]/g, '_');

  const data: Record<string, unknown> = {
    project,
    services: services.map((s, i) => ({
      name: s.name,
      context: s.context,
      ...(s.dockerfile ? { dockerfile: s.dockerfile } : {}),
      ...(s.target ? { target: s.target } : {}),
      port: s.port ?? 8080,
      health: { path: s.healthPath ?? '/health' },
      ...(i === 0 && mp?.serviceEnv ? { env: { ...mp.serviceEnv } } : {}),
      ...(i === 0 && mp?.databaseUrlEnv ? { databaseUrlEnv: mp.databaseUrlEnv } : {}),
    })),
  };
  if (db || m) {
    data.database = {
      kind: db?.kind ?? 'postgres',
      name: dbName,
      migrations: m?.dir ?? 'migrations',
      ...(m && m.seeds.length > 0 ? { seeds: [...m.seeds] } : {}),
      ...(mp?.migrateCommand ? { migrateCommand: [...mp.migrateCommand] } : {}),
    };
  }
  // Django keeps one migrations folder per app; database.migrations names one, lint.paths the rest.
  if (m?.tool === 'django' && m.more.length > 0) data.lint = { paths: [...m.more] };
  const envName = answers.envName ?? 'production';
  if (answers.ssh) {
    const env: Record<string, unknown> = { ssh: { host: answers.ssh.host, ...(answers.ssh.port && answers.ssh.port !== 22 ? { port: answers.ssh.port } : {}), user: answers.ssh.user } };
    if (db) {
      env.database = {
        host: '127.0.0.1',
        ...(db.port && db.port !== 5432 ? { port: db.port } : {}),
        name: dbName,
        user: db.user ?? (db.kind === 'arangodb' ? 'root' : project.replace(/[^A-Za-z0-9_]/g, '_')),
        passwordEnv: `${project.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_DB_PASSWORD`,
      };
    }
    data.environments = { [envName]: env };
  } else {
    data.environments = {};
  }

  const doc = new Document(data);
  const header = [
    'Greenlight project file, written by `greenlight init` from what this workspace already says.',
    'Check the lines marked "guessed"; everything else was read from the files named beside it.',
    'Reference: the README, "Configuration"; editors validate it against the JSON Schema.',
    ...(f.gitRemote ? [`Source: ${f.gitRemote}`] : []),
  ];
  doc.commentBefore = prefix(header.join('\n'));
  commentKey(doc, ['project'], `Project name, from ${projectFrom}; it prefixes container names on the host.`);
  if (services.length === 0) {
    commentKey(doc, ['services'], 'No Dockerfile found: add one service per image to build, e.g.\n  - name: web\n    context: .\n    port: 3000\n    health: { path: /health }');
  } else {
    const from = {
      compose: ` (the services of ${f.composeFile} that have a build:)`,
      'development-compose': ` (from the Dockerfiles: ${f.composeFile} mounts the source over what it builds, a development setup)`,
      dockerfiles: '',
    }[plannedFrom];
    commentKey(doc, ['services'], `The images Greenlight builds, tests and deploys${from}.`);
    services.forEach((s, i) => {
      if (s.variants) {
        const file = s.dockerfile ?? path.posix.join(s.context, 'Dockerfile');
        const dir = holderOf(file) ?? posixDir(file);
        const rel = (v: string): string => (dir === '.' ? v : v.slice(dir.length + 1));
        commentKey(doc, ['services', i, s.dockerfile ? 'dockerfile' : 'context'], `Also in ${dir === '.' ? 'the repository root' : dir}: ${s.variants.map(rel).join(', ')} — taken as variants of this image; pick the one to deploy, or add a service per image.`);
      }
      commentKey(doc, ['services', i, 'port'], s.port !== undefined ? `From ${s.portFrom}.` : 'Guessed: no EXPOSE or published port found; the port the service listens on.');
      commentKey(doc, ['services', i, 'health'], s.healthPath ? `From ${s.healthFrom}.` : 'Guessed: a path that answers 200 once the service is up.');
      flow(doc, ['services', i, 'health']);
      if (i === 0 && mp?.serviceEnv) flow(doc, ['services', i, 'env']);
    });
  }
  const imageServices = f.composeServices.filter((s) => !s.build || isInfrastructureImage(s.builtFrom));
  if (data.database) {
    const lines = [db ? `Database: ${db.kind}, from ${db.source}.` : 'Database: guessed PostgreSQL (migrations found, no database service seen).'];
    if (mp) lines.push(mp.note);
    commentKey(doc, ['database'], lines.join('\n'));
    if (!m) commentKey(doc, ['database', 'migrations'], 'Guessed: no migrations folder found (an app that installs its own schema needs none); the folder Greenlight\'s runner reads.');
    if (mp?.migrateCommand) flow(doc, ['database', 'migrateCommand']);
    if (m && m.seeds.length > 0) flow(doc, ['database', 'seeds']);
  }
  if (data.lint) {
    commentKey(doc, ['lint'], 'Lint settings shared by `greenlight lint` and the editor: the other Django apps\' migrations.');
    flow(doc, ['lint', 'paths']);
  }
  const envLines: string[] = [];
  if (f.composeFile) {
    envLines.push(
      `${f.composeFile} also runs ${imageServices.length ? imageServices.map((s) => `${s.name} (${s.image ?? (s.builtFrom ? `built FROM ${s.builtFrom}` : 'no image')})`).join(', ') : 'no other services'}` +
        (f.composeNetworks.length ? ` on the networks ${f.composeNetworks.join(', ')}` : '') +
        '.',
      'On the host Greenlight runs each service with host networking, so it reaches the database at its host address.',
    );
  }
  if (answers.ssh) {
    envLines.push(
      `Where "${envName}" runs. The host key is not pinned yet: the first connection shows its fingerprint and`,
      '"Trust Host Key…" (editor) pins it under ssh.hostKey. Without identityFile the SSH agent is used.',
    );
    if (db) envLines.push(`The database password comes from $${(data.environments as Record<string, { database: { passwordEnv: string } }>)[envName]!.database.passwordEnv} (CLI) or the editor's secret storage.`);
  } else {
    envLines.push(
      'No environment yet: `greenlight init --ssh user@host` (or the editor command) adds one, e.g.',
      `  ${envName}:`,
      '    ssh: { host: app.example.com, user: deploy }',
    );
  }
  commentKey(doc, ['environments'], envLines.join('\n'));
  if (answers.ssh) flow(doc, ['environments', envName, 'ssh']);

  const text = doc.toString({ lineWidth: 0 });
  // The file is only useful if it loads; a failure here is a bug in this writer, said as such.
  const check = parseConfig(text, CONFIG_FILE_NAME);
  if (!check.ok) throw new Error(`greenlight init produced an invalid ${CONFIG_FILE_NAME}:\n${check.problems.map(formatProblem).join('\n')}\n${text}`);
  return text;
}
