// For `npm run demo`: builds and tests the demo project's images when a Docker engine is
// reachable, and says "skipped" with the reason when it is not (a laptop without Docker still
// runs the rest of the demo). The CLI equivalent is `greenlight build && greenlight test`.
import type { JobContext } from '../common/job';
import { buildImages, type BuildRecord } from './build';
import { localDocker } from './adapters/dockerodeAdapter';
import { builtinMigrations } from './migrations';
import { testImages, type TestResult } from './testRun';

export type DemoImagesOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'ok' | 'failed'; readonly build: BuildRecord; readonly test: TestResult };

export async function buildAndTestDemo(workspaceRoot: string, ctx: JobContext, env: NodeJS.ProcessEnv = process.env): Promise<DemoImagesOutcome> {
  const engine = localDocker(env);
  try {
    await engine.ping();
  } catch (e) {
    return { status: 'skipped', reason: `no Docker engine at ${engine.endpoint} (${(e as Error).message})` };
  }
  const build = await buildImages({ workspaceRoot, engine }, ctx);
  const test = await testImages({ workspaceRoot, engine, version: build.version, env, migrate: builtinMigrations }, ctx);
  return { status: test.passed ? 'ok' : 'failed', build, test };
}
