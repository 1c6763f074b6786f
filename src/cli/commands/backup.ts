// `greenlight backup create|list|verify|restore|drill|prune --env <name>`, for PostgreSQL (pg_dump on the
// host) and ArangoDB (arangojs export over the SSH connection) environments alike.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import type { Command } from 'commander';
import { InputError, OperationError } from '../../core/common/errors';
import { applyRetention, backupDatabase, createBackup, downloadBackup, listBackups, previewRetention, restoreBackup, restoreDrill, verifyBackup } from '../../core/backup/backups';
import { HashingStream } from '../../core/images/checksum';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { noteEnvironmentChanged, type EnvironmentChange } from '../../core/deploy/localActivity';
import { deploysInProgress } from '../../core/deploy/lock';
import { openEnvironment, type EnvironmentSession } from '../../core/deploy/session';
import type { JobContext } from '../../core/common/job';
import { cliContext, colorsOf, type CliIo } from '../io';
import { withSignal } from './ship';

type Opts = { env: string; config: string; json?: boolean };

/** Runs fn on the environment; `changes` names what it changes there, for an editor's views to refresh. */
async function withEnv(io: CliIo, opts: Opts, fn: (s: EnvironmentSession, ctx: JobContext) => Promise<void>, changes?: EnvironmentChange['action']): Promise<void> {
  await withSignal(async (signal) => {
    const ctx = cliContext(io, signal);
    const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName: opts.env, vars: io.env });
    try {
      await fn(s, ctx);
    } finally {
      if (changes) await noteEnvironmentChanged(s.root, opts.env, changes);
      s.close();
    }
  });
}

function target(s: EnvironmentSession): NonNullable<EnvironmentSession['environment']['backup']> {
  if (!s.environment.backup) throw new InputError(`environment "${s.environment.name}" has no database: nothing to back up`);
  return s.environment.backup;
}

function age(iso: string): string {
  const m = Math.round((Date.now() - Date.parse(iso)) / 60000);
  return m < 120 ? `${m} min` : m < 2880 ? `${Math.round(m / 60)} h` : `${Math.round(m / 1440)} d`;
}

export function registerBackup(program: Command, io: CliIo): void {
  const backup = program.command('backup').description('database backups on the environment\'s host');
  const common = (c: Command): Command => c.requiredOption('-e, --env <name>', 'environment from greenlight.yaml').option('-c, --config <file>', 'project file', CONFIG_FILE_NAME);

  const c = colorsOf(io).out;
  common(backup.command('create').description('pg_dump on the host (PostgreSQL) or an arangojs export over ssh (ArangoDB), verified, mode 0600').option('--json', 'print the backup record as JSON')).action(async (opts: Opts) =>
    withEnv(io, opts, async (s, ctx) => {
      const m = await createBackup(ctx, s.host, target(s), { protectDeploys: await deploysInProgress(ctx, s.host, s.environment.env.stateDir) });
      if (opts.json) return io.out(JSON.stringify(m, null, 2));
      io.out(`${m.id}  ${(m.sizeBytes / 1e6).toFixed(2)} MB  sha256 ${m.sha256}  ${c.green('verified')}`);
    }, 'backup create'),
  );

  common(backup.command('list').description('backups, newest first').option('--json', 'print as JSON')).action(async (opts: Opts & { json?: boolean }) =>
    withEnv(io, opts, async (s, ctx) => {
      const list = await listBackups(ctx, s.host, target(s).dir);
      if (opts.json) return io.out(JSON.stringify(list, null, 2));
      if (list.length === 0) io.out(`no backups in ${target(s).dir}`);
      for (const b of list) {
        io.out(`${b.id}  ${(b.sizeBytes / 1e6).toFixed(2).padStart(8)} MB  ${age(b.createdAt).padStart(7)} ago  ${b.check ? (b.check.state === 'unchanged-since-check' ? c.green(b.check.note) : c.yellow(b.check.note)) : b.meta?.verified ? c.green('verified') : c.yellow('unverified')}${b.meta?.deployVersion ? `  before deploy of ${b.meta.deployVersion}` : ''}`);
      }
    }),
  );

  common(backup.command('verify').description('re-hash and re-read a backup').argument('<id>').option('--json', 'print the result as JSON')).action(async (id: string, opts: Opts) =>
    withEnv(io, opts, async (s, ctx) => {
      const t = target(s);
      const v = await verifyBackup(ctx, s.host, t.dir, id, 'pg' in t ? t.pg : undefined);
      const read = v.documents !== undefined ? `${v.collections} collections, ${v.documents} documents` : `${v.tocEntries} TOC entries`;
      if (opts.json) io.out(JSON.stringify(v, null, 2));
      else io.out(v.ok ? `${id}: ${c.green('ok')} (sha256 ${v.sha256}, ${read})` : `${id}: ${c.red('NOT OK')}\n  ${v.problems.join('\n  ')}`);
      io.exit(v.ok ? 0 : 1);
    }),
  );

  common(backup.command('drill').description('restore a backup into a scratch database and drop it again').argument('<id>').option('--json', 'print the result as JSON')).action(async (id: string, opts: Opts) =>
    withEnv(io, opts, async (s, ctx) => {
      const d = await restoreDrill(ctx, s.host, target(s), id);
      if (opts.json) return io.out(JSON.stringify(d, null, 2));
      io.out(`${id}: restores (${d.tables} tables into ${d.scratchDatabase}, dropped) in ${(d.durationMs / 1000).toFixed(1)} s`);
    }),
  );

  common(backup.command('restore').description('restore a backup into the environment\'s database (asks first; replaces what the backup holds)').argument('<id>').option('--yes', 'do not ask (for scripts)').option('--json', 'print the result as JSON')).action(
    async (id: string, opts: Opts & { yes?: boolean }) =>
      withEnv(io, opts, async (s, ctx) => {
        const r = await restoreBackup(ctx, s.host, target(s), id, {
          confirm: async (summary) => {
            if (opts.yes) return true;
            if (!process.stdin.isTTY) throw new InputError(`${summary} Refusing without a terminal to ask on; pass --yes to confirm.`);
            const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
            try {
              const db = backupDatabase(target(s));
              return (await rl.question(`${summary}\nType the database name (${db}) to confirm: `)).trim() === db;
            } finally {
              rl.close();
            }
          },
        });
        if (opts.json) io.out(JSON.stringify({ id, database: backupDatabase(target(s)), ...r }, null, 2));
        else io.out(r.restored ? `${id} restored into ${backupDatabase(target(s))}` : 'not confirmed; nothing changed');
        io.exit(r.restored ? 0 : 1);
      }, 'backup restore'),
  );

  common(backup.command('prune').description('apply retention (keep-N or GFS from greenlight.yaml); previews unless --yes').option('--yes', 'delete what the preview lists').option('--json', 'print the plan as JSON')).action(
    async (opts: Opts & { yes?: boolean }) =>
      withEnv(io, opts, async (s, ctx) => {
        const policy = { keep: s.environment.env.backups.keep, gfs: s.environment.env.backups.gfs };
        const plan = opts.yes ? await applyRetention(ctx, s.host, target(s).dir, policy) : await previewRetention(ctx, s.host, target(s).dir, policy);
        if (opts.json) return io.out(JSON.stringify({ applied: opts.yes === true, keep: plan.keep.map((k) => ({ id: k.backup.id, reasons: k.reasons })), remove: plan.remove.map((r) => r.id) }, null, 2));
        for (const k of plan.keep) io.out(`keep    ${k.backup.id}  (${k.reasons.join(', ')})`);
        for (const r of plan.remove) io.out(`${opts.yes ? 'deleted' : 'delete '} ${r.id}`);
        if (!opts.yes && plan.remove.length) io.out(`(preview: run with --yes to delete ${plan.remove.length})`);
      }, opts.yes ? 'backup prune' : undefined),
  );

  common(
    backup
      .command('download')
      .description('copy a backup from the host to this machine, checked against its recorded sha256')
      .argument('<id>')
      .option('-o, --out <file>', 'where to write it (default: the backup\'s file name in the current directory)')
      .option('--json', 'print the result as JSON'),
  ).action(async (id: string, opts: Opts & { out?: string }) =>
    withEnv(io, opts, async (s, ctx) => {
      const t = target(s);
      const entry = (await listBackups(ctx, s.host, t.dir)).find((b) => b.id === id);
      if (!entry) throw new InputError(`no backup "${id}" in ${t.dir} on ${s.host.target.host}`);
      const file = path.resolve(io.cwd, opts.out ?? path.basename(entry.file));
      const partial = `${file}.partial`;
      const counter = new HashingStream();
      counter.on('data', () => ctx.progress({ step: `download ${id}`, bytes: { done: counter.bytes, total: entry.sizeBytes } }));
      const sink = createWriteStream(partial, { mode: 0o600 });
      counter.pipe(sink);
      const written = new Promise<void>((resolve, reject) => {
        sink.on('finish', resolve);
        sink.on('error', reject);
      });
      try {
        await downloadBackup(ctx, s.host, t.dir, id, counter);
        counter.end();
        await written;
        const sha256 = counter.digest();
        if (entry.meta?.sha256 && entry.meta.sha256 !== sha256) throw new OperationError(`download ${id}: sha256 ${sha256} differs from the recorded ${entry.meta.sha256}; the copy was removed`);
        await rename(partial, file);
        if (opts.json) io.out(JSON.stringify({ id, file, bytes: counter.bytes, sha256, checked: entry.meta?.sha256 !== undefined }, null, 2));
        else io.out(`${file}  ${(counter.bytes / 1e6).toFixed(2)} MB  sha256 ${sha256}${entry.meta?.sha256 ? `  ${c.green('matches the record')}` : `  ${c.yellow('no recorded sha256 to compare')}`}`);
      } finally {
        await rm(partial, { force: true });
      }
    }),
  );
}
