// `greenlight build [service...]`: builds the production image of each service, tagged
// <service>:v<sha>-<time>[-dirty]. Exit 0 built, 1 a build failed, 2 bad config or usage.
import * as path from 'node:path';
import type { Command } from 'commander';
import { buildImages } from '../../core/images/build';
import { loadProject } from '../../core/images/project';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../core/images/docker';
import { OperationError } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { cliContext, type CliIo } from '../io';

/** An AbortSignal that fires on the first Ctrl-C, so a build or test stops and cleans up. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onInt = (): void => ac.abort();
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onInt);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onInt);
    },
  };
}

/** The local Docker engine, checked up front so "cannot connect" is one clear line. */
export async function localEngine(io: CliIo): Promise<DockerEngine> {
  const engine = localDocker(io.env);
  try {
    await engine.ping();
  } catch (e) {
    throw new OperationError(`cannot reach the Docker engine at ${engine.endpoint}: ${(e as Error).message} (is dockerd running? DOCKER_HOST, DOCKER_CONTEXT or \`docker context use\` select another engine)`);
  }
  return engine;
}

export function registerBuild(program: Command, io: CliIo): void {
  program
    .command('build')
    .description('build the production image of each service (or the named ones) from the workspace')
    .argument('[services...]', 'services to build (default: all)')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('--no-cache', 'build without the layer cache')
    .option('--json', 'print the build record as JSON')
    .action(async (services: string[], opts: { config: string; cache: boolean; json?: boolean }) => {
      // The project file first: a missing or invalid one is the problem to report, Docker or not.
      await loadProject(io.cwd, path.resolve(io.cwd, opts.config));
      const engine = await localEngine(io);
      const stop = interruptSignal();
      try {
        const record = await buildImages(
          { workspaceRoot: io.cwd, configFile: path.resolve(io.cwd, opts.config), engine, services, noCache: !opts.cache },
          cliContext(io, stop.signal),
        );
        if (opts.json) io.out(JSON.stringify(record, null, 2));
        else {
          for (const i of record.images) io.out(`${i.tag}  ${i.imageId.slice(7, 19)}  ${(i.sizeBytes / 1e6).toFixed(1)} MB  ${(i.durationMs / 1000).toFixed(1)} s`);
          if (record.dirty) io.err('note: built from uncommitted changes (-dirty); commit before building what you deploy');
        }
      } finally {
        stop.dispose();
      }
    });
}
