// `greenlight test`: tests the images of the latest build (or --version) locally against an
// isolated test database and records the result by image ID. Exit 0 passed, 1 failed, 2 usage.
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { loadProject } from '../../core/images/project';
import { builtinMigrations } from '../../core/images/migrations';
import { cleanupTestLeftovers, testImages } from '../../core/images/testRun';
import { cliContext, colorsOf, type CliIo } from '../io';
import { interruptSignal, localEngine } from './build';

export function registerTest(program: Command, io: CliIo): void {
  program
    .command('test')
    .description('start the built images locally against an isolated test database, wait for health, run test.command')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('--version <version>', 'version to test (default: the latest build)')
    .addOption(new Option('--mode <mode>', 'test database mode (default: test.mode)').choices(['test-db', 'snapshot', 'none']))
    .option('--clean', 'only remove leftover test containers of this project, whatever their age')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; version?: string; mode?: 'test-db' | 'snapshot' | 'none'; clean?: boolean; json?: boolean }) => {
      const configFile = path.resolve(io.cwd, opts.config);
      // The project file first: a missing or invalid one is the problem to report, Docker or not.
      await loadProject(io.cwd, configFile);
      const engine = await localEngine(io);
      const stop = interruptSignal();
      try {
        const ctx = cliContext(io, stop.signal);
        if (opts.clean) {
          const project = await loadProject(io.cwd, configFile);
          const removed = await cleanupTestLeftovers(engine, project.config.project, 0, ctx);
          if (opts.json) io.out(JSON.stringify({ removed }, null, 2));
          else io.out(`${removed.length} leftover test container${removed.length === 1 ? '' : 's'} removed`);
          return;
        }
        const r = await testImages({ workspaceRoot: io.cwd, configFile, engine, version: opts.version, mode: opts.mode, env: io.env, migrate: builtinMigrations }, ctx);
        if (opts.json) io.out(JSON.stringify(r, null, 2));
        else {
          const c = colorsOf(io).out;
          for (const i of r.images) io.out(`${r.passed ? c.green('PASSED') : c.red('FAILED')}  ${i.tag}  ${i.imageId.slice(7, 19)}`);
          if (r.failure) io.out(c.red(`failed at ${r.failure.step}: ${r.failure.message}`));
          io.out(`log: ${r.logFile}`);
        }
        if (!r.passed) io.exit(1);
      } finally {
        stop.dispose();
      }
    });
}
