// `greenlight ship <image> --env <name>`: puts the image's exact bytes on the host (stream,
// artifact or registry), verified by image ID, without deploying it.
import type { Command } from 'commander';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { openEnvironment } from '../../core/deploy/session';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import { shipImage, type ShipMode } from '../../core/ship/ship';
import { cliContext, type CliIo } from '../io';

/** Runs fn with an AbortSignal that Ctrl-C fires (once; a second Ctrl-C exits the usual way). */
export async function withSignal<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const onInt = (): void => {
    process.stderr.write('\ncancelling (production is left untouched before the swap)…\n');
    ac.abort();
    process.off('SIGINT', onInt);
  };
  process.on('SIGINT', onInt);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onInt);
  }
}

export function registerShip(program: Command, io: CliIo): void {
  program
    .command('ship')
    .description('copy an image to the environment\'s host, verified end to end, without deploying it')
    .argument('<image>', 'local image (repo:tag)')
    .requiredOption('-e, --env <name>', 'environment from greenlight.yaml')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('--mode <mode>', 'stream, artifact or registry (default: from the environment)')
    .option('--artifact <file>', 'exported archive (.tar/.tar.gz) for --mode artifact; sha256 from <file>.sha256 when present')
    .option('--all-layers', 'stream mode: send every layer even when the host already has some (by default only the layers it lacks go)')
    .option('--json', 'print the result as JSON')
    .action(async (image: string, opts: { env: string; config: string; mode?: ShipMode; artifact?: string; allLayers?: boolean; json?: boolean }) => {
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName: opts.env, vars: io.env });
        const local = localDocker();
        try {
          const r = await shipImage(ctx, local, s.host, {
            image,
            mode: opts.mode ?? s.environment.env.ship.mode,
            artifact: opts.artifact ? { file: opts.artifact } : undefined,
            registry: s.environment.env.ship.registry,
            dockerSocket: s.environment.dockerSocket,
            remoteDir: `${s.environment.env.stateDir}/incoming`,
            allLayers: opts.allLayers,
          });
          if (opts.json) return io.out(JSON.stringify({ host: s.host.target.host, ...r }, null, 2));
          io.out(r.alreadyPresent ? `${r.tag} already on ${s.host.target.host} (${r.imageId})` : `shipped ${r.tag} (${r.imageId}) to ${s.host.target.host}: ${(r.bytes / 1e6).toFixed(1)} MB${r.layers && r.layers.sent < r.layers.total ? ` (${r.layers.sent} of ${r.layers.total} layers)` : ''} in ${(r.ms / 1000).toFixed(1)} s, ${r.attempts} attempt(s)${r.sha256 ? `, sha256 ${r.sha256}` : ''}`);
        } finally {
          local.close();
          s.close();
        }
      });
    });
}
