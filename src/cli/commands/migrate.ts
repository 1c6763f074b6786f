// `greenlight migrate up|status|verify|dry-run|baseline|drift|accept-checksum`: the migration
// runner and verifier over src/core/migrate. Exit 0 ok, 1 the operation failed (a migration,
// a verification, drift found), 2 usage/config/unreadable input.
import * as path from 'node:path';
import type { Command } from 'commander';
import { InputError, OperationError } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { createDefaultLinter } from '../../core/lint/defaultLinter';
import { baseline } from '../../core/migrate/baseline';
import { schemaDrift } from '../../core/migrate/drift';
import { dryRun } from '../../core/migrate/dryRun';
import { openEnvironmentDatabase } from '../../core/deploy/environmentDatabase';
import { describePgError, runStatements } from '../../core/migrate/pgBackend';
import { formatDrift, formatDryRun, formatStatus, formatUp, formatVerifyReport } from '../../core/migrate/report';
import { acceptChecksums, checksumChangedMessage, migrateUp, migrationStatus } from '../../core/migrate/runner';
import { decideSeeds, resolveSeedFiles } from '../../core/migrate/seeds';
import { splitSql } from '../../core/migrate/statements';
import { openBackend, openTargetSession, resolveTarget, scratchProviderFor, targetMigrations, type MigrateTarget } from '../../core/migrate/target';
import { verifyMigrations } from '../../core/migrate/verify';
import { readFile } from 'node:fs/promises';
import { cliContext, type CliIo } from '../io';
import { interruptSignal } from './build';

interface Common {
  config?: string;
  dir?: string;
  database?: string;
  json?: boolean;
  lockTimeout?: string;
}

function lockTimeoutMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InputError(`--lock-timeout ${v}: expected seconds (a number ≥ 0)`);
  return n * 1000;
}

function common(cmd: Command, withDatabase = true): Command {
  cmd.option('-c, --config <file>', `project file (default ${CONFIG_FILE_NAME} when present)`).option('--dir <path>', 'migrations directory (overrides database.migrations; no project file needed)');
  if (withDatabase) cmd.option('--database <url>', 'database URL, e.g. postgres://user@host:5432/db (password from the URL or PGPASSWORD); default: database.local.url, else PGlite');
  return cmd.option('--json', 'print the result as JSON');
}

export function registerMigrate(program: Command, io: CliIo): void {
  const migrate = program.command('migrate').description('apply, check and verify database migrations (PostgreSQL, PGlite, ArangoDB)');

  const target = (o: Common): Promise<MigrateTarget> => resolveTarget({ root: io.cwd, configFile: o.config ? path.resolve(io.cwd, o.config) : undefined, dir: o.dir, database: o.database, env: io.env });
  const withSignal = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const stop = interruptSignal();
    try {
      return await fn(stop.signal);
    } finally {
      stop.dispose();
    }
  };
  const print = (json: boolean | undefined, value: unknown, text: () => string): void => io.out(json ? JSON.stringify(value, null, 2) : text());

  common(migrate.command('up').description('apply pending migrations in file-name order (one transaction per file), then seeds'))
    .option('--through <file>', 'stop after this migration file')
    .option('--image-version <version>', 'image version recorded in the ledger (default $GREENLIGHT_IMAGE_VERSION)')
    .option('--lock-timeout <seconds>', 'how long to wait for another runner', '60')
    .option('--env <name>', 'environment whose seed files take priority (<env>_seeds.*)')
    .option('--no-seeds', 'do not run seed files')
    .action((o: Common & { through?: string; imageVersion?: string; env?: string; seeds: boolean }) =>
      withSignal(async (signal) => {
        const t = await target(o);
        const files = await targetMigrations(t);
        const ctx = cliContext(io, signal);
        const { backend, pg, close } = await openBackend(t, 'up');
        try {
          const r = await migrateUp(backend, files, ctx, { through: o.through, imageVersion: o.imageVersion ?? io.env.GREENLIGHT_IMAGE_VERSION, lockTimeoutMs: lockTimeoutMs(o.lockTimeout) });
          let seeds: unknown;
          if (!r.failure && o.seeds && pg && t.database?.seeds.length) {
            const decisions = await decideSeeds(resolveSeedFiles(t.root, t.database.seeds, o.env), { newDatabase: r.newDatabase, linter: createDefaultLinter(), root: t.root });
            for (const d of decisions) {
              if (!d.run || d.language !== 'sql') continue;
              const text = await readFile(d.file, 'utf8');
              const statements = await splitSql(text, d.file);
              await pg.db.exec('begin');
              const run = await runStatements(pg.db, statements, signal);
              await pg.db.exec(run.ok ? 'commit' : 'rollback');
              if (!run.ok) throw new OperationError(`seed ${d.file} failed at statement ${run.failedIndex! + 1}: ${describePgError(run.error!)}; it was rolled back`);
            }
            seeds = decisions;
            if (!o.json) {
              for (const d of decisions) {
                const rel = path.relative(io.cwd, d.file);
                if (d.run && d.language === 'sql') io.err(`seed ${rel}: ran (${d.reason})`);
                else if (d.run) io.err(`seed ${rel}: run it in the app container (${d.reason})`);
                else {
                  io.err(`seed ${rel}: skipped — ${d.reason}`);
                  for (const f of d.findings ?? []) io.err(`  ${f}`);
                  io.err(`  to run it anyway: ${d.manualCommand}`);
                }
              }
            }
          }
          print(o.json, { ...r, seeds }, () => formatUp(r));
          if (r.failure) io.exit(1);
        } finally {
          await close();
        }
      }),
    );

  common(migrate.command('status').description('list migrations as applied, pending, checksum changed, failed or missing')).action((o: Common) =>
    withSignal(async () => {
      const t = await target(o);
      const files = await targetMigrations(t);
      const { backend, close } = await openBackend(t, 'status');
      try {
        const r = await migrationStatus(backend, files);
        print(o.json, r, () => formatStatus(r));
        if (r.counts['checksum-changed'] || r.counts.failed) io.exit(1);
      } finally {
        await close();
      }
    }),
  );

  common(migrate.command('verify').description('prove the migrations on an isolated database: fresh, from a pg_dump (--existing), each run twice (rerun)'))
    .option('--existing <dump>', 'verify the pending migrations against a copy restored from this pg_dump file')
    .option('--no-fresh', 'skip the fresh (empty database) run')
    .option('--no-rerun', 'do not run each migration a second time')
    .option('--no-probe', 'do not add probe rows to empty tables touched by DML')
    .option('--expect-schema <file>', 'SQL file with the schema the migrations must produce')
    .action((o: Common & { existing?: string; fresh: boolean; rerun: boolean; probe: boolean; expectSchema?: string }) =>
      withSignal(async (signal) => {
        const t = await target(o);
        const files = await targetMigrations(t);
        const provider = await scratchProviderFor(t);
        try {
          const report = await verifyMigrations(files, provider, cliContext(io, signal), {
            fresh: o.fresh,
            rerun: o.rerun,
            probe: o.probe,
            existing: o.existing ? path.resolve(io.cwd, o.existing) : undefined,
            expectSchema: o.expectSchema ? path.resolve(io.cwd, o.expectSchema) : undefined,
            source: path.relative(io.cwd, t.dir) || t.dir,
          });
          print(o.json, report, () => formatVerifyReport(report));
          if (!report.ok) io.exit(1);
        } finally {
          await provider.close();
        }
      }),
    );

  common(migrate.command('dry-run').description('show the pending migrations; with --execute run them in a transaction that is rolled back'))
    .option('--execute', 'execute each pending migration and roll everything back (PostgreSQL)')
    .option('--lock-timeout <seconds>', 'how long to wait for another runner', '60')
    .action((o: Common & { execute?: boolean }) =>
      withSignal(async (signal) => {
        const t = await target(o);
        const files = await targetMigrations(t);
        const { pg, close } = await openBackend(t, 'dry-run');
        try {
          if (!pg) throw new InputError('dry-run works on PostgreSQL');
          const r = await dryRun(pg, files, cliContext(io, signal), { execute: o.execute, lockTimeoutMs: lockTimeoutMs(o.lockTimeout) });
          print(o.json, r, () => formatDryRun(r));
          if (r.checksumChanged.length && !o.json) io.err(checksumChangedMessage(r.checksumChanged.map((fileName) => ({ fileName, state: 'checksum-changed' }))));
          if (!r.ok) io.exit(1);
        } finally {
          await close();
        }
      }),
    );

  common(migrate.command('baseline').description('mark pending migrations applied after checking that the database has what they create'))
    .option('--through <file>', 'baseline every pending file up to this one (all must check out)')
    .option('--check-only', 'report what would be marked, change nothing')
    .option('--lock-timeout <seconds>', 'how long to wait for another runner', '60')
    .action((o: Common & { through?: string; checkOnly?: boolean }) =>
      withSignal(async (signal) => {
        const t = await target(o);
        const files = await targetMigrations(t);
        const { pg, close } = await openBackend(t, 'baseline');
        const provider = await scratchProviderFor(t);
        try {
          if (!pg) throw new InputError('baseline works on PostgreSQL');
          const r = await baseline(pg, files, provider, cliContext(io, signal), { through: o.through, dryRun: o.checkOnly, lockTimeoutMs: lockTimeoutMs(o.lockTimeout) });
          print(o.json, r, () =>
            [
              ...r.checked.map((c) => `  ${r.marked.includes(c.fileName) ? '✓' : '·'} ${c.fileName}: ${c.objects} object${c.objects === 1 ? '' : 's'}${c.problems.length ? `; ${c.problems.join('; ')}` : ' found'}`),
              `${o.checkOnly ? 'would mark' : 'marked'} ${r.marked.length} file${r.marked.length === 1 ? '' : 's'} applied (baseline) on ${r.database}`,
            ].join('\n'),
          );
        } finally {
          await provider.close();
          await close();
        }
      }),
    );

  common(migrate.command('drift').description("compare a database's schema with what its applied migrations produce"))
    .option('--env <name>', "the environment's database, over its SSH connection (the fresh migrate runs on database.local.url, else PGlite)")
    .action((o: Common & { env?: string }) =>
      withSignal(async (signal) => {
        if (o.env && o.database) throw new InputError('--env and --database both name the database to compare; give one');
        const t = await target(o);
        if (!o.env && !t.url) throw new InputError('drift needs --database <url> (or database.local.url) or --env <name>');
        const files = await targetMigrations(t);
        const ctx = cliContext(io, signal);
        const env = o.env
          ? await openEnvironmentDatabase(ctx, { configFile: o.config, cwd: io.cwd, envName: o.env, vars: io.env, applicationName: `greenlight migrate drift (${o.env})` })
          : undefined;
        const session = env?.session ?? (await openTargetSession(t, 'drift'));
        try {
          const provider = await scratchProviderFor(t);
          try {
            const r = await schemaDrift(session, files, provider, ctx, { targetDescription: env?.description });
            print(o.json, r, () => formatDrift(r));
            if (r.differences.length) io.exit(1);
          } finally {
            await provider.close();
          }
        } finally {
          await (env ? env.close() : session.close());
        }
      }),
    );

  common(migrate.command('accept-checksum').description('accept the new checksum of applied migrations that were edited (cosmetic changes only)'))
    .argument('<files...>', 'migration file names')
    .option('--lock-timeout <seconds>', 'how long to wait for another runner', '60')
    .action((names: string[], o: Common) =>
      withSignal(async (signal) => {
        const t = await target(o);
        const files = await targetMigrations(t);
        const { backend, close } = await openBackend(t, 'accept-checksum');
        try {
          const r = await acceptChecksums(backend, files, names, cliContext(io, signal), { lockTimeoutMs: lockTimeoutMs(o.lockTimeout) });
          print(o.json, r, () => r.accepted.map((a) => `accepted ${a.fileName}: ${a.from.slice(0, 12)}… → ${a.to.slice(0, 12)}…`).join('\n'));
        } finally {
          await close();
        }
      }),
    );
}
