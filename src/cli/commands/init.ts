// `greenlight init`: writes a commented greenlight.yaml from what the workspace already says (see
// src/core/config/init.ts). The SSH target is the one thing it cannot infer: --ssh user@host, or a
// question on a terminal; without either the file gets an example environment in a comment.
import { access, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { InputError } from '../../core/common/errors';
import { inspectWorkspace, parseSshTarget, renderProjectFile, type SshAnswer } from '../../core/config/init';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import type { CliIo } from '../io';

/** Asks one question and resolves to the answer ('' when the user just pressed Enter). */
export type Ask = (question: string) => Promise<string>;

/** A question on the terminal, or undefined when stdin is not one (CI, pipes): nothing is asked then. */
export function terminalAsk(): Ask | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export function registerInit(program: Command, io: CliIo, ask: Ask | undefined = terminalAsk()): void {
  program
    .command('init')
    .description('write a commented greenlight.yaml from the workspace (Dockerfiles, compose, migrations, git remote)')
    .option('--ssh <user@host[:port]>', 'SSH target of the first environment (asked on a terminal when absent)')
    .option('-e, --env <name>', 'name of that environment', 'production')
    .option('-d, --dir <folder>', 'workspace folder to inspect and write into', '.')
    .option('--force', 'overwrite an existing greenlight.yaml')
    .option('--print', 'print the file instead of writing it')
    .action(async (opts: { ssh?: string; env: string; dir: string; force?: boolean; print?: boolean }) => {
      const root = path.resolve(io.cwd, opts.dir);
      const file = path.join(root, CONFIG_FILE_NAME);
      if (!opts.print && !opts.force && (await exists(file))) {
        throw new InputError(`${path.relative(io.cwd, file) || file} already exists; --force overwrites it, --print shows what init would write`);
      }
      const facts = await inspectWorkspace(root);
      let ssh: SshAnswer | undefined = opts.ssh ? parseSshTarget(opts.ssh) : undefined;
      if (!ssh && ask && !opts.print) {
        for (;;) {
          const answer = (await ask(`SSH target of "${opts.env}" (user@host, empty to add one later): `)).trim();
          if (!answer) break;
          try {
            ssh = parseSshTarget(answer);
            break;
          } catch (e) {
            io.err((e as Error).message);
          }
        }
      }
      const text = renderProjectFile(facts, { ssh, envName: opts.env });
      if (opts.print) return io.out(text.trimEnd());
      await writeFile(file, text, 'utf8');
      const rel = path.relative(io.cwd, file) || file;
      const found = [
        facts.packageName ? `package.json "${facts.packageName}"` : undefined,
        facts.dockerfiles.length ? `${facts.dockerfiles.length} Dockerfile${facts.dockerfiles.length > 1 ? 's' : ''}` : undefined,
        facts.composeFile,
        facts.migrations ? `${facts.migrations.tool} migrations in ${facts.migrations.dir}` : undefined,
        facts.database ? `${facts.database.kind} database` : undefined,
        facts.gitRemote ? 'git remote' : undefined,
      ].filter(Boolean);
      io.out(`wrote ${rel} from ${found.join(', ') || 'the folder name only'}`);
      io.out(ssh ? `next: greenlight config check, then greenlight build && greenlight test` : `next: add an environment (greenlight init --force --ssh user@host), then greenlight build && greenlight test`);
    });
}
