// Shared machinery of the acceptance suite: a project directory made from a template under
// test/acceptance/apps/<name>/ (the application source is ours; its framework is installed at test
// time from npm or Debian), committed in its own git repository, and driven through the real CLI
// (`node dist/cli.js`) against the test bed's production host. Answers are checked over HTTP
// through the published port on the production namespace's address, as a client would see them.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as assert from 'node:assert/strict';
import { bed, DB_PASSWORD, type Bed } from '../integration/deploy/bed';
import { describeLoad, loadDuring, type LoadOptions, type LoadResult } from '../load/loadGenerator';

export const REPO = path.resolve(__dirname, '../..');
/** The CLI bundle under test; GL_ACCEPTANCE_CLI points at another build (e.g. of another checkout). */
export const CLI = process.env.GL_ACCEPTANCE_CLI ?? path.join(REPO, 'dist/cli.js');
const APPS = path.join(__dirname, 'apps');

/** The local test database the image tests run against (the test bed's PostgreSQL on :25432). */
export const LOCAL_DB_PASSWORD = 'apppass';

export interface CliRun {
  readonly code: number;
  /** stdout and stderr interleaved, as a user sees them. */
  readonly out: string;
  readonly stdout: string;
}

export interface Project {
  readonly dir: string;
  readonly bed: Bed;
  /** Runs `greenlight <args>` in the project directory; never throws on a non-zero exit. */
  cli(args: readonly string[], timeoutMs?: number): Promise<CliRun>;
  /** Like cli(), but a non-zero exit fails the test with the command's whole output. */
  ok(args: readonly string[], timeoutMs?: number): Promise<CliRun>;
  write(rel: string, text: string): void;
  read(rel: string): string;
  /** Commits everything, so the next build gets a new, clean version. */
  commit(message: string): void;
  /** Builds and tests the working tree; returns the version the build made. */
  buildAndTest(): Promise<string>;
  remove(): void;
}

let proxyImage: string | undefined;

/** The proxy image on the production engine: Debian's caddy FROM scratch (test/testbed/proxyImage.sh), built once per run. */
export function proxyImageOn(b: Bed): string {
  proxyImage ??= execFileSync('bash', [path.join(REPO, 'test/testbed/proxyImage.sh'), '-H', `unix://${b.dockerSock}`], { encoding: 'utf8' }).trim().split(/\s+/)[0]!;
  return proxyImage;
}

/** Values substituted for @@NAME@@ in a template's greenlight.yaml. */
function templateVars(b: Bed): Record<string, string> {
  return {
    PROXY_IMAGE: proxyImageOn(b),
    SSH_HOST: b.sshHost,
    PROD_IP: b.prodIp,
    SSH_PORT: String(b.sshPort),
    SSH_USER: b.sshUser,
    SSH_KEY: b.sshKey,
    KNOWN_HOSTS: b.knownHosts,
    PROD_DOCKER_SOCK: b.dockerSock,
    BACKUPS_DIR: b.backupsDir,
  };
}

/** Copies apps/<template> (and apps/_shared) into a fresh temp dir and makes it a git repository. */
export function makeProject(template: string, opts: { config?: string; install?: (dir: string) => void } = {}): Project {
  const b = bed();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build.mjs (the acceptance hooks do)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `gl-acc-${template}-`));
  cpSync(path.join(APPS, template), dir, { recursive: true });
  cpSync(path.join(APPS, '_shared'), path.join(dir, '_shared'), { recursive: true });
  const vars = templateVars(b);
  const yamlSource = path.join(dir, opts.config ?? 'greenlight.yaml');
  const yaml = readFileSync(yamlSource, 'utf8').replace(/@@([A-Z_]+)@@/g, (_, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`${yamlSource}: unknown placeholder @@${k}@@`);
    return v;
  });
  writeFileSync(path.join(dir, 'greenlight.yaml'), yaml);
  // The image test copies database.local's database as a template, which needs it idle: each
  // project has its own (empty) one, so other suites' sessions on appdb cannot get in the way.
  const local = /postgres:\/\/app@127\.0\.0\.1:25432\/([a-z0-9_]+)/.exec(yaml)?.[1];
  if (local) ensureLocalDatabase(local);
  for (const f of readdirSync(dir)) if (/^greenlight\..+\.yaml$/.test(f)) rmSync(path.join(dir, f));
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\nrootfs/\n.greenlight/\n');
  // Frameworks come from their registry now, before the first commit, so lock files are committed.
  opts.install?.(dir);
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.name=acceptance', '-c', 'user.email=acceptance@greenlight.test', ...args], { cwd: dir, stdio: 'pipe' });
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'release one');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGPASSWORD_PROD: DB_PASSWORD,
    PGPASSWORD_LOCAL: LOCAL_DB_PASSWORD,
    DJANGO_SECRET_KEY: 'acceptance-only-not-a-secret',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  const project: Project = {
    dir,
    bed: b,
    cli: (args, timeoutMs = 240_000) => runCli(dir, args, env, timeoutMs),
    ok: async (args, timeoutMs) => {
      const r = await project.cli(args, timeoutMs);
      if (r.code !== 0) throw new Error(`greenlight ${args.join(' ')} exited with ${r.code}:\n${r.out}`);
      return r;
    },
    write: (rel, text) => writeFileSync(path.join(dir, rel), text),
    read: (rel) => readFileSync(path.join(dir, rel), 'utf8'),
    commit: (message) => {
      git('add', '-A');
      git('commit', '-q', '-m', message);
    },
    buildAndTest: async () => {
      const built = await project.ok(['build', '--json'], 300_000);
      const version = (JSON.parse(built.stdout) as { version: string }).version;
      await project.ok(['test'], 240_000);
      return version;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  return project;
}

function runCli(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    const add = (d: Buffer): void => {
      out += d.toString();
      if (process.env.GL_TEST_VERBOSE) process.stdout.write(d);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      add(d);
    });
    child.stderr.on('data', add);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), out: signal ? `${out}\n[killed by ${signal} after ${timeoutMs} ms]` : out, stdout });
    });
  });
}

/** The versions a deploy/rollback output names as serving ("serving: v…"). */
export function servingIn(out: string): string | undefined {
  return /serving: (v[0-9a-f]{7}-\d{8}-\d{6}(?:-dirty)?)/.exec(out)?.[1];
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP/1.1 GET from this machine, with an optional Host header; errors become status 0. */
export function get(host: string, port: number, pathname: string, hostHeader?: string, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: pathname, method, headers: hostHeader ? { host: hostHeader } : {}, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
    req.end();
  });
}

/** The production engine's docker CLI (root on this machine reaches its socket directly). */
export function prodDocker(b: Bed, args: readonly string[], input?: Buffer): string {
  return execFileSync('docker', ['--host', `unix://${b.dockerSock}`, ...args], { input, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();
}

/** Removes the project's containers on the production host (names start with `<project>-`). */
export function removeProdContainers(b: Bed, project: string): void {
  const ids = prodDocker(b, ['ps', '-aq', '--filter', `label=greenlight.project=${project}`]).split('\n').filter(Boolean);
  if (ids.length) prodDocker(b, ['rm', '-f', ...ids]);
}

/**
 * Removes the production host's proxy container and network (the suites' services are gone; a later
 * suite starts it again). Docker 20.10 can still list an endpoint of a container `rm -f` has just
 * removed ("has active endpoints", moby#17217), so endpoints left on the network are disconnected
 * with --force and the removal retried for a while. A container that still exists on the network is
 * a leak of the deploy (every container it starts carries the project label): it is removed too, so
 * the next suite starts clean, and then named in an error.
 */
export function removeProdProxy(b: Bed): void {
  if (prodDocker(b, ['ps', '-aq', '--filter', 'name=^greenlight-proxy$']).trim()) prodDocker(b, ['rm', '-f', 'greenlight-proxy']);
  const leaked = new Set<string>();
  const deadline = Date.now() + 20_000;
  while (prodDocker(b, ['network', 'ls', '-q', '--filter', 'name=^greenlight-proxy$']).trim()) {
    try {
      prodDocker(b, ['network', 'rm', 'greenlight-proxy']);
      break;
    } catch (e) {
      const attached = prodDocker(b, ['network', 'inspect', '--format', '{{range .Containers}}{{.Name}} {{end}}', 'greenlight-proxy']).trim().split(/\s+/).filter(Boolean);
      if (Date.now() > deadline) throw new Error(`the network greenlight-proxy still has endpoints after 20 s: ${attached.join(', ') || '(none listed)'}: ${(e as Error).message}`);
      for (const name of attached) {
        if (prodDocker(b, ['ps', '-aq', '--filter', `name=^${name}$`]).trim()) {
          leaked.add(name);
          prodDocker(b, ['rm', '-f', name]);
        }
        try { prodDocker(b, ['network', 'disconnect', '--force', 'greenlight-proxy', name]); } catch { /* gone meanwhile */ }
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  if (leaked.size) throw new Error(`containers left on the proxy network after the suite removed its own: ${[...leaked].join(', ')}`);
}

function ensureLocalDatabase(name: string): void {
  const url = `postgres://app:${LOCAL_DB_PASSWORD}@127.0.0.1:25432/postgres`;
  const exists = execFileSync('psql', ['-X', '-A', '-t', url, '-c', `select 1 from pg_database where datname = '${name}'`], { stdio: 'pipe' }).toString().trim();
  if (!exists) execFileSync('psql', ['-X', '-q', url, '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
}

/** `npm install` in dir (from the npm registry configured for this machine). */
export function npmInstall(dir: string): void {
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error'], { cwd: dir, stdio: 'pipe', timeout: 180_000 });
}

/** A psql query on a database of the test bed's host PostgreSQL; rows as tab-separated lines. */
export function prodQuery(b: Bed, database: string, sql: string): string {
  return execFileSync('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', `postgres://app:${DB_PASSWORD}@${b.prodIp}:5432/${database}`, '-c', sql], { stdio: 'pipe' }).toString().trim();
}

/** Drops and re-creates a database on the test bed's host PostgreSQL, so a first deploy meets an empty one. */
export function resetProdDatabase(b: Bed, name: string): void {
  const psql = (sql: string): void => {
    execFileSync('psql', ['-v', 'ON_ERROR_STOP=1', '-q', `postgres://app:${DB_PASSWORD}@${b.prodIp}:5432/postgres`, '-c', sql], { stdio: 'pipe' });
  };
  psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  psql(`CREATE DATABASE ${name}`);
}

/** Size of a directory tree in bytes (for the report of what an image carries). */
export function treeBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += treeBytes(p);
    else if (e.isFile()) n += statSync(p).size;
  }
  return n;
}

/**
 * Runs `op` while keep-alive clients send GETs of `/` through the host's proxy (from a second in,
 * `load` says how many and how fast), noting the version each JSON answer names. No request may
 * fail, none may need sending again on a closed keep-alive connection (a reload of the proxy would
 * cause that), and the load must outlast the operation.
 */
export async function underLoad<T>(
  b: Bed,
  load: Pick<LoadOptions, 'port' | 'hostHeader' | 'requests' | 'concurrency' | 'ratePerSecond'>,
  op: () => Promise<T>,
): Promise<{ result: T; load: LoadResult; versions: Record<string, number> }> {
  const { result, load: done, versions, opEnded } = await loadDuring(
    { host: b.prodIp, path: '/', timeLimitMs: 300_000, leadMs: 1000, ...load, versionOf: (body) => (JSON.parse(body) as { version: string }).version },
    op,
  );
  console.log(`      load: ${describeLoad(done)}; answered by ${JSON.stringify(versions)}`);
  assert.equal(done.failed, 0, `failed requests through the proxy: ${describeLoad(done)}\n${done.failures.map((f) => f.what).join('\n')}`);
  assert.equal(done.retriedOnClosedKeepAlive, 0, `requests that needed sending again (a closed keep-alive connection): ${describeLoad(done)}`);
  assert.ok(done.endedAt > opEnded, `the load (${describeLoad(done)}) ended before the operation did`);
  return { result, load: done, versions };
}
