// `greenlight export`: writes the tested images as <service>-<version>.tar.gz with .sha256 files
// and deploy-info-<version>.json; `greenlight export --verify <dir>` re-checks such a folder and
// names every corrupted or missing file. Exit 0 ok, 1 verification failed, 2 usage/config.
import * as path from 'node:path';
import type { Command } from 'commander';
import { OperationError } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { verifyArtifacts } from '../../core/images/checksum';
import { exportImages } from '../../core/images/exportImages';
import { cliContext, colorsOf, type CliIo } from '../io';
import { loadProject } from '../../core/images/project';
import { interruptSignal, localEngine } from './build';

export function registerExport(program: Command, io: CliIo): void {
  program
    .command('export')
    .description('export tested images as .tar.gz with sha256 checksums and deploy info, or --verify a folder of them')
    .argument('[services...]', 'services to export (default: all)')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('--version <version>', 'version to export (default: the newest version that passed for every service)')
    .option('-o, --out <dir>', 'output folder (default: .greenlight/exports/<version>)')
    .option('--verify <dir>', 'verify the checksums of an export folder instead of exporting')
    .option('--json', 'print the result as JSON')
    .action(async (services: string[], opts: { config: string; version?: string; out?: string; verify?: string; json?: boolean }) => {
      const stop = interruptSignal();
      try {
        if (opts.verify) {
          const dir = path.resolve(io.cwd, opts.verify);
          let results;
          try {
            results = await verifyArtifacts(dir, stop.signal);
          } catch (e) {
            throw new OperationError(`cannot read ${dir}: ${(e as Error).message}`);
          }
          if (opts.json) io.out(JSON.stringify(results, null, 2));
          else for (const r of results) io.out(r.ok ? `${colorsOf(io).out.green('ok')}       ${r.file}` : `${colorsOf(io).out.red('CORRUPT')}  ${r.file}: ${r.problem}`);
          const bad = results.filter((r) => !r.ok);
          if (results.length === 0) {
            io.err(`${dir}: no .sha256 files to verify`);
            io.exit(1);
          } else if (bad.length) {
            io.err(`${bad.length} of ${results.length} file${results.length === 1 ? '' : 's'} failed verification: ${bad.map((b) => b.file).join(', ')}`);
            io.exit(1);
          }
          return;
        }
        // The project file first: a missing or invalid one is the problem to report, Docker or not.
        await loadProject(io.cwd, path.resolve(io.cwd, opts.config));
        const engine = await localEngine(io);
        const r = await exportImages(
          { workspaceRoot: io.cwd, configFile: path.resolve(io.cwd, opts.config), engine, version: opts.version, services, outDir: opts.out },
          cliContext(io, stop.signal),
        );
        if (opts.json) io.out(JSON.stringify(r, null, 2));
        else {
          for (const i of r.images) io.out(`${path.join(r.dir, i.file)}  ${(i.bytes / 1e6).toFixed(1)} MB  sha256 ${i.sha256}`);
          io.out(`${path.join(r.dir, r.deployInfo)}`);
        }
      } finally {
        stop.dispose();
      }
    });
}
