// A swarm service behind the manager's proxy, proven under load: while 20 keep-alive clients send
// 2,000 requests to the manager's published port, a start-first rolling update of 3 replicas
// (and then an update whose health fails, rolled back by the swarm and the deploy) runs to its end,
// and not one request fails. The proxy is Debian's Caddy in a FROM-scratch image
// (test/testbed/proxyImage.sh) on the manager's engine, on its own attachable overlay network, and
// reaches the tasks on every node by `tasks.<service>`.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { Proxy, routeIdOf } from '../../../src/core/deploy/proxy';
import { deploySwarm, type SwarmDeployRequest } from '../../../src/core/deploy/swarm';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { RemoteHost } from '../../../src/core/ship/remoteHost';
import { describeLoad, loadDuring, runLoad, type LoadResult } from '../../load/loadGenerator';
import { buildAppImage } from '../deploy/appImages';
import { recordingContext } from '../deploy/bed';
import { managedRegistryConfig, proxyImageOnManager, swarmbed, type Swarmbed } from './swarmbed';

const PORT = 18791;
const LOAD = { requests: 2000, concurrency: 20 };

suite('(integration) swarm behind the proxy: a rolling update of 3 replicas under load, zero failed requests', function () {
  this.timeout(400000);
  const id = randomBytes(3).toString('hex');
  const project = `swp${id}`;
  const proxyCfg = { container: `swp-caddy-${id}`, network: `swp-proxy-${id}` };
  let sb: Swarmbed;
  let host: RemoteHost;
  let local: DockerEngine;
  let mgr: Docker;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  const tags = { v1: `swp-app:${id}v1`, v2: `swp-app:${id}v2`, bad: `swp-app:${id}bad` };
  const healthCommand = ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'];

  const request = (image: string): SwarmDeployRequest => ({
    config,
    environment: resolveEnvironment(config, workspace, 'cluster'),
    images: [{ service: 'web', image }],
    ledger,
    secrets: { env: {} },
    who: 'swarm-proxy-integration-test',
  });

  /** Runs `op` while the load runs (it starts half a second in); the load must cover the whole rolling update. */
  const underLoad = async <T>(op: (marks: { updateStarted?: number }) => Promise<T>): Promise<{ result: T; load: LoadResult; versions: Record<string, number>; opEnded: number; updateStarted?: number }> => {
    const marks: { updateStarted?: number } = {};
    const x = await loadDuring({ host: sb.managerIp, port: PORT, path: '/', ...LOAD, ratePerSecond: 40, timeLimitMs: 240_000, versionOf: (body) => /demo (\S+)</.exec(body)?.[1] ?? 'other' }, () => op(marks));
    console.log(`      load: ${describeLoad(x.load)}; answered by ${JSON.stringify(x.versions)}; update ${marks.updateStarted ? `${((x.opEnded - marks.updateStarted) / 1000).toFixed(1)} s` : '?'}`);
    return { ...x, updateStarted: marks.updateStarted };
  };
  const markStart = (marks: { updateStarted?: number }) => recordingContext(undefined, (p) => {
    if (p.step === 'start' && !marks.updateStarted) marks.updateStarted = Date.now();
  });

  const assertNoFailure = (x: { load: LoadResult; opEnded: number; updateStarted?: number }): void => {
    assert.equal(x.load.failed, 0, `failed requests: ${describeLoad(x.load)}\n${x.load.failures.map((f) => f.what).join('\n')}`);
    assert.ok(x.load.sent >= LOAD.requests && !x.load.timedOut, describeLoad(x.load));
    assert.ok(x.updateStarted && x.load.startedAt < x.updateStarted, 'the load started before the services changed');
    assert.ok(x.load.endedAt > x.opEnded, `the load (${describeLoad(x.load)}) ended before the deploy did: it did not cover the whole update`);
  };
  const runningImages = async (): Promise<string[]> => {
    const tasks = (await mgr.listTasks({ filters: { service: [`${project}-web`], 'desired-state': ['running'] } })) as Array<{ Status: { State: string }; Spec: { ContainerSpec: { Image: string } } }>;
    return tasks.filter((t) => t.Status.State === 'running').map((t) => t.Spec.ContainerSpec.Image);
  };

  suiteSetup(async function () {
    sb = swarmbed();
    mgr = new Docker({ socketPath: sb.managerSock });
    const proxyImage = proxyImageOnManager(sb);
    workspace = mkdtempSync(path.join(os.tmpdir(), 'swp-'));
    ledger = await openLedger(workspace);
    for (const [v, tag] of Object.entries(tags)) {
      const imageId = buildAppImage(tag, `${id}${v}`, v === 'bad' ? { healthStatus: 500 } : {});
      await ledger.record({ imageId, service: 'web', version: `${id}${v}`, tags: [tag], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    config = configSchema.parse({
      project,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, publish: [`${PORT}:8080`], health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } }],
      environments: {
        cluster: {
          ssh: { host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey },
          docker: { socket: sb.managerSock },
          stateDir: `.greenlight/swp-${id}`,
          proxy: { image: proxyImage, ...proxyCfg },
          swarm: {
            registry: managedRegistryConfig(sb),
            update: { parallelism: 1, monitorSeconds: 2 },
            services: { web: { replicas: 3, healthCommand } },
            convergeTimeoutSeconds: 150,
          },
        },
      },
    });
    local = localDocker();
    host = await RemoteHost.connect({ host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey }, sb.managerSock, recordingContext());
  });

  suiteTeardown(async function () {
    await mgr?.getService(`${project}-web`).remove().catch(() => undefined);
    await mgr?.getContainer(proxyCfg.container).remove({ force: true }).catch(() => undefined);
    // The overlay network goes once the service's tasks have left it.
    for (let i = 0; i < 20; i++) {
      if (await mgr?.getNetwork(proxyCfg.network).remove().then(() => true, (e: { statusCode?: number }) => e.statusCode === 404)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (host) {
      await host.exec(['rm', '-rf', '--', config.environments.cluster!.stateDir]);
      host.close();
    }
    for (const t of Object.values(tags)) await local?.removeImage(t).catch(() => undefined);
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('first deploy: 3 replicas with no published port; the proxy on the manager publishes it and routes to tasks.<service>', async function () {
    const ctx = recordingContext();
    const r = await deploySwarm(ctx, local, host, request(tags.v1));
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.equal(r.steps.find((s) => s.step === 'switch')?.outcome, 'ok');
    const svc = await mgr.getService(`${project}-web`).inspect();
    assert.deepEqual(svc.Endpoint?.Ports ?? [], [], 'the service publishes no port itself');
    const proxy = new Proxy(host.docker, config.environments.cluster!.proxy, sb.sshHost);
    assert.equal(await proxy.routeUpstream(routeIdOf(project, 'web', PORT)), `tasks.${project}-web:8080`);
    // Every task answers through the one published port: round robin over the three.
    const seen = new Set<string>();
    const load = await runLoad({ host: sb.managerIp, port: PORT, path: '/cgi-bin/health', requests: 60, concurrency: 3, timeLimitMs: 30_000, onBody: (b) => seen.add(b) });
    assert.equal(load.failed, 0, describeLoad(load));
    assert.deepEqual([...seen], [`{"status":200,"version":"${id}v1"}\n`]);
    assert.equal((await runningImages()).length, 3);
  });

  test('rolling update v1 → v2 under load: 0 failed requests, then every task and every answer is v2', async function () {
    const x = await underLoad((m) => deploySwarm(markStart(m), local, host, request(tags.v2)));
    assert.equal(x.result.outcome, 'succeeded', x.result.message);
    assertNoFailure(x);
    assert.ok((x.versions[`${id}v1`] ?? 0) > 0 && (x.versions[`${id}v2`] ?? 0) > 0, `both versions answered: ${JSON.stringify(x.versions)}`);
    const images = await runningImages();
    assert.equal(images.length, 3);
    assert.equal(new Set(images).size, 1);
    const after = await runLoad({ host: sb.managerIp, port: PORT, path: '/', requests: 30, concurrency: 3, timeLimitMs: 30_000, onBody: (b) => assert.match(b, new RegExp(`demo ${id}v2<`)) });
    assert.equal(after.failed, 0, describeLoad(after));
  });

  test('an update whose health fails is rolled back under load: 0 failed requests, only v2 answered', async function () {
    const before = await runningImages();
    const x = await underLoad((m) => deploySwarm(markStart(m), local, host, request(tags.bad)));
    assert.equal(x.result.outcome, 'rolled-back', x.result.message);
    assertNoFailure(x);
    assert.deepEqual(Object.keys(x.versions), [`${id}v2`], 'no request reached a task that never turned healthy');
    assert.deepEqual((await runningImages()).sort(), before.sort());
  });
});
