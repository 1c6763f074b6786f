// `greenlight config check`: validates greenlight.yaml and prints every problem as
// file:line:column, or a summary of what the file declares.
import * as path from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE_NAME, formatProblem, loadConfig } from '../../core/config/load';
import { summarizeConfig } from '../../core/config/summary';
import { colorsOf, type CliIo } from '../io';

export function registerConfig(program: Command, io: CliIo): void {
  const config = program.command('config').description('inspect the project file (greenlight.yaml)');
  config
    .command('check')
    .description('validate greenlight.yaml; print errors as file:line:column (exit 2) or a summary')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const file = path.resolve(io.cwd, opts.config);
      const result = await loadConfig(file);
      const summary = summarizeConfig(result);
      if (opts.json) io.out(JSON.stringify(summary, null, 2));
      const c = colorsOf(io);
      if (!result.ok) {
        if (!opts.json) for (const p of result.problems) io.err(formatProblem({ ...p, file: path.relative(io.cwd, p.file) || p.file }));
        io.err(c.err.red(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${path.relative(io.cwd, file) || file}`));
        io.exit(2);
        return;
      }
      if (!opts.json) {
        io.out(`${path.relative(io.cwd, file)}: ${c.out.green('ok')} — project "${summary.project}"`);
        io.out(`  services:     ${summary.services.map((s) => `${s.name} (:${s.port})`).join(', ') || 'none'}`);
        io.out(`  database:     ${summary.database ? `${summary.database.kind}, migrations in ${summary.database.migrations}/` : 'none'}`);
        io.out(`  environments: ${summary.environments.map((e) => `${e.name} (${e.sshTarget}${e.hostKeyPinned ? ', host key pinned' : ', HOST KEY NOT PINNED'})`).join(', ') || 'none'}`);
      }
    });
}
