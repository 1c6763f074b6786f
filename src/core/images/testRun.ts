// Tests the images a build produced, exactly those bytes: each service's image is started
// locally on its test port (--network host, the app binds 127.0.0.1), against an isolated test
// database, after the migrations ran; then Greenlight waits for health and runs the configured
// test command. Test containers are always stopped and removed, whatever happened, and the result
// is recorded in the tested-image ledger by image ID.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import * as path from 'node:path';
import { InputError, errorMessage } from '../common/errors';
import { describeProbe, httpProbe, isHealthyStatus } from '../common/httpProbe';
import { CancelledError, sleep, throwIfCancelled, type JobContext } from '../common/job';
import { redact, type Secret } from '../common/secret';
import type { GreenlightConfig, ServiceConfig } from '../config/schema';
import { readBuildOf, readLastBuild } from './build';
import type { ContainerState, DockerEngine } from './docker';
import { openLedger } from './ledger';
import { runCommand } from './process';
import { loadProject, testPortOf } from './project';
import { ensureStateDir, writeFileAtomic } from './stateDir';
import { dropLeftoverTestDatabases, prepareTestDatabase, type TestDatabase, type TestMode } from './testDatabase';
import { LABEL } from './version';

/**
 * What every test container shares: no secrets of their own (the test database URL is plain env),
 * no restart (a crash is a test failure), no mounts, and the image's own PID 1, as `docker run` would.
 */
const TEST_CONTAINER = { secretEnv: {}, restart: 'no', volumes: [], init: false } as const;

export interface TestedImage {
  readonly service: string;
  readonly tag: string;
  readonly imageId: string;
}

export interface TestFailure {
  /** The step that failed: "database", "migrate", "start web", "health web", "test command". */
  readonly step: string;
  readonly message: string;
}

export interface TestResult {
  readonly passed: boolean;
  readonly version: string;
  readonly mode: TestMode;
  readonly images: TestedImage[];
  readonly durationMs: number;
  readonly failure?: TestFailure;
  /** The full log of the run, relative to the workspace. */
  readonly logFile: string;
  readonly snapshot?: string;
}

/** Runs the project's migrations against the test database (the built-in runner plugs in here). */
export type MigrationHook = (db: { readonly url: Secret; readonly name: string; readonly root: string; readonly config: GreenlightConfig }, ctx: JobContext) => Promise<void>;

export interface TestOptions {
  readonly workspaceRoot: string;
  readonly engine: DockerEngine;
  /** The version to test; default: the latest build in this workspace. */
  readonly version?: string;
  /** Overrides test.mode from greenlight.yaml. */
  readonly mode?: TestMode;
  readonly configFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs migrations when database.migrateCommand is not set. */
  readonly migrate?: MigrationHook;
  /** Test containers and databases older than this are leftovers of crashed runs (default 30 min). */
  readonly leftoverMaxAgeMs?: number;
  /** Limit for the test command (default 15 min). */
  readonly testTimeoutMs?: number;
}

const DEFAULT_LEFTOVER_AGE_MS = 30 * 60_000;
const MAX_PROBE_DELAY_MS = 5_000;

class StepFailed extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

export async function testImages(opts: TestOptions, outer: JobContext): Promise<TestResult> {
  const started = Date.now();
  const now = new Date();
  const env = opts.env ?? process.env;
  const project = await loadProject(opts.workspaceRoot, opts.configFile);
  const { config, root, file } = project;
  const mode = opts.mode ?? config.test.mode;
  const runId = randomBytes(3).toString('hex');
  const images = await resolveImages(opts.engine, root, config, opts.version);
  const version = opts.version ?? (await readLastBuild(root))!.version;
  const stateDir = await ensureStateDir(root);
  const logFile = path.join(stateDir, 'test-logs', `${version}-${runId}.log`);

  // Everything the run prints goes to the caller and into the log file, passwords redacted.
  const secrets: Secret[] = [];
  const lines: string[] = [];
  const ctx: JobContext = {
    signal: outer.signal,
    progress: (p) => outer.progress(p),
    log: (line, level = 'info') => {
      const clean = redact(line, secrets);
      lines.push(`${new Date().toISOString()} ${level === 'info' ? '' : `${level}: `}${clean}`);
      outer.log(clean, level);
    },
  };
  ctx.log(`testing ${images.map((i) => `${i.tag} (${i.imageId.slice(7, 19)})`).join(', ')} — mode ${mode}, run ${runId}`);

  const containers: { service: string; id: string; name: string }[] = [];
  let db: TestDatabase | undefined;
  let failure: TestFailure | undefined;
  try {
    ctx.progress({ step: 'cleanup', message: 'removing leftovers of earlier runs' });
    await cleanupTestLeftovers(opts.engine, config.project, opts.leftoverMaxAgeMs ?? DEFAULT_LEFTOVER_AGE_MS, ctx);
    if (mode !== 'none') {
      await dropLeftoverTestDatabases(config, env, file, opts.leftoverMaxAgeMs ?? DEFAULT_LEFTOVER_AGE_MS, now, ctx).catch((e: unknown) =>
        ctx.log(`could not look for leftover test databases: ${errorMessage(e)}`, 'warn'),
      );
    }

    ctx.progress({ step: 'database', message: mode });
    db = await step('database', () => prepareTestDatabase({ mode, config, root, file, env, runId, now }, ctx));
    if (db) secrets.push(db.url);

    if (db) {
      ctx.progress({ step: 'migrate' });
      await step('migrate', () => runMigrations(opts, config, root, images, db!, runId, version, ctx));
    }

    for (const img of images) {
      const s = serviceOf(config, img.service);
      const port = testPortOf(s);
      ctx.progress({ step: `start ${s.name}`, message: `${img.tag} on 127.0.0.1:${port}` });
      await step(`start ${s.name}`, async () => {
        if (await portBusy(port)) throw new Error(`127.0.0.1:${port} is already in use; free it or set testPort for ${s.name} in ${path.basename(file)}`);
        const name = `${config.project}-${s.name}-test-${runId}`;
        const id = await opts.engine.createContainer({
          name,
          image: img.imageId,
          env: containerEnv(s, port, db, env, file),
          labels: testLabels(config.project, s.name, version, runId, now),
          networkMode: 'host',
          ...TEST_CONTAINER,
        });
        containers.push({ service: s.name, id, name });
        await opts.engine.startContainer(id);
        ctx.log(`[${s.name}] started ${name} (${id.slice(0, 12)}) on 127.0.0.1:${port}`);
      });
    }

    for (const c of containers) {
      const s = serviceOf(config, c.service);
      const url = `http://127.0.0.1:${testPortOf(s)}${s.health.path}`;
      ctx.progress({ step: `health ${s.name}`, message: url });
      await step(`health ${s.name}`, () => waitHealthy(opts.engine, c.id, testPortOf(s), url, s.health, ctx));
      ctx.log(`[${s.name}] healthy: ${url}`);
    }

    const command = config.test.command;
    if (command) {
      ctx.progress({ step: 'test command', message: command.join(' ') });
      await step('test command', async () => {
        ctx.log(`$ ${command.join(' ')}`);
        const r = await runCommand(command, {
          cwd: root,
          env: testCommandEnv(config, images, version, db, env),
          signal: ctx.signal,
          timeoutMs: opts.testTimeoutMs ?? 15 * 60_000,
          onLine: (l) => ctx.log(`  ${l}`),
        });
        if (r.exitCode !== 0) throw new Error(`${JSON.stringify(command)} exited with ${r.exitCode}${r.signal ? ` (${r.signal})` : ''}; last output:\n${r.tail.slice(-15).join('\n')}`);
      });
    } else {
      ctx.log('no test.command in greenlight.yaml: the test is the health check alone');
    }
  } catch (e) {
    if (e instanceof CancelledError || outer.signal.aborted) throw e;
    if (e instanceof InputError) throw e;
    failure = e instanceof StepFailed ? { step: e.step, message: e.message } : { step: 'test', message: errorMessage(e) };
    ctx.log(`FAILED at ${failure.step}: ${failure.message}`, 'error');
  } finally {
    await teardown(opts.engine, containers, db, failure !== undefined, ctx);
  }

  const durationMs = Date.now() - started;
  const passed = failure === undefined;
  ctx.log(passed ? `PASSED in ${(durationMs / 1000).toFixed(1)} s` : `FAILED in ${(durationMs / 1000).toFixed(1)} s`);
  await writeFileAtomic(logFile, lines.join('\n') + '\n');
  const ledger = await openLedger(root);
  const excerpt = logExcerpt(lines);
  for (const img of images) {
    await ledger.record({
      imageId: img.imageId,
      service: img.service,
      version,
      tags: [img.tag],
      gitSha: (await opts.engine.inspectImage(img.imageId))?.labels[LABEL.ociRevision] ?? '',
      testCommand: config.test.command,
      result: passed ? 'passed' : 'failed',
      durationMs,
      logExcerpt: excerpt,
      snapshot: db?.snapshot,
      testedAt: new Date().toISOString(),
      logFile: path.relative(root, logFile),
    });
  }
  return { passed, version, mode, images, durationMs, failure, logFile: path.relative(root, logFile), snapshot: db?.snapshot };

  async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    throwIfCancelled(ctx.signal);
    try {
      return await fn();
    } catch (e) {
      if (e instanceof CancelledError || e instanceof InputError || e instanceof StepFailed) throw e;
      throw new StepFailed(name, errorMessage(e));
    }
  }
}

/** The image of each service for the version, by tag; a missing one is an input error. */
async function resolveImages(engine: DockerEngine, root: string, config: GreenlightConfig, version: string | undefined): Promise<TestedImage[]> {
  const build = version ? await readBuildOf(root, version) : await readLastBuild(root);
  if (!version && !build) throw new InputError('nothing to test: no image was built in this workspace yet (run `greenlight build`)');
  const v = version ?? build!.version;
  const services = build ? build.images.map((i) => i.service).filter((n) => config.services.some((s) => s.name === n)) : config.services.map((s) => s.name);
  const out: TestedImage[] = [];
  for (const service of services) {
    const tag = `${service}:${v}`;
    const info = await engine.inspectImage(tag);
    if (!info) throw new InputError(`image ${tag} does not exist on ${engine.endpoint} (removed? build it again)`);
    out.push({ service, tag, imageId: info.id });
  }
  if (out.length === 0) throw new InputError(`version ${v} has no image of a service declared in greenlight.yaml`);
  return out;
}

function serviceOf(config: GreenlightConfig, name: string): ServiceConfig {
  const s = config.services.find((x) => x.name === name);
  if (!s) throw new InputError(`service ${name} is not declared in greenlight.yaml`);
  return s;
}

export function testLabels(project: string, service: string, version: string, runId: string, now: Date): Record<string, string> {
  return {
    [LABEL.test]: 'true',
    [LABEL.project]: project,
    [LABEL.service]: service,
    [LABEL.version]: version,
    [LABEL.testRun]: runId,
    [LABEL.testCreated]: now.toISOString(),
  };
}

function containerEnv(s: ServiceConfig, port: number, db: TestDatabase | undefined, env: NodeJS.ProcessEnv, file: string): Record<string, string> {
  const out: Record<string, string> = { ...s.env };
  for (const name of s.secretEnv) {
    const v = env[name];
    if (v === undefined) throw new InputError(`${file}: ${s.name} needs the secret ${name}; set it in the environment for the test`);
    out[name] = v;
  }
  if (db) out[s.databaseUrlEnv] = db.url.reveal();
  // The test port, on loopback only: with --network host the app is otherwise reachable from outside.
  out.PORT = String(port);
  out.BIND = '127.0.0.1';
  return out;
}

function envName(service: string): string {
  return service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function testCommandEnv(config: GreenlightConfig, images: TestedImage[], version: string, db: TestDatabase | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, GREENLIGHT_TEST_VERSION: version };
  images.forEach((img, i) => {
    const url = `http://127.0.0.1:${testPortOf(serviceOf(config, img.service))}`;
    out[`GREENLIGHT_TEST_URL_${envName(img.service)}`] = url;
    if (i === 0) out.GREENLIGHT_TEST_URL = url;
  });
  if (db) out.GREENLIGHT_TEST_DATABASE_URL = db.url.reveal();
  return out;
}

async function runMigrations(opts: TestOptions, config: GreenlightConfig, root: string, images: TestedImage[], db: TestDatabase, runId: string, version: string, ctx: JobContext): Promise<void> {
  const cmd = config.database?.migrateCommand;
  if (cmd) {
    // App-managed migrations run in a one-off container of the image under test, like a release task.
    const img = images[0]!;
    const s = serviceOf(config, img.service);
    const name = `${config.project}-${s.name}-migrate-${runId}`;
    ctx.log(`migrate: ${cmd.join(' ')} in a one-off ${img.tag} container`);
    const id = await opts.engine.createContainer({
      name,
      image: img.imageId,
      cmd,
      env: { ...containerEnv(s, testPortOf(s), db, opts.env ?? process.env, 'greenlight.yaml') },
      labels: testLabels(config.project, s.name, version, runId, new Date()),
      networkMode: 'host',
      ...TEST_CONTAINER,
    });
    try {
      await opts.engine.startContainer(id);
      const code = await opts.engine.wait(id, ctx.signal);
      const logs = (await opts.engine.logs(id, 200)).trimEnd();
      for (const l of logs.split('\n')) if (l) ctx.log(`  ${l}`);
      if (code !== 0) throw new Error(`the migrate command ${JSON.stringify(cmd)} exited with ${code}`);
    } finally {
      await opts.engine.removeContainer(id, { volumes: true }).catch(() => undefined);
    }
    return;
  }
  if (opts.migrate) {
    await opts.migrate({ url: db.url, name: db.name, root, config }, ctx);
    return;
  }
  ctx.log('migrate: no database.migrateCommand and no migration runner available; the database is used as is', 'warn');
}

async function waitHealthy(engine: DockerEngine, id: string, port: number, url: string, health: ServiceConfig['health'], ctx: JobContext): Promise<void> {
  const deadline = Date.now() + health.timeoutSeconds * 1000;
  let delay = health.intervalMs;
  let last = 'no answer yet';
  let attempt = 0;
  for (;;) {
    throwIfCancelled(ctx.signal);
    attempt++;
    const state = (await engine.inspectContainer(id))?.stateDetail;
    if (!state) throw new Error('the container disappeared');
    if (!state.running) throw new Error(`the container stopped before it became healthy: ${describeState(state)}`);
    const p = await httpProbe(() => connectLocal(port), { address: '127.0.0.1', port, path: health.path, hostHeader: health.host, timeoutMs: Math.min(5000, Math.max(500, deadline - Date.now())) });
    throwIfCancelled(ctx.signal);
    if (isHealthyStatus(p.status, health.statuses)) return;
    last = describeProbe(p);
    if (attempt === 1 || attempt % 5 === 0) ctx.log(`  health probe ${attempt}: ${last}`);
    if (Date.now() + delay > deadline) throw new Error(`not healthy after ${health.timeoutSeconds} s (${attempt} probes of ${url}); last answer: ${last}`);
    await sleep(delay, ctx.signal);
    delay = Math.min(delay * 2, MAX_PROBE_DELAY_MS);
  }
}

/** A TCP connection to the test container's port on this machine's loopback. */
function connectLocal(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code ?? e.message)));
  });
}

function describeState(s: ContainerState): string {
  return `status ${s.status}, exit code ${s.exitCode}${s.oomKilled ? ', killed for lack of memory' : ''}${s.error ? `, ${s.error}` : ''}`;
}

async function teardown(engine: DockerEngine, containers: { service: string; id: string; name: string }[], db: TestDatabase | undefined, failed: boolean, ctx: JobContext): Promise<void> {
  for (const c of containers) {
    try {
      const state = (await engine.inspectContainer(c.id))?.stateDetail;
      if (failed && state) {
        ctx.log(`[${c.service}] container ${c.name}: ${describeState(state)}; last log lines:`);
        const logs = (await engine.logs(c.id, 60)).trimEnd();
        for (const l of logs.split('\n')) ctx.log(`[${c.service}] | ${l}`);
      }
      await engine.stopContainer(c.id, 5);
      await engine.removeContainer(c.id, { volumes: true });
      ctx.log(`[${c.service}] removed ${c.name}`);
    } catch (e) {
      ctx.log(`[${c.service}] could not remove ${c.name}: ${errorMessage(e)} (removed by label with the next run's leftovers)`, 'warn');
    }
  }
  if (db) {
    ctx.progress({ step: 'database', message: 'cleaning up' });
    try {
      await db.release(ctx);
    } catch (e) {
      ctx.log(`database cleanup failed: ${errorMessage(e)}`, 'error');
    }
  }
}

/** Removes test containers of the project (by label) created more than maxAgeMs ago. */
export async function cleanupTestLeftovers(engine: DockerEngine, project: string, maxAgeMs: number, ctx: JobContext): Promise<string[]> {
  const list = await engine.listContainers({ [LABEL.test]: 'true', [LABEL.project]: project });
  const removed: string[] = [];
  for (const c of list) {
    const created = Date.parse(c.labels[LABEL.testCreated] ?? '') || c.createdAt;
    if (Date.now() - created < maxAgeMs) continue;
    await engine.removeContainer(c.id, { volumes: true });
    removed.push(c.name);
    ctx.log(`removed leftover test container ${c.name} (${c.state}, from ${new Date(created).toISOString()})`);
  }
  return removed;
}

function portBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

/** The end of the log, which is where a failure explains itself; bounded for the ledger. */
export function logExcerpt(lines: readonly string[], maxLines = 60, maxChars = 6000): string {
  let text = lines.slice(-maxLines).join('\n');
  if (text.length > maxChars) text = text.slice(text.length - maxChars);
  return text;
}
