// The migration panel's jobs: status of every migration on the local database and on each
// environment's database, verify (the whole chain, or the chain through one file), and dry run on
// one target. The engine (src/core/migrate) does the work; this file only picks targets, bounds
// how long an unreachable database may take, and turns the engine's reports into protocol DTOs.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { errorMessage, InputError, OperationError } from '../../core/common/errors';
import type { JobContext } from '../../core/common/job';
import { Secret } from '../../core/common/secret';
import { CONFIG_FILE_NAME, formatProblem, loadConfig } from '../../core/config/load';
import type { EnvironmentConfig, GreenlightConfig } from '../../core/config/schema';
import { openEnvironment, secretsFrom } from '../../core/deploy/session';
import { ensureStateDir, writeFileAtomic } from '../../core/images/stateDir';
import { ARANGO_DEFAULT_PORT } from '../../core/backup/arangoRemote';
import { databaseAddress, openDbTunnel } from '../../core/ship/dbTunnel';
import { connectArango } from '../../core/migrate/adapters/arangoAdapter';
import { connectPg } from '../../core/migrate/adapters/pgAdapter';
import { ArangoBackend } from '../../core/migrate/arango/arangoBackend';
import type { MigrationFailure } from '../../core/migrate/backend';
import { schemaDrift, type DriftReport } from '../../core/migrate/drift';
import { dryRun } from '../../core/migrate/dryRun';
import { loadMigrations, type MigrationFile } from '../../core/migrate/files';
import { PgBackend } from '../../core/migrate/pgBackend';
import { formatDrift, formatDryRun, formatVerifyReport } from '../../core/migrate/report';
import { migrationStatus } from '../../core/migrate/runner';
import { pgliteScratchProvider } from '../../core/migrate/adapters/pgliteAdapter';
import type { ScratchProvider } from '../../core/migrate/session';
import { openBackend, openTargetSession, resolveTarget, scratchProviderFor, targetMigrations, type MigrateTarget } from '../../core/migrate/target';
import { verifyMigrations, type RerunVerdict } from '../../core/migrate/verify';
import { VERIFY_REPORT_FILE, type JobParams, type JobResult, type MigrationDriftDto, type MigrationDryRunDto, type MigrationProblemDto, type MigrationTargetDto } from '../protocol';
import { problemKindOf } from './deploySession';

/** How long an environment's database may take to answer a status request before it is shown as unreachable. */
export const ENVIRONMENT_STATUS_TIMEOUT_MS = 8_000;
/** The local database gets longer: an embedded PGlite needs a few seconds to start on a busy machine. */
const LOCAL_STATUS_TIMEOUT_MS = 45_000;


// The local PGlite database lives inside this process; two jobs must never open it at once.
let localQueue: Promise<unknown> = Promise.resolve();
function serializeLocal<T>(fn: () => Promise<T>): Promise<T> {
  const run = localQueue.then(fn, fn);
  localQueue = run.catch(() => undefined);
  return run;
}

/**
 * Runs fn with a deadline: past it the caller gets an error naming what did not answer, and fn's
 * signal is aborted so it closes what it opened. The panel must never wait on a dead server.
 */
async function withDeadline<T>(ms: number, what: string, outer: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onOuter = (): void => ac.abort();
  outer.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(ac.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new OperationError(`${what} did not answer within ${Math.round(ms / 1000)} s`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    outer.removeEventListener('abort', onOuter);
  }
}

interface Project {
  readonly target?: MigrateTarget;
  /** Why the local database cannot be opened (e.g. its password variable is not set). */
  readonly targetProblem?: string;
  readonly dir: string;
  readonly kind: 'postgres' | 'arangodb';
  readonly config?: GreenlightConfig;
  readonly root: string;
}

async function openProject(workspaceRoot: string): Promise<Project> {
  const file = path.join(workspaceRoot, CONFIG_FILE_NAME);
  let config: GreenlightConfig | undefined;
  let root = workspaceRoot;
  if (existsSync(file)) {
    const loaded = await loadConfig(file);
    if (!loaded.ok) throw new InputError(loaded.problems.map(formatProblem).join('\n'));
    config = loaded.config;
    root = loaded.root;
  }
  try {
    const target = await resolveTarget({ root: workspaceRoot, env: process.env });
    return { target, dir: target.dir, kind: target.kind, config, root: target.root };
  } catch (e) {
    // The files can still be listed when only the local database is unusable.
    const dir = path.resolve(root, config?.database?.migrations ?? 'migrations');
    if (!existsSync(dir)) throw e;
    return { targetProblem: errorMessage(e), dir, kind: config?.database?.kind ?? 'postgres', config, root };
  }
}

function projectFiles(p: Project): Promise<MigrationFile[]> {
  return p.target ? targetMigrations(p.target) : loadMigrations(p.dir, { kinds: p.kind === 'postgres' ? ['sql'] : ['aql', 'arango-json'] });
}

function localLabel(p: Project): string {
  if (p.target?.url) return p.target.url;
  if (p.kind === 'arangodb') return 'ArangoDB (database.local.url)';
  return `PGlite ${path.join(p.root, '.greenlight', 'pglite')}`;
}

function unreachable(base: Pick<MigrationTargetDto, 'id' | 'label' | 'kind' | 'database'>, problem: string, started: number): MigrationTargetDto {
  return { ...base, reachable: false, problem, ledgerExists: false, entries: [], durationMs: Date.now() - started };
}

async function localStatus(p: Project, files: readonly MigrationFile[], ctx: JobContext): Promise<MigrationTargetDto> {
  const base = { id: 'local', label: 'Local database', kind: 'local' as const, database: localLabel(p) };
  const started = Date.now();
  if (!p.target) return unreachable(base, p.targetProblem ?? 'no local database', started);
  const t = p.target;
  try {
    const report = await withDeadline(LOCAL_STATUS_TIMEOUT_MS, base.database, ctx.signal, () =>
      serializeLocal(async () => {
        const { backend, close } = await openBackend(t, 'status');
        try {
          return await migrationStatus(backend, files);
        } finally {
          await close();
        }
      }),
    );
    return { ...base, database: report.database, reachable: true, ledgerExists: report.ledgerExists, entries: report.entries, durationMs: Date.now() - started };
  } catch (e) {
    return unreachable(base, errorMessage(e), started);
  }
}

/** Everything needed to reach one environment's database, and how long it may take. */
interface EnvironmentAccess {
  readonly config: GreenlightConfig;
  readonly root: string;
  readonly name: string;
  readonly env: EnvironmentConfig;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** The password the editor keeps for it, if any ('' means none). */
  readonly storedPassword: string | undefined;
}

/**
 * An environment's database, reached the way deploys reach the host: SSH (pinned host key) and a
 * loopback port forwarded over it to the database address as the host sees it (ship/dbTunnel.ts).
 * PostgreSQL gets a `pg` session, ArangoDB an arangojs driver; nothing is written by either here.
 */
async function openEnvironmentTunnel(a: EnvironmentAccess, dbPort: number): Promise<{ port: number; forwardError(): string | undefined; close(): Promise<void> }> {
  const { config, root, name, env, signal, timeoutMs } = a;
  const db = env.database;
  if (!db) throw new InputError(`environment "${name}" declares no database (environments.${name}.database in ${CONFIG_FILE_NAME})`);
  // The same door as deploys, with the panel's options: no secrets needed for the connection (the
  // database password is read when the database is), no retry, and a host that accepts the
  // connection but never says its SSH banner fails within the panel's deadline. Nothing is logged
  // while connecting without retries, so the log goes nowhere.
  const session = await openEnvironment(
    { signal, log: () => undefined },
    { project: { config, root }, envName: name, needsSecrets: false, retryForMs: 0, bannerTimeoutMs: timeoutMs, readyTimeoutMs: timeoutMs + 30_000 },
  );
  try {
    // A database in a container on the services' network is reached at the container's address,
    // as the deploy reaches it (db.host is then a name only the services resolve).
    const at = await databaseAddress(session.host.docker, { host: db.host, port: dbPort, container: config.database?.kind === 'arangodb' ? undefined : db.container });
    const tunnel = await openDbTunnel(session.host, at.host, at.port);
    return {
      port: tunnel.port,
      forwardError: tunnel.forwardError,
      close: async () => {
        await tunnel.close();
        session.close();
      },
    };
  } catch (e) {
    session.close();
    throw e;
  }
}

/** What the host said when it could not open the forward to the database, as the reason to show. */
function tunnelProblem(tunnel: { forwardError(): string | undefined }, host: string, port: number): string | undefined {
  const e = tunnel.forwardError();
  return e ? `the host could not connect to the database at ${host}:${port} (${e})` : undefined;
}

/** The password of an environment's database: the editor's SecretStorage first, then passwordEnv; '' means none. */
function environmentPassword(config: GreenlightConfig, name: string, storedPassword: string | undefined): Secret | undefined {
  return storedPassword !== undefined ? (storedPassword === '' ? undefined : new Secret(storedPassword)) : secretsFrom(config, name, process.env).dbPassword;
}

/** The description the panel shows for an environment's database (no password). */
function environmentDatabaseLabel(kind: 'postgres' | 'arangodb', env: EnvironmentConfig): string {
  const via = `via ssh ${env.ssh.user}@${env.ssh.host}:${env.ssh.port}`;
  const db = env.database;
  if (!db) return `ssh ${env.ssh.user}@${env.ssh.host}:${env.ssh.port}`;
  return kind === 'arangodb'
    ? `ArangoDB ${db.user}@${db.host}:${db.port ?? ARANGO_DEFAULT_PORT}/${db.name} ${via}`
    : `PostgreSQL ${db.user}@${db.host}:${db.port ?? 5432}/${db.name} ${via}`;
}

/** A PostgreSQL session on an environment's database (status, dry run, drift). */
async function openEnvironmentDatabase(a: EnvironmentAccess): Promise<{ session: Awaited<ReturnType<typeof connectPg>>; description: string; close(): Promise<void> }> {
  const { config, name, env } = a;
  const db = env.database;
  if (!db) throw new InputError(`environment "${name}" declares no database (environments.${name}.database in ${CONFIG_FILE_NAME})`);
  if (config.database?.kind === 'arangodb') throw new InputError(`environment "${name}": dry runs and drift compare PostgreSQL databases; this project's database is ArangoDB`);
  const description = `${name}: ${environmentDatabaseLabel('postgres', env)}`;
  const tunnel = await openEnvironmentTunnel(a, db.port ?? 5432);
  try {
    const url = `postgres://${encodeURIComponent(db.user)}@127.0.0.1:${tunnel.port}/${encodeURIComponent(db.name)}`;
    const session = await connectPg(url, { password: environmentPassword(config, name, a.storedPassword), applicationName: 'greenlight migration panel' });
    return {
      session,
      description,
      close: async () => {
        await session.close().catch(() => undefined);
        await tunnel.close();
      },
    };
  } catch (e) {
    await tunnel.close();
    // The loopback URL means nothing to the user; name the environment's database instead.
    throw new OperationError(`${description}: ${tunnelProblem(tunnel, db.host, db.port ?? 5432) ?? errorMessage(e).replace(/postgres:\/\/\S+/g, 'the database')}`);
  }
}

/**
 * The migration backend of an ArangoDB environment (arangojs through the same tunnel). The
 * status read asks the ledger collection only; no migration runs here.
 */
async function openEnvironmentArango(a: EnvironmentAccess): Promise<{ backend: ArangoBackend; problem(): string | undefined; close(): Promise<void> }> {
  const { config, name, env } = a;
  const db = env.database;
  if (!db) throw new InputError(`environment "${name}" declares no database (environments.${name}.database in ${CONFIG_FILE_NAME})`);
  const port = db.port ?? ARANGO_DEFAULT_PORT;
  const tunnel = await openEnvironmentTunnel(a, port);
  const driver = connectArango({ url: `http://127.0.0.1:${tunnel.port}`, database: db.name, username: db.user, password: environmentPassword(config, name, a.storedPassword) });
  return {
    backend: new ArangoBackend(driver),
    // arangojs sees only a closed connection when the host cannot reach the database.
    problem: () => tunnelProblem(tunnel, db.host, port),
    close: async () => {
      await driver.close().catch(() => undefined);
      await tunnel.close();
    },
  };
}

async function environmentStatus(
  p: Project,
  name: string,
  env: EnvironmentConfig,
  files: readonly MigrationFile[],
  ctx: JobContext,
  timeoutMs: number,
  storedPassword: string | undefined,
): Promise<MigrationTargetDto> {
  const base = { id: `env:${name}`, label: name, kind: 'environment' as const, database: environmentDatabaseLabel(p.kind, env) };
  const started = Date.now();
  try {
    const report = await withDeadline(timeoutMs, `environment "${name}" (${base.database})`, ctx.signal, async (signal) => {
      const opened =
        p.kind === 'arangodb'
          ? await openEnvironmentArango({ config: p.config!, root: p.root, name, env, signal, timeoutMs, storedPassword })
          : await (async () => {
              const o = await openEnvironmentDatabase({ config: p.config!, root: p.root, name, env, signal, timeoutMs, storedPassword });
              return { backend: new PgBackend(o.session), problem: (): string | undefined => undefined, close: o.close };
            })();
      try {
        if (signal.aborted) throw new OperationError('timed out');
        return await migrationStatus(opened.backend, files);
      } catch (e) {
        const why = opened.problem();
        throw why ? new OperationError(why) : e;
      } finally {
        await opened.close();
      }
    });
    return { ...base, reachable: true, ledgerExists: report.ledgerExists, entries: report.entries, durationMs: Date.now() - started };
  } catch (e) {
    return { ...unreachable(base, errorMessage(e), started), problemKind: problemKindOf(e) };
  }
}

export async function migrateStatusJob(params: JobParams<'migrate.status'>, ctx: JobContext): Promise<JobResult<'migrate.status'>> {
  const checkedAt = new Date().toISOString();
  let p: Project;
  try {
    p = await openProject(params.workspaceRoot);
  } catch (e) {
    return { problem: errorMessage(e), files: [], targets: [], checkedAt };
  }
  let files: MigrationFile[];
  try {
    files = await projectFiles(p);
  } catch (e) {
    return { dir: p.dir, kind: p.kind, problem: errorMessage(e), files: [], targets: [], checkedAt };
  }
  ctx.progress({ step: 'status', message: `${files.length} migrations` });
  const envs = params.environments === false ? [] : Object.entries(p.config?.environments ?? {});
  const timeoutMs = params.timeoutMs ?? ENVIRONMENT_STATUS_TIMEOUT_MS;
  const targets = await Promise.all([localStatus(p, files, ctx), ...envs.map(([name, env]) => environmentStatus(p, name, env, files, ctx, timeoutMs, params.dbPasswords?.[name]))]);
  return {
    dir: p.dir,
    kind: p.kind,
    files: files.map((f) => ({ fileName: f.name, path: f.path, noTransaction: f.noTransaction })),
    targets,
    checkedAt,
  };
}

function failureProblem(f: MigrationFailure): MigrationProblemDto {
  return { message: f.statementIndex !== undefined ? `statement ${f.statementIndex + 1}: ${f.message}` : f.message, location: f.location, hint: f.hint };
}

function rerunProblem(r: RerunVerdict): MigrationProblemDto {
  const diffs = (r.differences ?? []).slice(0, 5);
  return { message: `not idempotent: ${r.reason ?? 'the second run changed the database'}${diffs.length ? `\n${diffs.join('\n')}` : ''}`, location: r.location };
}

export async function migrateVerifyJob(params: JobParams<'migrate.verify'>, ctx: JobContext): Promise<JobResult<'migrate.verify'>> {
  const t = await resolveTarget({ root: params.workspaceRoot, env: process.env });
  let files = await targetMigrations(t);
  if (params.through !== undefined) {
    const name = path.basename(params.through);
    if (!files.some((f) => f.name === name)) throw new InputError(`${params.through}: not a migration in ${t.dir}`);
    files = files.filter((f) => f.name <= name);
  }
  const provider = await scratchProviderFor(t);
  let report;
  try {
    report = await verifyMigrations(files, provider, ctx, { rerun: params.rerun ?? true, source: path.relative(params.workspaceRoot, t.dir) || t.dir });
  } finally {
    await provider.close();
  }
  const text = formatVerifyReport(report);
  const reportFile = path.join(params.workspaceRoot, VERIFY_REPORT_FILE);
  await ensureStateDir(params.workspaceRoot);
  await writeFileAtomic(reportFile, `${text}\n`);
  await writeFileAtomic(reportFile.replace(/\.txt$/, '.json'), `${JSON.stringify(report, null, 2)}\n`);
  const run = report.runs[0];
  return {
    ok: report.ok,
    database: report.database,
    serverVersion: report.serverVersion,
    through: params.through !== undefined ? path.basename(params.through) : undefined,
    migrations: (run?.migrations ?? []).map((m) => ({
      fileName: m.fileName,
      path: m.path,
      status: m.status,
      durationMs: m.durationMs,
      problem: m.failure ? failureProblem(m.failure) : m.rerun && !m.rerun.idempotent ? rerunProblem(m.rerun) : undefined,
    })),
    checks: report.runs.flatMap((r) => r.checks.map((c) => ({ name: c.name, ok: c.ok, message: c.message }))),
    durationMs: report.durationMs,
    text,
    reportFile,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * Opens the database of a target named "env:<environment>" (dry run and drift), over SSH like a
 * deploy, within twice the status timeout: these jobs were asked for, so they may wait longer.
 */
async function openEnvironmentTarget(p: Project, target: string, ctx: JobContext, dbPassword: string | undefined): ReturnType<typeof openEnvironmentDatabase> {
  const name = target.replace(/^env:/, '');
  const env = p.config?.environments[name];
  if (!env || !target.startsWith('env:')) throw new InputError(`no migration target "${target}" (expected "local" or "env:<environment>")`);
  ctx.progress({ step: 'connect', message: name });
  const timeoutMs = ENVIRONMENT_STATUS_TIMEOUT_MS * 2;
  return withDeadline(timeoutMs, `environment "${name}"`, ctx.signal, (signal) => openEnvironmentDatabase({ config: p.config!, root: p.root, name, env, signal, timeoutMs, storedPassword: dbPassword }));
}

export async function migrateDryRunJob(params: JobParams<'migrate.dryRun'>, ctx: JobContext): Promise<JobResult<'migrate.dryRun'>> {
  const p = await openProject(params.workspaceRoot);
  const files = await projectFiles(p);
  if (p.kind !== 'postgres') throw new InputError('dry runs work on PostgreSQL migrations');
  const execute = params.execute ?? true;
  const toDto = (r: Awaited<ReturnType<typeof dryRun>>): MigrationDryRunDto => ({
    target: params.target,
    database: r.database,
    executed: r.executed,
    ok: r.ok,
    pending: r.pending.map((i) => ({ fileName: i.fileName, outcome: i.outcome, note: i.note, problem: i.failure ? failureProblem(i.failure) : undefined })),
    checksumChanged: r.checksumChanged,
    text: formatDryRun(r),
  });
  if (params.target === 'local') {
    const t = p.target;
    if (!t) throw new InputError(p.targetProblem ?? 'no local database');
    return serializeLocal(async () => {
      const { pg, close } = await openBackend(t, 'dry-run');
      try {
        return toDto(await dryRun(pg!, files, ctx, { execute }));
      } finally {
        await close();
      }
    });
  }
  const opened = await openEnvironmentTarget(p, params.target, ctx, params.dbPassword);
  try {
    return toDto(await dryRun(new PgBackend(opened.session), files, ctx, { execute }));
  } finally {
    await opened.close();
  }
}

/**
 * Schema drift of one target: its schema against a fresh migrate of the files its ledger lists,
 * run on a scratch database (the local server when database.local.url names one, else PGlite).
 * Read-only on the target: it reads the ledger and the catalog, nothing else.
 */
export async function migrateDriftJob(params: JobParams<'migrate.drift'>, ctx: JobContext): Promise<JobResult<'migrate.drift'>> {
  const p = await openProject(params.workspaceRoot);
  const files = await projectFiles(p);
  if (p.kind !== 'postgres') throw new InputError('drift works on PostgreSQL migrations');
  const toDto = (r: DriftReport): MigrationDriftDto => ({
    target: params.target,
    database: r.target,
    reference: r.reference,
    comparedFiles: r.comparedFiles,
    note: r.note,
    differences: r.differences.map((d) => ({ object: d.object, kind: d.kind, detail: d.detail })),
    text: formatDrift(r),
    finishedAt: new Date().toISOString(),
  });
  const compare = async (session: Awaited<ReturnType<typeof openTargetSession>>, description?: string): Promise<MigrationDriftDto> => {
    // Without a usable local database (its password is not set) the fresh migrate still has PGlite.
    const provider: ScratchProvider = p.target ? await scratchProviderFor(p.target) : pgliteScratchProvider();
    try {
      return toDto(await schemaDrift(session, files, provider, ctx, { targetDescription: description }));
    } finally {
      await provider.close();
    }
  };
  if (params.target === 'local') {
    const t = p.target;
    if (!t) throw new InputError(p.targetProblem ?? 'no local database');
    return serializeLocal(async () => {
      const session = await openTargetSession(t, 'drift');
      try {
        return await compare(session);
      } finally {
        await session.close();
      }
    });
  }
  const opened = await openEnvironmentTarget(p, params.target, ctx, params.dbPassword);
  try {
    return await compare(opened.session, opened.description);
  } finally {
    await opened.close();
  }
}
