// Zero-downtime deploys through the host's proxy, proven under load: while 20 keep-alive clients
// send 2,000 requests to the published port of the test bed's production host, a deploy, a
// rollback, a deploy whose health check fails and a deploy whose release task fails each run to
// their end, and not one request fails. The proxy is Debian's Caddy in a FROM-scratch image
// (test/testbed/proxyImage.sh), in its own container and network so that other suites' services
// are never behind it.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { deploy, type DeployRequest } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { LABEL } from '../../../src/core/deploy/plan';
import { Proxy, routeIdOf } from '../../../src/core/deploy/proxy';
import { rollback } from '../../../src/core/deploy/rollback';
import { environmentStatus } from '../../../src/core/deploy/status';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { describeLoad, loadDuring, type LoadResult } from '../../load/loadGenerator';
import { buildAppImage, proxyImageOn, removeNetworkIfPresent } from './appImages';
import { bed, connect, recordingContext, type Bed } from './bed';

const PORT = 18711;
const PROJECT = 'proxyit';
const PROXY = { container: 'proxyit-caddy', network: 'proxyit-net' };
// 15 s at 200 requests per second: a deploy waits a DNS refresh (1 s) and drains a 3-second request, more than 10 s on a busy test bed.
const LOAD = { requests: 3000, concurrency: 20 };

/** One GET on a fresh connection. */
function get(host: string, port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
}

suite('(integration) proxy: deploy, rollback, failed health and failed release task under load, zero failed requests', function () {
  this.timeout(300000);
  let b: Bed;
  let host: RemoteHost;
  let local: DockerEngine;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  const ids: Record<string, string> = {};

  const configWith = (releaseTasks: { name: string; command: string[] }[] = [], project = PROJECT, service: Record<string, unknown> = { name: 'web' }): GreenlightConfig =>
    configSchema.parse({
      project,
      services: [{ port: 8080, env: { BIND: '0.0.0.0' }, publish: [`${PORT}:8080`], health: { path: '/cgi-bin/health', timeoutSeconds: 4, intervalMs: 200 }, ...service }],
      environments: {
        production: {
          ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey },
          docker: { socket: b.dockerSock },
          stateDir: `.greenlight/${project}-${process.pid}`,
          keepVersions: 2,
          releaseTasks,
          proxy: { image: proxyImage, ...PROXY, drainSeconds: 10 },
        },
      },
    });
  let proxyImage = '';

  const request = (v: string, cfg = config): DeployRequest => ({
    config: cfg,
    environment: resolveEnvironment(cfg, workspace, 'production'),
    image: `${PROJECT}-web:${v}`,
    ledger,
    secrets: { env: {} },
    who: 'integration-test',
  });

  /** Runs `op` while the load runs (it starts half a second in); the load must outlast it. */
  const underLoad = async <T>(op: () => Promise<T>): Promise<{ result: T; load: LoadResult; versions: Record<string, number>; opEnded: number }> => {
    const x = await loadDuring({ host: b.prodIp, port: PORT, path: '/', ...LOAD, ratePerSecond: 200, timeLimitMs: 120_000, versionOf: (body) => /demo (\S+)</.exec(body)?.[1] ?? 'other' }, op);
    console.log(`      load: ${describeLoad(x.load)}; answered by ${JSON.stringify(x.versions)}`);
    return x;
  };

  const assertNoFailure = (x: { load: LoadResult; opEnded: number }): void => {
    assert.equal(x.load.failed, 0, `failed requests: ${describeLoad(x.load)}\n${x.load.failures.map((f) => f.what).join('\n')}`);
    // Strict: no request needed sending again either (a config load would reset idle keep-alive connections).
    assert.equal(x.load.retriedOnClosedKeepAlive, 0, `requests re-sent on a closed keep-alive connection: ${describeLoad(x.load)}`);
    assert.ok(x.load.sent >= LOAD.requests && !x.load.timedOut, describeLoad(x.load));
    assert.ok(x.load.endedAt > x.opEnded, `the load (${describeLoad(x.load)}) ended before the operation did: it did not cover the whole switch`);
  };

  const cleanup = async (): Promise<void> => {
    for (const project of [PROJECT, `${PROJECT}2`]) for (const c of await host.docker.listContainers({ [LABEL.project]: project })) await host.docker.removeContainer(c.id);
    const p = await host.docker.inspectContainer(PROXY.container);
    if (p) await host.docker.removeContainer(p.id);
  };

  suiteSetup(async () => {
    b = bed();
    proxyImage = proxyImageOn(b.dockerSock);
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-proxy-it-'));
    ledger = await openLedger(workspace);
    for (const [v, opts] of [['v1', { slowSeconds: 3 }], ['v2', {}], ['v3bad', { healthStatus: 500 }], ['v4task', {}]] as const) {
      ids[v] = buildAppImage(`${PROJECT}-web:${v}`, v, opts);
      await ledger.record({ imageId: ids[v], service: 'web', version: v, tags: [`${PROJECT}-web:${v}`], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    config = configWith();
    local = localDocker();
    host = await connect(b, recordingContext());
    await cleanup();
  });

  suiteTeardown(async () => {
    if (host) {
      await cleanup().catch(() => undefined);
      removeNetworkIfPresent(b.dockerSock, PROXY.network);
      host.close();
    }
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('first deploy: the proxy container starts, publishes the port and routes to v1', async () => {
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, request('v1'));
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.equal(r.switchMode, 'proxy');
    const proxy = new Proxy(host.docker, config.environments.production!.proxy, b.sshHost);
    const upstream = await proxy.routeUpstream(routeIdOf(PROJECT, 'web', PORT));
    assert.equal(upstream, `${PROJECT}-web:8080`, 'the route names the serving container\'s name, not a version');
    const proxyContainer = await host.docker.inspectContainer(PROXY.container);
    assert.ok(proxyContainer?.stateDetail.running, 'the proxy runs');
  });

  test('deploy v2 under load: 0 failed requests, a slow request in flight on v1 at the switch finishes, v1 kept stopped for rollback', async () => {
    const proxyBefore = (await host.docker.inspectContainer(PROXY.container))!;
    // A 3-second request sent to v1 as the switch step begins: it must finish on v1 (drain), not fail.
    let slow: Promise<{ status: number; body: string }> | undefined;
    const ctx = recordingContext(undefined, (p) => {
      if (p.step === 'switch' && !slow) slow = get(b.prodIp, PORT, '/cgi-bin/slow');
    });
    const proxy = new Proxy(host.docker, config.environments.production!.proxy, b.sshHost);
    const configBefore = await proxy.config();
    const x = await underLoad(() => deploy(ctx, local, host, request('v2')));
    assert.equal(x.result.outcome, 'succeeded', x.result.message);
    assertNoFailure(x);
    assert.deepEqual(await proxy.config(), configBefore, 'the switch moved the name, not the config: no reload');
    assert.ok(slow, 'the switch step was reported');
    assert.deepEqual(await slow, { status: 200, body: 'slow v1\n' }, 'the request in flight on v1 finished there');
    const drain = x.result.steps.find((s) => s.step === 'drain');
    assert.equal(drain?.outcome, 'ok');
    assert.ok((x.versions.v1 ?? 0) > 0 && (x.versions.v2 ?? 0) > 0, `both versions answered: ${JSON.stringify(x.versions)}`);
    const proxyAfter = (await host.docker.inspectContainer(PROXY.container))!;
    assert.equal(proxyAfter.id, proxyBefore.id, 'the proxy container was not re-created');
    assert.equal(proxyAfter.stateDetail.startedAt, proxyBefore.stateDetail.startedAt, 'the proxy was not restarted');
    const retained = await host.docker.listContainers({ [LABEL.project]: PROJECT, [LABEL.version]: 'v1' });
    assert.equal(retained.length, 1);
    assert.equal(retained[0]!.state, 'exited', 'the old version stopped after draining');
  });

  test('rollback under load: 0 failed requests, v1 serves again', async () => {
    const proxy = new Proxy(host.docker, config.environments.production!.proxy, b.sshHost);
    const configBefore = await proxy.config();
    const x = await underLoad(() => rollback(recordingContext(), host, { config, environment: resolveEnvironment(config, workspace, 'production'), who: 'integration-test' }));
    assert.equal(x.result.outcome, 'succeeded', x.result.message);
    assert.deepEqual(await proxy.config(), configBefore, 'the rollback moved the name, not the config: no reload');
    assert.equal(x.result.serving, 'v1');
    assertNoFailure(x);
    assert.ok((x.versions.v1 ?? 0) > 0 && (x.versions.v2 ?? 0) > 0, `both versions answered: ${JSON.stringify(x.versions)}`);
    const status = await environmentStatus(recordingContext(), host, config, resolveEnvironment(config, workspace, 'production'));
    assert.equal(status.services[0]!.proxy, `v1 on port ${PORT}`, 'the status names the version the route points at');
  });

  test('failed health under load: 0 failed requests, the proxy never switched, the candidate is gone', async () => {
    const x = await underLoad(() => deploy(recordingContext(), local, host, request('v3bad')));
    assert.equal(x.result.outcome, 'failed', x.result.message);
    assert.equal(x.result.serving, 'v1');
    assertNoFailure(x);
    assert.deepEqual(Object.keys(x.versions), ['v1'], 'only v1 answered');
    assert.equal((await host.docker.listContainers({ [LABEL.project]: PROJECT, [LABEL.version]: 'v3bad' })).length, 0, 'the failed candidate was removed');
  });

  test('failed release task under load: 0 failed requests, v1 keeps serving', async () => {
    const cfg = configWith([{ name: 'migrate-fails', command: ['false'] }]);
    const x = await underLoad(() => deploy(recordingContext(), local, host, request('v4task', cfg)));
    assert.equal(x.result.outcome, 'failed', x.result.message);
    assert.match(x.result.message, /migrate-fails/);
    assert.equal(x.result.serving, 'v1');
    assertNoFailure(x);
    assert.deepEqual(Object.keys(x.versions), ['v1'], 'only v1 answered');
  });

  test('a second service on the same host port by path: each answers its own routes, the first is untouched', async () => {
    const cfg = configWith([], `${PROJECT}2`, { name: 'api', proxy: { paths: ['/cgi-bin'] } });
    const r = await deploy(recordingContext(), local, host, { ...request('v2', cfg), image: `${PROJECT}-web:v2` });
    assert.equal(r.outcome, 'succeeded', r.message);
    const health = await get(b.prodIp, PORT, '/cgi-bin/health');
    assert.equal((JSON.parse(health.body) as { version: string }).version, 'v2', `/cgi-bin/ goes to the second service: ${health.body}`);
    const page = await get(b.prodIp, PORT, '/');
    assert.match(page.body, /demo v1/, 'every other path still goes to the first service');
  });
});
