import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { Secret } from '../../../src/core/common/secret';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { DEPLOY_STEPS } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { LockHeldError, acquireLock, releaseLock } from '../../../src/core/deploy/lock';
import { deploySwarm, rollbackSwarmRelease, type SwarmDeployRequest } from '../../../src/core/deploy/swarm';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { RemoteHost } from '../../../src/core/ship/remoteHost';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';
import { buildAppImage } from '../deploy/appImages';
import { recordingContext } from '../deploy/bed';
import { managedRegistryConfig, swarmbed, type Swarmbed } from './swarmbed';

// The swarm deploy target on the three-node test bed: a release of two services × 3 replicas
// through the manager's SSH, the cluster registry and the manager's PostgreSQL.
suite('(integration) swarm deploy: a release of two services on three nodes', function () {
  this.timeout(300000);
  const id = randomBytes(3).toString('hex');
  const project = `glsw${id}`;
  const db = `glsw_${id}`;
  let sb: Swarmbed;
  let host: RemoteHost;
  let local: DockerEngine;
  let mgr: Docker;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  let raw: Record<string, unknown>;
  const tags = { v1: `gl-swit:${id}v1`, v2: `gl-swit:${id}v2`, bad: `gl-swit:${id}bad` };
  const healthCommand = ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'];

  const psql = async (sql: string, database = db): Promise<string> =>
    (await host.run(['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'app', '-d', database, '-c', sql])).trim();
  const migration = (name: string, sql: string): void => writeFileSync(path.join(workspace, 'migrations', name), sql);
  const request = (images: Record<string, string>, cfg = config): SwarmDeployRequest => ({
    config: cfg,
    environment: resolveEnvironment(cfg, workspace, 'cluster', new Secret('apppass')),
    images: Object.entries(images).map(([service, image]) => ({ service, image })),
    ledger,
    secrets: { dbPassword: new Secret('apppass'), env: {} },
    who: 'swarm-integration-test',
  });
  /** What the manager says about one service: its spec's image, object version, and its running tasks' images. */
  const state = async (service: string): Promise<{ image: string; index: number; running: string[]; nodes: number }> => {
    const s = await mgr.getService(`${project}-${service}`).inspect();
    const tasks = (await mgr.listTasks({ filters: { service: [`${project}-${service}`], 'desired-state': ['running'] } })) as Array<{ NodeID: string; Status: { State: string }; Spec: { ContainerSpec: { Image: string } } }>;
    const run = tasks.filter((t) => t.Status.State === 'running');
    return { image: s.Spec.TaskTemplate.ContainerSpec.Image, index: s.Version.Index, running: run.map((t) => t.Spec.ContainerSpec.Image), nodes: new Set(run.map((t) => t.NodeID)).size };
  };

  suiteSetup(async function () {
    sb = swarmbed();
    mgr = new Docker({ socketPath: sb.managerSock });
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-swarm-'));
    mkdirSync(path.join(workspace, 'migrations'));
    ledger = await openLedger(workspace);
    for (const [v, tag] of Object.entries(tags)) {
      const imageId = buildAppImage(tag, v, v === 'bad' ? { healthStatus: 500 } : {});
      await ledger.record({ imageId, service: 'web', version: `${id}${v}`, tags: [tag], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    const service = (name: string) => ({ name, port: 8080, env: { BIND: '0.0.0.0' }, networks: [`${project}-net`], health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } });
    raw = {
      project,
      services: [service('web'), service('api')],
      database: { kind: 'postgres', name: db },
      environments: {
        cluster: {
          ssh: { host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey },
          docker: { socket: sb.managerSock },
          database: { host: sb.managerIp, port: 5432, name: db, user: 'app', passwordEnv: 'GL_TEST_DB_PASSWORD' },
          backups: { dir: `${sb.backupsDir}/it-${id}` },
          stateDir: `.greenlight/swarm-it-${id}`,
          swarm: {
            registry: managedRegistryConfig(sb),
            update: { parallelism: 1, monitorSeconds: 1 },
            services: { web: { replicas: 3, healthCommand }, api: { replicas: 3, healthCommand, resources: { memoryMb: 64 } } },
            convergeTimeoutSeconds: 150,
          },
        },
      },
    };
    config = configSchema.parse(raw);
    // The same project as a file, for the CLI (JSON is YAML).
    writeFileSync(path.join(workspace, 'greenlight.yaml'), JSON.stringify(raw, null, 2));
    local = localDocker();
    host = await RemoteHost.connect({ host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey }, sb.managerSock, recordingContext());
    await psql(`CREATE DATABASE ${db}`, 'appdb');
  });

  suiteTeardown(async function () {
    for (const s of ['web', 'api']) await mgr?.getService(`${project}-${s}`).remove().catch(() => undefined);
    await mgr?.getNetwork(`${project}-net`).remove().catch(() => undefined);
    if (host) {
      await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, 'appdb').catch(() => undefined);
      await host.exec(['rm', '-rf', '--', config.environments.cluster!.backups.dir, config.environments.cluster!.stateDir]);
      host.close();
    }
    for (const t of Object.values(tags)) await local?.removeImage(t).catch(() => undefined);
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('first deploy: migrations once before any service, then two services × 3 replicas converge on every node, pulled by digest', async function () {
    migration('001_items.sql', 'CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY);\n');
    const ctx = recordingContext();
    const r = await deploySwarm(ctx, local, host, request({ web: tags.v1, api: tags.v1 }));
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.deepEqual(r.services.map((s) => [s.service, s.result]), [['web', 'created'], ['api', 'created']]);
    // The same named steps as a single-host deploy, in the same order; the swarm skips four and says why.
    assert.deepEqual(r.steps.map((s) => s.step), [...DEPLOY_STEPS]);
    assert.deepEqual(r.steps.filter((s) => s.outcome === 'skipped').map((s) => s.step), ['after-health tasks', 'switch', 'drain', 'keep']);
    assert.equal(await psql("SELECT to_regclass('items') IS NOT NULL"), 't');
    for (const s of ['web', 'api']) {
      const st = await state(s);
      assert.match(st.image, new RegExp(`^${sb.registry.replace(/\./g, '\\.')}/${project}-${s}@sha256:[0-9a-f]{64}$`), st.image);
      assert.deepEqual(st.running, [st.image, st.image, st.image], `${s}: 3 running tasks of the deployed digest`);
      assert.ok(st.nodes >= 2, `${s}: tasks spread over ${st.nodes} node(s)`);
    }
    // The migration ran before any service was started: its log line precedes the first "start:" line.
    const mig = ctx.lines.findIndex((l) => /release task migrate: ok/.test(l));
    const start = ctx.lines.findIndex((l) => /start: .* created/.test(l));
    assert.ok(mig >= 0 && start > mig, ctx.lines.join('\n'));
    assert.ok(ctx.lines.some((l) => /health: web: 3\/3 on/.test(l)), 'the deploy reports replicas as they move');
  });

  test('a failing health on one service rolls the whole release back: both services run the previous release again', async function () {
    const before = { web: await state('web'), api: await state('api') };
    const ctx = recordingContext();
    // web gets a good new version, api a version whose health check fails.
    const r = await deploySwarm(ctx, local, host, request({ web: tags.v2, api: tags.bad }));
    assert.equal(r.outcome, 'rolled-back', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.match(r.message, /api .*bad/);
    assert.deepEqual(r.services.map((s) => [s.service, s.result]), [['web', 'rolled-back'], ['api', 'rolled-back']]);
    for (const s of ['web', 'api'] as const) {
      const st = await state(s);
      assert.equal(st.image, before[s].image, `${s} is back on the first release's image`);
      assert.deepEqual(st.running, [before[s].image, before[s].image, before[s].image]);
    }
  });

  test('a migration failure updates nothing: the services keep their spec (same object version) and the database its schema', async function () {
    const before = { web: await state('web'), api: await state('api') };
    migration('002_broken.sql', 'CREATE TABLE broken (id int);\nSELECT no_such_function();\n');
    try {
      const ctx = recordingContext();
      const r = await deploySwarm(ctx, local, host, request({ web: tags.v2, api: tags.v2 }));
      assert.equal(r.outcome, 'failed', r.message);
      assert.match(r.message, /002_broken\.sql/);
      assert.match(r.message, /No service was changed/);
      assert.deepEqual(r.services.map((s) => s.result), ['untouched', 'untouched']);
      assert.ok(r.restoreOffer, 'the pre-deploy backup is offered');
      assert.equal(await psql("SELECT to_regclass('broken') IS NULL"), 't', 'the failed migration was rolled back');
      for (const s of ['web', 'api'] as const) assert.deepEqual(await state(s), before[s]);
    } finally {
      rmSync(path.join(workspace, 'migrations', '002_broken.sql'));
    }
  });

  test('a failing release task (a one-off container of the new image on the manager, on the overlay network) updates nothing', async function () {
    const before = { web: await state('web'), api: await state('api') };
    const env = config.environments.cluster!;
    const cfg: GreenlightConfig = { ...config, environments: { cluster: { ...env, releaseTasks: [{ name: 'seed', command: ['/bin/busybox', 'sh', '-c', 'echo seeding on $(/bin/busybox hostname); exit 3'], phase: 'before-start' }] } } };
    const ctx = recordingContext();
    const r = await deploySwarm(ctx, local, host, request({ web: tags.v2, api: tags.v2 }, cfg));
    assert.equal(r.outcome, 'failed', r.message);
    assert.match(r.message, /release task "seed" failed \(exit 3\)\. No service was changed/);
    assert.ok(ctx.lines.some((l) => /\[seed stdout\] seeding on/.test(l)), ctx.lines.join('\n'));
    for (const s of ['web', 'api'] as const) assert.deepEqual(await state(s), before[s]);
  });

  test('a second deploy is refused while one holds the lock, and the services are not touched', async function () {
    const before = await state('web');
    const env = config.environments.cluster!;
    await acquireLock(recordingContext(), host, env.stateDir, { who: 'someone-else', machine: 'elsewhere', pid: 1, since: new Date().toISOString(), what: 'deploy web', deployId: 'held-by-test', env: 'cluster' });
    try {
      await assert.rejects(deploySwarm(recordingContext(), local, host, request({ web: tags.v2 })), (e: unknown) => e instanceof LockHeldError && /someone-else/.test((e as Error).message));
      assert.deepEqual(await state('web'), before);
    } finally {
      await releaseLock(host, env.stateDir, 'held-by-test');
    }
  });

  test('release rollback across two services: both return together to the previous release; the migration run since is named with its backup', async function () {
    const v1 = { web: await state('web'), api: await state('api') };
    migration('002_add_price.sql', 'ALTER TABLE items ADD COLUMN IF NOT EXISTS price int;\n');
    const ctx = recordingContext();
    const r = await deploySwarm(ctx, local, host, request({ web: tags.v2, api: tags.v2 }));
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.ok(r.backup, 'a pre-deploy backup for the pending migration');
    const v2 = { web: await state('web'), api: await state('api') };
    assert.notEqual(v2.web.image, v1.web.image);
    assert.notEqual(v2.api.image, v1.api.image);

    const rctx = recordingContext();
    const back = await rollbackSwarmRelease(rctx, host, { config, environment: resolveEnvironment(config, workspace, 'cluster', new Secret('apppass')), secrets: { dbPassword: new Secret('apppass'), env: {} }, who: 'swarm-integration-test' });
    assert.equal(back.outcome, 'succeeded', `${back.message}\n${rctx.lines.join('\n')}`);
    assert.equal(back.from.deployId, r.deployId);
    assert.deepEqual(back.services.map((s) => [s.service, s.version, s.previousVersion]), [['web', `${id}v1`, `${id}v2`], ['api', `${id}v1`, `${id}v2`]]);
    assert.deepEqual(back.tasksSince, [{ deployId: r.deployId, tasks: ['migrate'] }]);
    assert.equal(back.backupId, r.backup!.id);
    assert.ok(rctx.lines.some((l) => /the database does not/.test(l)), rctx.lines.join('\n'));
    for (const s of ['web', 'api'] as const) {
      const st = await state(s);
      assert.equal(st.image, v1[s].image, `${s} runs the first release's image again`);
      assert.deepEqual(st.running, [v1[s].image, v1[s].image, v1[s].image]);
    }
    assert.equal(await psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price'"), '1', 'the database keeps the migration');
  });

  test('greenlight deploy --service web <image> on the swarm environment updates that service only', async function () {
    const before = { web: await state('web'), api: await state('api') };
    const out: string[] = [];
    const err: string[] = [];
    let code = -1;
    const io: CliIo = { cwd: workspace, env: { ...process.env, GL_TEST_DB_PASSWORD: 'apppass' }, out: (t) => out.push(t), err: (t) => err.push(t), exit: (c) => { code = Math.max(code, c); } };
    const exit = await runCli(['deploy', '--env', 'cluster', '--service', 'web', tags.v2], io);
    assert.equal(Math.max(exit, code), 0, `${out.join('\n')}\n${err.join('\n')}`);
    assert.match(out.join('\n'), new RegExp(`succeeded: web ${id}v2 \\(3 replica\\(s\\)\\) serving on swarm cluster`));
    assert.match(out.join('\n'), new RegExp(`web ${id}v2: updated \\(previous ${id}v1\\)`));
    const web = await state('web');
    assert.notEqual(web.image, before.web.image);
    assert.deepEqual(web.running, [web.image, web.image, web.image]);
    assert.deepEqual(await state('api'), before.api);
  });

  test('greenlight rollback on the swarm environment returns to the previous release (web back to the first version)', async function () {
    const v2web = await state('web');
    const out: string[] = [];
    const err: string[] = [];
    let code = -1;
    const io: CliIo = { cwd: workspace, env: { ...process.env, GL_TEST_DB_PASSWORD: 'apppass' }, out: (t) => out.push(t), err: (t) => err.push(t), exit: (c) => { code = Math.max(code, c); } };
    const exit = await runCli(['rollback', '--env', 'cluster'], io);
    assert.equal(Math.max(exit, code), 0, `${out.join('\n')}\n${err.join('\n')}`);
    assert.match(out.join('\n'), new RegExp(`succeeded: release .* is serving on swarm cluster again \\(web ${id}v1, api ${id}v1\\)`));
    const web = await state('web');
    assert.notEqual(web.image, v2web.image);
    assert.match(web.image, new RegExp(`/${project}-web@sha256:`));
    assert.deepEqual(web.running, [web.image, web.image, web.image]);
  });
});
