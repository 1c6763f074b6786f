// A throwaway workspace for the image tests: a git repository with a greenlight.yaml whose web
// service is the demo app (demo/web, staged once by its prepare script), on a test port of its
// own, and the local PostgreSQL of the test bed (read with testbed() from ../testbed). Each suite
// gets its own project and service names so its images, containers and databases never meet
// another suite's.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';

export const REPO = path.resolve(__dirname, '../../..');
export const DEMO_WEB = path.join(REPO, 'demo/web');
export const FIXTURES = path.join(REPO, 'test/fixtures/images');

export async function requireDocker(): Promise<DockerEngine> {
  const engine = localDocker();
  try {
    await engine.ping();
  } catch (e) {
    throw new Error(`the Docker engine is not reachable at ${engine.endpoint} (${(e as Error).message}); run: bash test/testbed/up.sh`);
  }
  return engine;
}

export function stageDemo(): void {
  execFileSync(process.execPath, [path.join(DEMO_WEB, 'prepare.mjs')], { stdio: 'ignore' });
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

export interface Workspace {
  readonly root: string;
  readonly project: string;
  readonly service: string;
  readonly port: number;
  write(file: string, text: string): void;
  commit(message: string): void;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}

/** A committed workspace; yaml(service, port) returns the greenlight.yaml text. */
export function workspace(yaml: (w: { project: string; service: string; port: number }) => string): Workspace {
  const root = mkdtempSync(path.join(tmpdir(), 'gl-images-'));
  const project = uniqueName('glit');
  const service = uniqueName('web');
  const port = 28000 + Math.floor(Math.random() * 2000);
  git(root, 'init', '-q');
  git(root, 'config', 'user.email', 'tests@example.invalid');
  git(root, 'config', 'user.name', 'tests');
  const w: Workspace = {
    root,
    project,
    service,
    port,
    write: (file, text) => writeFileSync(path.join(root, file), text),
    commit: (message) => {
      git(root, 'add', '-A');
      git(root, 'commit', '-qm', message);
    },
  };
  w.write('greenlight.yaml', yaml({ project, service, port }));
  w.write('.gitignore', '.greenlight/\n');
  w.commit('workspace');
  return w;
}

/** Removes everything a project left in Docker: containers (by label), then images. */
export async function removeProjectArtifacts(engine: DockerEngine, project: string): Promise<void> {
  for (const c of await engine.listContainers({ 'greenlight.project': project })) await engine.removeContainer(c.id, { volumes: true });
  for (const i of await engine.listImages({ 'greenlight.project': project })) {
    for (const t of i.repoTags) await engine.removeImage(t).catch(() => undefined);
    await engine.removeImage(i.id).catch(() => undefined);
  }
}

/** A log sink that keeps every line, for assertions on what the user would have seen. */
export function recordingContext(signal: AbortSignal = new AbortController().signal): { ctx: import('../../../src/core/common/job').JobContext; lines: string[] } {
  const lines: string[] = [];
  return { lines, ctx: { signal, progress: () => undefined, log: (l) => lines.push(l) } };
}
