// `greenlight deploy [image] [--env <name>]`: deploys a tested image (see src/core/deploy/deploy.ts).
// Without an image, the newest tested image of HEAD; without --env, the only environment.
// Exit 0 when the new version serves, 1 when the deploy failed or rolled back, 2 for bad input.
import type { Command } from 'commander';
import { InputError } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/load';
import { deploy } from '../../core/deploy/deploy';
import { deploySwarm } from '../../core/deploy/swarm';
import { headCommit, newestTestedOfCommit } from '../../core/deploy/defaults';
import { pickService } from '../../core/deploy/environment';
import { noteEnvironmentChanged } from '../../core/deploy/localActivity';
import { breakLock } from '../../core/deploy/lock';
import { openEnvironment } from '../../core/deploy/session';
import { openLedger } from '../../core/images/ledger';
import { localDocker } from '../../core/images/adapters/dockerodeAdapter';
import type { ShipMode } from '../../core/ship/ship';
import { cliContext, colorsOf, type CliIo } from '../io';
import { withSignal } from './ship';
import { defaultEnvironment } from './status';

export function registerDeploy(program: Command, io: CliIo): void {
  program
    .command('deploy')
    .description('deploy a tested image: preflight, lock, ship, backup, health, release tasks, swap, automatic rollback')
    .argument('[image]', 'local image (repo:tag or image ID) that passed greenlight test (default: the newest tested image of HEAD)')
    .option('-e, --env <name>', 'environment from greenlight.yaml (optional when there is one)')
    .option('-c, --config <file>', 'project file', CONFIG_FILE_NAME)
    .option('-s, --service <name>', 'service to deploy (when there are several)')
    .option('--version <version>', 'version label (default: from the test record or the tag)')
    .option('--mode <mode>', 'ship mode: stream, artifact or registry (default: from the environment)')
    .option('--artifact <file>', 'exported image archive for --mode artifact')
    .option('--override-untested <reason>', 'deploy an image without a passing test; the reason is written to the audit log')
    .option('--skip-backup', 'do not take the pre-deploy backup (recorded in the result)')
    .option('--force-backup', 'take the pre-deploy backup even when no migrations are pending')
    .option('--break-lock', 'break a stale deploy lock first (names the holder it removes)')
    .option('--maintenance', "the proxy answers the service's routes with the maintenance page while the release tasks run (proxy.maintenance for this deploy)")
    .option('--json', 'print the result as JSON')
    .action(async (imageArg: string | undefined, opts: { env?: string; config: string; service?: string; version?: string; mode?: ShipMode; artifact?: string; overrideUntested?: string; skipBackup?: boolean; forceBackup?: boolean; breakLock?: boolean; maintenance?: boolean; json?: boolean }) => {
      await withSignal(async (signal) => {
        const ctx = cliContext(io, signal);
        const envName = await defaultEnvironment(io, opts.config, opts.env);
        const s = await openEnvironment(ctx, { configFile: opts.config, cwd: io.cwd, envName, vars: io.env });
        const local = localDocker();
        try {
          if (opts.skipBackup && opts.forceBackup) throw new InputError('--skip-backup and --force-backup contradict each other; give one');
          if (opts.breakLock) {
            const h = await breakLock(ctx, s.host, s.environment.env.stateDir);
            io.err(h === 'free' ? 'lock: there was no lock to break' : `lock: broke the lock${h ? ` of ${h.who} (${h.what}, since ${h.since})` : ''}`);
          }
          const ledger = await openLedger(s.root);
          if (s.environment.env.swarm) {
            // A swarm deploys a release: every service's newest tested image of HEAD, or the one image given.
            const head = imageArg ? undefined : await headCommit(s.root, signal);
            const images = imageArg
              ? [{ service: pickService(s.config, opts.service).name, image: imageArg, version: opts.version }]
              : s.config.services.filter((x) => !opts.service || x.name === opts.service).map((x) => ({ service: x.name, image: newestTestedOfCommit(ledger, x.name, head!).imageId }));
            if (opts.mode === 'artifact' || opts.skipBackup || opts.maintenance) throw new InputError(`environment "${envName}" is a swarm: --mode artifact, --skip-backup and --maintenance are for single hosts`);
            const r = await deploySwarm(ctx, local, s.host, { config: s.config, environment: s.environment, images, ledger, untestedOverride: opts.overrideUntested, secrets: s.secrets, shipMode: opts.mode, backup: opts.forceBackup ? 'always' : undefined });
            if (opts.json) io.out(JSON.stringify(r, null, 2));
            else {
              const c = colorsOf(io).out;
              io.out(`${r.outcome === 'succeeded' ? c.green(r.outcome) : c.red(r.outcome)}: ${r.message}`);
              for (const x of r.services) io.out(`  ${x.service} ${x.version}: ${x.result}${x.previousVersion ? ` (previous ${x.previousVersion})` : ''}`);
              if (r.restoreOffer) io.out(`to restore the pre-deploy backup: greenlight backup restore --env ${envName} ${r.restoreOffer.backupId}`);
            }
            io.exit(r.outcome === 'succeeded' ? 0 : 1);
            return;
          }
          let image = imageArg;
          let service = opts.service;
          if (!image) {
            const svc = pickService(s.config, opts.service).name;
            const rec = newestTestedOfCommit(ledger, svc, await headCommit(s.root, signal));
            image = rec.imageId;
            service = svc;
            io.err(`deploying ${svc} ${rec.version} (${rec.imageId.slice(7, 19)}), the newest tested image of HEAD, to ${envName}`);
          }
          // Even a failed deploy leaves an audit record and maybe a rolled-back container behind.
          const r = await deploy(ctx, local, s.host, {
            config: s.config,
            environment: s.environment,
            service,
            image,
            version: opts.version,
            ledger,
            untestedOverride: opts.overrideUntested,
            secrets: s.secrets,
            shipMode: opts.mode,
            artifact: opts.artifact ? { file: opts.artifact } : undefined,
            skipBackup: opts.skipBackup,
            backup: opts.forceBackup ? 'always' : undefined,
            maintenance: opts.maintenance ? true : undefined,
          });
          if (opts.json) io.out(JSON.stringify(r, null, 2));
          else {
            const c = colorsOf(io).out;
            io.out(`${r.outcome === 'succeeded' ? c.green(r.outcome) : c.red(r.outcome)}: ${r.message}`);
            io.out(`serving: ${r.serving}${r.backup ? `; backup ${r.backup.id}` : r.backupReason ? `; no backup: ${r.backupReason}` : ''}${r.switchMs !== undefined ? `; switch ${r.switchMs} ms` : ''}`);
            if (r.restoreOffer) io.out(`to restore the pre-deploy backup: greenlight backup restore --env ${envName} ${r.restoreOffer.backupId}`);
          }
          io.exit(r.outcome === 'succeeded' ? 0 : 1);
        } finally {
          await noteEnvironmentChanged(s.root, envName, 'deploy');
          local.close();
          s.close();
        }
      });
    });
}
