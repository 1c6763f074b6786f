// `greenlight backup create|list|verify|restore|drill|prune --env <name>`, for PostgreSQL (pg_dump on the
// host) and ArangoDB (arangojs export over the SSH connection) environments alike.
import * as readline from 'node:readline/promises';
import type { Command } from 'commander';
import { InputError } from '../../core/common/errors';
import { applyRetention, backupDatabase, createBackup, listBackups, previewRetention, restoreBackup, restoreDrill, verifyBackup } from '../../core/backup/backups';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { noteEnvironmentChanged, type EnvironmentChange } from '../../core/deploy/localActivity';
import { openEnvironment, type EnvironmentSession } from '../../core/deploy/session';
import type { JobContext } from '../../core/common/job';
import { cliContext, type CliIo } from '../io';
import { withSignal } from './ship';

type Opts = { env: string; config: string };

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

  common(backup.command('create').description('pg_dump on the host (PostgreSQL) or an arangojs export over ssh (ArangoDB), verified, mode 0600')).action(async (opts: Opts) =>
    withEnv(io, opts, async (s, ctx) => {
      const m = await createBackup(ctx, s.host, target(s));
      io.out(`${m.id}  ${(m.sizeBytes / 1e6).toFixed(2)} MB  sha256 ${m.sha256}  verified`);
    }, 'backup create'),
  );

  common(backup.command('list').description('backups, newest first').option('--json', 'print as JSON')).action(async (opts: Opts & { json?: boolean }) =>
    withEnv(io, opts, async (s, ctx) => {
      const list = await listBackups(ctx, s.host, target(s).dir);
      if (opts.json) return io.out(JSON.stringify(list, null, 2));
      if (list.length === 0) io.out(`no backups in ${target(s).dir}`);
      for (const b of list) {
        io.out(`${b.id}  ${(b.sizeBytes / 1e6).toFixed(2).padStart(8)} MB  ${age(b.createdAt).padStart(7)} ago  ${b.check?.note ?? (b.meta?.verified ? 'verified' : 'unverified')}${b.meta?.deployVersion ? `  before deploy of ${b.meta.deployVersion}` : ''}`);
      }
    }),
  );

  common(backup.command('verify').description('re-hash and re-read a backup').argument('<id>')).action(async (id: string, opts: Opts) =>
    withEnv(io, opts, async (s, ctx) => {
      const t = target(s);
      const v = await verifyBackup(ctx, s.host, t.dir, id, 'pg' in t ? t.pg : undefined);
      const read = v.documents !== undefined ? `${v.collections} collections, ${v.documents} documents` : `${v.tocEntries} TOC entries`;
      io.out(v.ok ? `${id}: ok (sha256 ${v.sha256}, ${read})` : `${id}: NOT OK\n  ${v.problems.join('\n  ')}`);
      io.exit(v.ok ? 0 : 1);
    }),
  );

  common(backup.command('drill').description('restore a backup into a scratch database and drop it again').argument('<id>')).action(async (id: string, opts: Opts) =>
    withEnv(io, opts, async (s, ctx) => {
      const d = await restoreDrill(ctx, s.host, target(s), id);
      io.out(`${id}: restores (${d.tables} tables into ${d.scratchDatabase}, dropped) in ${(d.durationMs / 1000).toFixed(1)} s`);
    }),
  );

  common(backup.command('restore').description('restore a backup into the environment\'s database (asks first; replaces what the backup holds)').argument('<id>').option('--yes', 'do not ask (for scripts)')).action(
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
        io.out(r.restored ? `${id} restored into ${backupDatabase(target(s))}` : 'not confirmed; nothing changed');
        io.exit(r.restored ? 0 : 1);
      }, 'backup restore'),
  );

  common(backup.command('prune').description('apply retention (keep-N or GFS from greenlight.yaml); previews unless --yes').option('--yes', 'delete what the preview lists')).action(
    async (opts: Opts & { yes?: boolean }) =>
      withEnv(io, opts, async (s, ctx) => {
        const policy = { keep: s.environment.env.backups.keep, gfs: s.environment.env.backups.gfs };
        const plan = opts.yes ? await applyRetention(ctx, s.host, target(s).dir, policy) : await previewRetention(ctx, s.host, target(s).dir, policy);
        for (const k of plan.keep) io.out(`keep    ${k.backup.id}  (${k.reasons.join(', ')})`);
        for (const r of plan.remove) io.out(`${opts.yes ? 'deleted' : 'delete '} ${r.id}`);
        if (!opts.yes && plan.remove.length) io.out(`(preview: run with --yes to delete ${plan.remove.length})`);
      }, opts.yes ? 'backup prune' : undefined),
  );
}
