// The proxy's health view against the real Caddy on the test bed: after a deploy through the
// proxy, the environment status reads the route to v1 from Caddy's config and, while a slow
// request is in flight to v1, Caddy's own count of it from /reverse_proxy/upstreams. Own names
// (project, proxy container, network, port: prefix ph-) so that other suites are never touched.
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { deploy } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { LABEL } from '../../../src/core/deploy/plan';
import { environmentStatus } from '../../../src/core/deploy/status';
import { openLedger } from '../../../src/core/images/ledger';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage, proxyImageOn, removeNetworkIfPresent } from './appImages';
import { bed, connect, recordingContext, type Bed } from './bed';

const PORT = 18793;
const PROJECT = 'ph';
const PROXY = { container: 'ph-caddy', network: 'ph-net' };

suite('(integration) proxy health view: routes and in-flight requests read from the real Caddy', function () {
  this.timeout(300000);
  let b: Bed;
  let host: RemoteHost | undefined;
  let local: DockerEngine | undefined;
  let workspace = '';
  let config: GreenlightConfig;

  const cleanup = async (h: RemoteHost): Promise<void> => {
    for (const c of await h.docker.listContainers({ [LABEL.project]: PROJECT })) await h.docker.removeContainer(c.id);
    const p = await h.docker.inspectContainer(PROXY.container);
    if (p) await h.docker.removeContainer(p.id);
  };

  suiteSetup(async () => {
    b = bed();
    // Not imported from proxyLoad.test.ts: importing it would register (and run) its suite too.
    const proxyImage = proxyImageOn(b.dockerSock);
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-ph-it-'));
    const ledger = await openLedger(workspace);
    const id = buildAppImage(`${PROJECT}-web:v1`, 'v1', { slowSeconds: 3 });
    await ledger.record({ imageId: id, service: 'web', version: 'v1', tags: [`${PROJECT}-web:v1`], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    config = configSchema.parse({
      project: PROJECT,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, publish: [`${PORT}:8080`], health: { path: '/cgi-bin/health', timeoutSeconds: 4, intervalMs: 200 } }],
      environments: {
        production: {
          ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey },
          docker: { socket: b.dockerSock },
          stateDir: `.greenlight/${PROJECT}-${process.pid}`,
          proxy: { image: proxyImage, ...PROXY, drainSeconds: 5 },
        },
      },
    });
    local = localDocker();
    host = await connect(b, recordingContext());
    await cleanup(host);
    const r = await deploy(recordingContext(), local, host, { config, environment: resolveEnvironment(config, workspace, 'production'), image: `${PROJECT}-web:v1`, ledger, secrets: { env: {} }, who: 'integration-test' });
    assert.equal(r.outcome, 'succeeded', r.message);
  });

  suiteTeardown(async () => {
    if (host) {
      await cleanup(host).catch(() => undefined);
      removeNetworkIfPresent(b.dockerSock, PROXY.network);
      host.close();
    }
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('the status names the proxy running and its route to v1; a slow request in flight is counted, then no longer', async () => {
    const env = resolveEnvironment(config, workspace, 'production');
    const slow = new Promise<number>((resolve) => {
      http.get({ host: b.prodIp, port: PORT, path: '/cgi-bin/slow', agent: false, timeout: 30_000 }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0)))).on('error', () => resolve(0));
    });
    await new Promise((r) => setTimeout(r, 1000));
    const during = await environmentStatus(recordingContext(), host!, config, env);
    assert.equal(await slow, 200, 'the slow request was answered');
    const after = await environmentStatus(recordingContext(), host!, config, env);
    for (const st of [during, after]) {
      assert.equal(st.proxy?.container, PROXY.container);
      assert.equal(st.proxy?.running, true);
      assert.equal(st.proxy?.problem, undefined);
    }
    const route = during.proxy!.routes.find((r) => r.id === `gl-${PROJECT}-web-${PORT}`);
    assert.ok(route, JSON.stringify(during.proxy));
    assert.equal(route.version, 'v1');
    assert.equal(route.upstream, `${PROJECT}-web:8080`, 'the route names the serving container');
    assert.equal(route.match, String(PORT));
    assert.equal(route.inFlight, 1, 'Caddy counts the slow request in flight to v1 (at the address the name resolved to)');
    assert.equal(route.fails, 0);
    assert.equal(after.proxy!.routes.find((r) => r.id === route.id)?.inFlight, 0, 'and no longer once it was answered');
  });
});
