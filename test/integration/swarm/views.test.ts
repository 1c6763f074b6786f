import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { Secret } from '../../../src/core/common/secret';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import type { EnvironmentStatus } from '../../../src/core/deploy/status';
import { deploySwarm, type SwarmDeployRequest, type SwarmRollbackResult } from '../../../src/core/deploy/swarm';
import { swarmStatus, type SwarmServiceStatus } from '../../../src/core/deploy/swarmStatus';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { RemoteHost } from '../../../src/core/ship/remoteHost';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';
import { buildAppImage } from '../deploy/appImages';
import { recordingContext } from '../deploy/bed';
import { managedRegistryUp, swarmbed, type Swarmbed } from './swarmbed';

// What a swarm environment shows (`greenlight status`, the Environments view's data) on the three-node
// test bed: the nodes, a service's replicas per version while a rolling update moves and after, the
// release history; and what `greenlight rollback` says about the schema the previous images meet.
suite('(integration) swarm views: status of a swarm environment, schema verdict of a release rollback', function () {
  this.timeout(300000);
  const id = randomBytes(3).toString('hex');
  const project = `swv${id}`;
  const db = `swv_${id}`;
  let sb: Swarmbed;
  let host: RemoteHost;
  let local: DockerEngine;
  let mgr: Docker;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  const tags = { v1: `swv-app:${id}v1`, v2: `swv-app:${id}v2` };
  const healthCommand = ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'];
  const migration = (dir: 'deploy' | 'revert', name: string, sql: string): void => writeFileSync(path.join(workspace, 'db', dir, name), sql);
  const request = (images: Record<string, string>): SwarmDeployRequest => ({
    config,
    environment: resolveEnvironment(config, workspace, 'cluster', new Secret('apppass')),
    images: Object.entries(images).map(([service, image]) => ({ service, image })),
    ledger,
    secrets: { dbPassword: new Secret('apppass'), env: {} },
    who: 'swarm-views-test',
  });
  const cli = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    const out: string[] = [];
    const err: string[] = [];
    let code = -1;
    const io: CliIo = { cwd: workspace, env: { ...process.env, GL_TEST_DB_PASSWORD: 'apppass' }, out: (t) => out.push(t), err: (t) => err.push(t), exit: (c) => { code = Math.max(code, c); } };
    const exit = await runCli(args, io);
    return { code: Math.max(exit, code), out: out.join('\n'), err: err.join('\n') };
  };

  suiteSetup(async function () {
    sb = swarmbed();
    mgr = new Docker({ socketPath: sb.managerSock });
    // This suite names the registry by its address (a registry Greenlight does not start: here the
    // managed one, started beforehand), the form `swarm.registry: host:port` takes.
    await managedRegistryUp(sb);
    workspace = mkdtempSync(path.join(os.tmpdir(), 'swv-'));
    // sqitch's layout: the runner reads db/deploy; the down migrations sit in db/revert.
    mkdirSync(path.join(workspace, 'db', 'deploy'), { recursive: true });
    mkdirSync(path.join(workspace, 'db', 'revert'));
    ledger = await openLedger(workspace);
    for (const [v, tag] of Object.entries(tags)) {
      const imageId = buildAppImage(tag, v);
      await ledger.record({ imageId, service: 'web', version: `${id}${v}`, tags: [tag], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    const raw = {
      project,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, networks: [`${project}-net`], health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } }],
      database: { kind: 'postgres', name: db, migrations: 'db/deploy' },
      environments: {
        cluster: {
          ssh: { host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey },
          docker: { socket: sb.managerSock },
          database: { host: sb.managerIp, port: 5432, name: db, user: 'app', passwordEnv: 'GL_TEST_DB_PASSWORD' },
          backups: { dir: `${sb.backupsDir}/swv-${id}` },
          stateDir: `.greenlight/swv-${id}`,
          swarm: { registry: sb.registry, update: { parallelism: 1, monitorSeconds: 2 }, services: { web: { replicas: 3, healthCommand } }, convergeTimeoutSeconds: 150 },
        },
      },
    };
    config = configSchema.parse(raw);
    writeFileSync(path.join(workspace, 'greenlight.yaml'), JSON.stringify(raw, null, 2));
    local = localDocker();
    host = await RemoteHost.connect({ host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey }, sb.managerSock, recordingContext());
    await host.run(['psql', '-X', '-q', '-h', '127.0.0.1', '-U', 'app', '-d', 'appdb', '-c', `CREATE DATABASE ${db}`]);
  });

  suiteTeardown(async function () {
    await mgr?.getService(`${project}-web`).remove().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    await mgr?.getNetwork(`${project}-net`).remove().catch(() => undefined);
    if (host) {
      await host.run(['psql', '-X', '-q', '-h', '127.0.0.1', '-U', 'app', '-d', 'appdb', '-c', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`]).catch(() => undefined);
      await host.exec(['rm', '-rf', '--', config.environments.cluster!.backups.dir, config.environments.cluster!.stateDir]);
      host.close();
    }
    for (const t of Object.values(tags)) await local?.removeImage(t).catch(() => undefined);
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('greenlight status --json: three nodes (one manager), web 3/3 on the first version, one release recorded', async function () {
    migration('deploy', '001_items.sql', 'CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY);\n');
    const ctx = recordingContext();
    const r = await deploySwarm(ctx, local, host, request({ web: tags.v1 }));
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    const { code, out, err } = await cli(['status', '--env', 'cluster', '--json']);
    assert.equal(code <= 0 ? 0 : code, 0, `${out}\n${err}`);
    const st = JSON.parse(out) as EnvironmentStatus;
    assert.ok(st.swarm, out);
    assert.equal(st.swarm.nodes.length, 3);
    assert.deepEqual(st.swarm.nodes.map((n) => n.role), ['manager', 'worker', 'worker']);
    assert.deepEqual([...new Set(st.swarm.nodes.map((n) => `${n.state} ${n.availability}`))], ['ready active']);
    assert.deepEqual(st.swarm.nodes.map((n) => n.address).sort(), [sb.managerIp, ...sb.workerIps].sort());
    const web = st.swarm.services[0]!;
    assert.deepEqual([web.service, web.version, web.replicas, web.running], ['web', `${id}v1`, 3, 3]);
    assert.deepEqual(web.versions.map((v) => [v.version, v.running, v.desired]), [[`${id}v1`, 3, 3]]);
    assert.deepEqual(st.swarm.releases.map((x) => [x.deployId, x.migrationsApplied]), [[r.deployId, ['001_items.sql']]]);
    assert.deepEqual(st.services.map((s) => [s.service, s.version, s.state, s.healthy]), [['web', `${id}v1`, '3/3 running', true]]);
    // The text form says the same.
    const text = await cli(['status', '--env', 'cluster']);
    assert.match(text.out, /nodes \(3 of 3 ready and active\)/);
    assert.match(text.out, new RegExp(`web: 3/3 on ${id}v1`));
  });

  test('during a rolling update both versions are shown with their running/desired replicas; after it, only the new one', async function () {
    migration('deploy', '002_price.sql', 'ALTER TABLE items ADD COLUMN price int;\n');
    migration('revert', '002_price.sql', 'ALTER TABLE items DROP COLUMN price;\n');
    migration('deploy', '003_notes.sql', 'CREATE TABLE notes (id int);\n');
    const seen: SwarmServiceStatus[] = [];
    let deploying = true;
    const env = resolveEnvironment(config, workspace, 'cluster', new Secret('apppass'));
    const watch = (async () => {
      while (deploying) {
        const s = (await swarmStatus(recordingContext(), host, config, env)).services[0]!;
        if (s.versions.length > 1) seen.push(s);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const ctx = recordingContext();
    const r = await deploySwarm(ctx, local, host, request({ web: tags.v2 })).finally(() => (deploying = false));
    await watch;
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.ok(seen.length > 0, 'the update was seen with two versions side by side');
    // Every reading names both versions, the new one first; the new one's row exists (0/0) from the
    // moment the spec changes, before its first task is scheduled, so replicas are asserted on one
    // reading where both have tasks.
    for (const mid of seen) assert.deepEqual(mid.versions.map((v) => v.version), [`${id}v2`, `${id}v1`], JSON.stringify(mid.versions));
    assert.ok(seen.some((mid) => mid.versions.every((v) => v.running + v.desired > 0)), JSON.stringify(seen.map((m) => m.versions)));
    const after = (await swarmStatus(recordingContext(), host, config, env)).services[0]!;
    assert.deepEqual(after.versions.filter((v) => v.running > 0).map((v) => [v.version, v.running]), [[`${id}v2`, 3]]);
  });

  test('greenlight rollback says the previous images meet a newer schema: 002 reversible (revert/), 003 not', async function () {
    const { code, out, err } = await cli(['rollback', '--env', 'cluster', '--json']);
    assert.equal(code <= 0 ? 0 : code, 0, `${out}\n${err}`);
    const r = JSON.parse(out) as SwarmRollbackResult;
    assert.equal(r.outcome, 'succeeded', out);
    assert.equal(r.schema.fits, 'no');
    assert.deepEqual(r.schema.migrations.map((m) => [m.name, m.reversible, m.down]), [['002_price.sql', 'yes', '../revert/002_price.sql'], ['003_notes.sql', 'no', undefined]]);
    assert.match(r.schema.summary, /1 cannot be undone/);
    const st = JSON.parse((await cli(['status', '--env', 'cluster', '--json'])).out) as EnvironmentStatus;
    assert.equal(st.swarm!.releases[0]!.restored, st.swarm!.releases[2]!.deployId, 'the newest release is the rollback to the first');
    assert.equal(st.swarm!.services[0]!.version, `${id}v1`);
  });
});
