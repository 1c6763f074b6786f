import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { Secret } from '../../../src/core/common/secret';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { deploySwarm, type SwarmDeployRequest } from '../../../src/core/deploy/swarm';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage } from '../deploy/appImages';
import { recordingContext } from '../deploy/bed';
import { managedRegistryConfig, swarmbed, until, type Swarmbed } from './swarmbed';

/** A swarm task as the engine lists it (the fields this suite reads). */
interface Task { ID: string; NodeID: string; DesiredState: string; Status: { State: string }; Spec: { ContainerSpec: { Image: string } } }

// A worker's dockerd stopped for real in the middle of a rolling update. Docker 20.10's updater waits,
// without a timeout, for the new task it assigned to that node before the manager marked it down
// (about 15 s: heartbeat 5 s × 3); the deploy re-submits the update and it converges on the two
// nodes that remain. The worker is started again (swarm-up.sh repairs the bed) in the teardown.
suite('(integration) swarm: a worker node stopped mid-update', function () {
  this.timeout(400000);
  const id = randomBytes(3).toString('hex');
  const project = `glnd${id}`;
  let sb: Swarmbed;
  let mgr: Docker;
  let host: RemoteHost;
  let local: DockerEngine;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  let stopped: string | undefined;
  const tags = { v1: `gl-swnd:${id}v1`, v2: `gl-swnd:${id}v2`, bad: `gl-swnd:${id}bad` };
  const request = (image: string, cfg = config, more: Record<string, string> = {}): SwarmDeployRequest => ({
    config: cfg,
    environment: resolveEnvironment(cfg, workspace, 'cluster', new Secret('unused')),
    images: [{ service: 'web', image }, ...Object.entries(more).map(([service, img]) => ({ service, image: img }))],
    ledger,
    secrets: { env: {} },
    who: 'swarm-node-down-test',
  });
  const service = `${project}-web`;
  const tasks = async (name = service): Promise<Task[]> => (await mgr.listTasks({ filters: { service: [name] } })) as Task[];
  const pidFile = (): string => path.join(sb.root, 'w1', 'dockerd.pid');
  /** A context that stops w1's dockerd (SIGTERM, as `systemctl stop docker` would) the moment the rolling update is submitted. */
  const stoppingW1 = (): ReturnType<typeof recordingContext> => {
    const ctx = recordingContext();
    const log = ctx.log.bind(ctx);
    ctx.log = (line, level) => {
      if (!stopped && /^start: .* updating/.test(line)) {
        const pid = Number(readFileSync(pidFile(), 'utf8').trim());
        assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'dockerd');
        process.kill(pid, 'SIGTERM');
        stopped = `dockerd ${pid} of w1 stopped at ${new Date().toISOString()}`;
      }
      log(line, level);
    };
    return ctx;
  };
  const repair = async (): Promise<void> => {
    execFileSync('bash', [path.resolve(__dirname, '../../testbed/swarm-up.sh')], { stdio: 'ignore', timeout: 180000 });
    stopped = undefined;
    await until('w1 ready again', 60000, async () => ((await nodeOf('w1')).state === 'ready' ? true : undefined));
  };
  const nodeOf = async (label: string): Promise<{ id: string; state: string }> => {
    const n = ((await mgr.listNodes()) as Array<{ ID: string; Spec: { Labels: Record<string, string> }; Status: { State: string } }>).find((x) => x.Spec.Labels['greenlight.node'] === label)!;
    return { id: n.ID, state: n.Status.State };
  };

  suiteSetup(async function () {
    sb = swarmbed();
    mgr = new Docker({ socketPath: sb.managerSock });
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-swnd-'));
    ledger = await openLedger(workspace);
    for (const [v, tag] of Object.entries(tags)) {
      const imageId = buildAppImage(tag, v, v === 'bad' ? { healthStatus: 500 } : {});
      await ledger.record({ imageId, service: 'web', version: `${id}${v}`, tags: [tag], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    config = configSchema.parse({
      project,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } }],
      environments: {
        cluster: {
          ssh: { host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey },
          docker: { socket: sb.managerSock },
          stateDir: `.greenlight/swnd-${id}`,
          swarm: {
            registry: managedRegistryConfig(sb),
            // A pause between tasks keeps the update going while the manager notices the node is gone.
            update: { parallelism: 1, delaySeconds: 2, monitorSeconds: 1 },
            services: { web: { replicas: 4, healthCommand: ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'] } },
            convergeTimeoutSeconds: 180,
          },
        },
      },
    });
    local = localDocker();
    host = await RemoteHost.connect({ host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey }, sb.managerSock, recordingContext());
  });

  suiteTeardown(async function () {
    // The stopped worker comes back: swarm-up.sh starts its dockerd and waits for 3 Ready nodes.
    if (stopped) execFileSync('bash', [path.resolve(__dirname, '../../testbed/swarm-up.sh')], { stdio: 'ignore', timeout: 180000 });
    for (const s of [service, `${project}r-web`, `${project}r-api`]) await mgr?.getService(s).remove().catch(() => undefined);
    if (host) {
      await host.exec(['rm', '-rf', '--', config.environments.cluster!.stateDir, `${config.environments.cluster!.stateDir}r`]);
      host.close();
    }
    for (const t of Object.values(tags)) await local?.removeImage(t).catch(() => undefined);
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('the update converges on the two nodes that remain, and the deploy succeeds', async function () {
    const first = await deploySwarm(recordingContext(), local, host, request(tags.v1));
    assert.equal(first.outcome, 'succeeded', first.message);
    const w1 = await nodeOf('w1');
    assert.equal(w1.state, 'ready');

    // The worker's dockerd stops as soon as the rolling update has been submitted.
    const ctx = stoppingW1();
    const started = Date.now();
    const r = await deploySwarm(ctx, local, host, request(tags.v2));
    const tookMs = Date.now() - started;
    assert.ok(stopped, 'the worker was stopped during the deploy');
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.deepEqual(r.services.map((s) => [s.service, s.result]), [['web', 'updated']]);
    await until('the manager sees the worker down', 60000, async () => ((await nodeOf('w1')).state === 'down' ? true : undefined));

    // Every task the swarm wants running runs the new digest, on the manager and the other worker.
    const svc = await mgr.getService(service).inspect();
    const image = svc.Spec.TaskTemplate.ContainerSpec.Image as string;
    assert.equal(image, r.services[0]!.image);
    const live = (await tasks()).filter((t) => t.NodeID !== w1.id && t.DesiredState === 'running');
    assert.equal(live.length, 4, JSON.stringify(live.map((t) => [t.NodeID, t.Status.State])));
    for (const t of live) assert.deepEqual([t.Status.State, t.Spec.ContainerSpec.Image], ['running', image]);
    assert.equal(svc.UpdateStatus?.State, 'completed');
    // When the swarm had put a new task on the stopped worker, the deploy said so and re-submitted.
    const resubmitted = ctx.lines.some((l) => /re-submitted the update so it goes on with the nodes that remain/.test(l));
    if (resubmitted) {
      const stuck = (await tasks()).filter((t) => t.NodeID === w1.id && t.Spec.ContainerSpec.Image === image && t.Status.State !== 'running');
      assert.ok(stuck.length > 0, `the re-submit named a task of the new image on w1 that never ran\n${ctx.lines.join('\n')}`);
    }
    console.log(`      (${stopped}; deploy took ${Math.round(tookMs / 1000)} s; new task stuck on the stopped worker: ${resubmitted ? 'yes, update re-submitted' : 'no'})`);
  });

  test('the stopped worker comes back: swarm-up.sh repairs the bed to 3 Ready nodes', async function () {
    if (!stopped) this.skip();
    await repair();
  });

  test('a re-submitted update in a release that fails later: the whole release goes back, the re-submitted service by its previous spec', async function () {
    // Placement makes the swarm's first new task of web land on w1 for certain: v1 runs both
    // replicas on w2; v2 may use either worker, and w1 runs none of web's tasks.
    const base = config.environments.cluster!;
    const cfgWith = (webConstraint: string): GreenlightConfig => configSchema.parse({
      project: `${project}r`,
      services: [
        { name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } },
        // api's bad version fails its health only after 30 s: after web's update was re-submitted.
        { name: 'api', port: 8080, env: { BIND: '0.0.0.0' }, health: { path: '/cgi-bin/health', timeoutSeconds: 30, intervalMs: 500 } },
      ],
      environments: {
        cluster: {
          ssh: base.ssh,
          docker: base.docker,
          stateDir: `${base.stateDir}r`,
          swarm: {
            registry: base.swarm!.registry,
            update: { parallelism: 1, delaySeconds: 0, monitorSeconds: 1 },
            services: {
              web: { replicas: 2, constraints: [webConstraint], healthCommand: ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'] },
              api: { replicas: 1, constraints: ['node.labels.greenlight.node==m'], healthCommand: ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'] },
            },
            convergeTimeoutSeconds: 180,
          },
        },
      },
    });
    const v1cfg = cfgWith('node.labels.greenlight.node==w2');
    const first = await deploySwarm(recordingContext(), local, host, request(tags.v1, v1cfg, { api: tags.v1 }));
    assert.equal(first.outcome, 'succeeded', first.message);
    const v1web = (await mgr.getService(`${project}r-web`).inspect()).Spec.TaskTemplate.ContainerSpec.Image as string;
    const w1 = await nodeOf('w1');

    const ctx = stoppingW1();
    const r = await deploySwarm(ctx, local, host, request(tags.v2, cfgWith('node.role==worker'), { api: tags.bad }));
    assert.ok(stopped);
    const log = ctx.lines.join('\n');
    assert.equal(r.outcome, 'rolled-back', `${r.message}\n${log}`);
    assert.match(log, /health: web: the swarm's update waits for 1 new task\(s\) on a node that went down .*re-submitted the update/);
    assert.match(log, /rollback: .*-web back to .*v1 \(its previous spec submitted again: the update was re-submitted\)/);
    assert.deepEqual(r.services.map((s) => [s.service, s.result]), [['web', 'rolled-back'], ['api', 'rolled-back']], log);
    const web = await mgr.getService(`${project}r-web`).inspect();
    assert.equal(web.Spec.TaskTemplate.ContainerSpec.Image, v1web, 'web runs the first release\'s digest again');
    const live = (await tasks(`${project}r-web`)).filter((t) => t.NodeID !== w1.id && t.DesiredState === 'running');
    assert.deepEqual(live.map((t) => [t.Status.State, t.Spec.ContainerSpec.Image]), [['running', v1web], ['running', v1web]]);
  });

  test('the worker comes back again', async function () {
    if (!stopped) this.skip();
    await repair();
  });
});
