// Builds the production image of each service from the workspace: one version for the whole
// build (commit + time + dirty marker), OCI labels, no network during the build, and a record
// of what was built (.greenlight/builds/<version>.json and .greenlight/build-version.json).
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { OperationError } from '../common/errors';
import { throwIfCancelled, type JobContext } from '../common/job';
import type { ServiceConfig } from '../config/schema';
import { BuildOutput, instructionLine } from './buildOutput';
import { packContext } from './context';
import type { DockerEngine } from './docker';
import { readGitState } from './git';
import { runCommand } from './process';
import { loadProject, selectServices, type Project } from './project';
import { ensureStateDir, writeFileAtomic } from './stateDir';
import { imageLabels, imageTag, makeVersion } from './version';

export interface BuiltImage {
  readonly service: string;
  readonly tag: string;
  readonly imageId: string;
  readonly sizeBytes: number;
  readonly durationMs: number;
}

/** The build-version file: what one build produced. */
export interface BuildRecord {
  readonly project: string;
  readonly version: string;
  readonly gitSha: string;
  readonly dirty: boolean;
  readonly createdAt: string;
  readonly source: string;
  readonly images: BuiltImage[];
}

export interface BuildOptions {
  readonly workspaceRoot: string;
  readonly engine: DockerEngine;
  readonly services?: readonly string[];
  readonly noCache?: boolean;
  readonly configFile?: string;
  /** The build time (tests pin it); default now. */
  readonly now?: Date;
}

export const BUILD_VERSION_FILE = 'build-version.json';

export async function buildImages(opts: BuildOptions, ctx: JobContext): Promise<BuildRecord> {
  const project = await loadProject(opts.workspaceRoot, opts.configFile);
  const services = selectServices(project.config, opts.services, project.file);
  ctx.progress({ step: 'git', message: 'reading the commit and working tree' });
  const gitState = await readGitState(project.root, ctx.signal);
  const createdAt = opts.now ?? new Date();
  createdAt.setUTCMilliseconds(0);
  const version = makeVersion(gitState.sha, createdAt, gitState.dirty);
  ctx.log(`version ${version}${gitState.dirty ? ` (working tree has uncommitted changes: ${gitState.changes.join(', ')})` : ''}`);

  const images: BuiltImage[] = [];
  for (const [i, s] of services.entries()) {
    throwIfCancelled(ctx.signal);
    ctx.progress({ step: `build ${s.name}`, message: `${i + 1}/${services.length}`, fraction: i / services.length });
    images.push(await buildOne(project, s, version, gitState, createdAt, opts, ctx));
  }
  const record: BuildRecord = { project: project.config.project, version, gitSha: gitState.sha, dirty: gitState.dirty, createdAt: createdAt.toISOString(), source: gitState.source, images };
  await writeBuildRecord(project.root, record);
  ctx.progress({ step: 'done', fraction: 1 });
  return record;
}

async function buildOne(
  project: Project,
  s: ServiceConfig,
  version: string,
  gitState: { sha: string; dirty: boolean; source: string },
  createdAt: Date,
  opts: BuildOptions,
  ctx: JobContext,
): Promise<BuiltImage> {
  const started = Date.now();
  const contextDir = path.resolve(project.root, s.context);
  if (s.prepare) {
    ctx.log(`[${s.name}] prepare: ${s.prepare.join(' ')}`);
    const r = await runCommand(s.prepare, { cwd: contextDir, signal: ctx.signal, onLine: (l) => ctx.log(`[${s.name}] ${l}`) });
    if (r.exitCode !== 0) {
      throw new OperationError(`build of ${s.name} failed: the prepare command ${JSON.stringify(s.prepare)} exited with ${r.exitCode}\n${r.tail.slice(-20).join('\n')}`);
    }
  }
  const { stream, dockerfile } = packContext(contextDir, s.dockerfile);
  const tag = imageTag(s.name, version);
  const labels = imageLabels({ project: project.config.project, service: s.name, version, gitSha: gitState.sha, dirty: gitState.dirty, createdAt, source: gitState.source });
  const out = new BuildOutput();
  const declared = await declaredArgs(path.join(contextDir, dockerfile));
  // Only ARGs the Dockerfile declares are passed, so the daemon has nothing to warn about.
  const buildArgs = Object.fromEntries(Object.entries({ APP_VERSION: version, GIT_SHA: gitState.sha }).filter(([k]) => declared.has(k)));
  let lastStep = 0;
  ctx.log(`[${s.name}] building ${tag} from ${path.relative(project.root, contextDir) || '.'} (${dockerfile}${s.target ? `, stage ${s.target}` : ''}, network none${opts.noCache ? ', no cache' : ''})`);
  let failure: unknown;
  try {
    await opts.engine.build(
      { context: stream, dockerfile, tag, labels, buildArgs, noCache: opts.noCache, ...(s.target ? { target: s.target } : {}) },
      (e) => {
        for (const line of out.push(e)) ctx.log(`[${s.name}] ${line}`, line.startsWith('error: ') ? 'error' : 'info');
        if (out.step && out.step.index !== lastStep) {
          lastStep = out.step.index;
          ctx.progress({ step: `build ${s.name}`, message: `step ${out.step.index}/${out.step.total}: ${out.step.instruction}` });
        }
      },
      ctx.signal,
    );
  } catch (e) {
    failure = e;
  }
  throwIfCancelled(ctx.signal);
  if (failure !== undefined || out.error) {
    const why = out.error ?? (failure instanceof Error ? failure.message : String(failure));
    throw await buildFailure(s.name, path.join(contextDir, dockerfile), out, why);
  }
  const info = await opts.engine.inspectImage(tag);
  if (!info) throw new OperationError(`build of ${s.name} reported success but ${tag} does not exist`);
  const built = { service: s.name, tag, imageId: info.id, sizeBytes: info.sizeBytes, durationMs: Date.now() - started };
  ctx.log(`[${s.name}] built ${tag} ${info.id.slice(0, 19)} (${(info.sizeBytes / 1e6).toFixed(1)} MB) in ${(built.durationMs / 1000).toFixed(1)} s`);
  return built;
}

/** "Dockerfile:7:1: build of web failed at step 3/5 (RUN make): <error>" followed by the step's output. */
async function buildFailure(service: string, dockerfilePath: string, out: BuildOutput, why: string): Promise<OperationError> {
  const step = out.step;
  if (!step) return new OperationError(`build of ${service} failed before the first step: ${why}`);
  let line: number | undefined;
  try {
    line = instructionLine(await readFile(dockerfilePath, 'utf8'), step.index);
  } catch {
    line = undefined;
  }
  const output = out.stepOutput();
  const message = `build of ${service} failed at step ${step.index}/${step.total} (${step.instruction}): ${why}${output.length ? `\n--- output of step ${step.index} ---\n${output.join('\n')}` : ''}`;
  return new OperationError(message, line ? { file: dockerfilePath, line, column: 1 } : undefined);
}

async function declaredArgs(dockerfilePath: string): Promise<Set<string>> {
  const text = await readFile(dockerfilePath, 'utf8');
  return new Set([...text.matchAll(/^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)/gim)].map((m) => m[1] ?? ''));
}

async function writeBuildRecord(root: string, record: BuildRecord): Promise<void> {
  const dir = await ensureStateDir(root);
  const text = JSON.stringify(record, null, 2) + '\n';
  await writeFileAtomic(path.join(dir, 'builds', `${record.version}.json`), text);
  await writeFileAtomic(path.join(dir, BUILD_VERSION_FILE), text);
}

/** The latest build record, or undefined when nothing was built in this workspace yet. */
export async function readLastBuild(root: string): Promise<BuildRecord | undefined> {
  return readBuildRecord(path.join(root, '.greenlight', BUILD_VERSION_FILE));
}

export async function readBuildOf(root: string, version: string): Promise<BuildRecord | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(version)) return undefined;
  return readBuildRecord(path.join(root, '.greenlight', 'builds', `${version}.json`));
}

async function readBuildRecord(file: string): Promise<BuildRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as BuildRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: unreadable build record (${(e as Error).message})`);
  }
}
