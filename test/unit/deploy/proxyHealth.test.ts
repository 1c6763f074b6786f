// The proxy's health view: Caddy's routes and upstream counts read through its admin API on the
// recording fake host (which answers /config/ and /reverse_proxy/upstreams as Caddy does), put in
// the environment status, printed by `greenlight status` and built into the Environments view's rows.
import * as assert from 'node:assert/strict';
import type { JobContext } from '../../../src/core/common/job';
import { configSchema } from '../../../src/core/config/schema';
import { deploy, type TestedImages } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { routeHealthOf, routeMatchLabel, withRoute, type ProxyRoute } from '../../../src/core/deploy/proxy';
import { environmentStatus } from '../../../src/core/deploy/status';
import type { DockerEngine, ImageInfo } from '../../../src/core/images/docker';
import { proxyLines } from '../../../src/cli/commands/status';
import { proxyRows } from '../../../src/extension/views/proxyRows';
import type { EnvironmentStatusDto } from '../../../src/service/protocol';
import { FakeHost } from './fakeHost';

const V1: ImageInfo = { id: 'sha256:' + 'd'.repeat(64), repoTags: ['shop-api:v1'], sizeBytes: 1000, labels: {}, env: [], layers: [] };

function configWith(service: Record<string, unknown>) {
  return configSchema.parse({
    project: 'shop',
    services: [{ name: 'api', port: 3000, health: { path: '/healthz', timeoutSeconds: 2, intervalMs: 50 }, ...service }],
    environments: { production: { ssh: { host: '198.18.77.2', user: 'deploy' }, stateDir: '.greenlight' } },
  });
}

const ledger: TestedImages = {
  isTested: () => true,
  get: () => ({ version: 'v1', service: 'api', tags: V1.repoTags, result: 'passed', testedAt: '2026-12-01T00:00:00Z' }),
};

function quiet(): JobContext {
  return { signal: new AbortController().signal, progress: () => undefined, log: () => undefined };
}

/** The fake host with v1 of the service deployed (behind the proxy unless the service says proxy: false). */
async function deployed(service: Record<string, unknown>): Promise<{ fake: FakeHost; config: ReturnType<typeof configWith> }> {
  const fake = new FakeHost({ health: () => 200, taskExit: () => 0 });
  const config = configWith(service);
  fake.images.set(V1.id, V1);
  const local = { where: 'local engine', inspectImage: async () => V1 } as unknown as DockerEngine;
  const r = await deploy(quiet(), local, fake.asRemoteHost(), { config, environment: resolveEnvironment(config, fake.home, 'production'), image: 'shop-api:v1', version: 'v1', ledger, secrets: { env: {} }, stopTimeoutSeconds: 1 });
  assert.equal(r.outcome, 'succeeded', r.message);
  return { fake, config };
}

const route = (over: Partial<ProxyRoute>): ProxyRoute => ({ id: 'gl-shop-api-80', port: 80, hosts: [], paths: [], upstream: 'a:3000', service: 'api', version: 'v1', ...over });

suite('(unit) deploy: the proxy health view (Caddy routes and upstream counts)', () => {
  test('the environment status carries the proxy: running, the route to v1 with its in-flight and failed requests', async () => {
    const { fake, config } = await deployed({ publish: ['8080:3000'], proxy: { paths: ['/api'] } });
    try {
      // The route names the serving container; Caddy counts the address that name resolved to.
      const address = fake.byName('shop-api')!.address!;
      fake.proxyUpstreams = [{ address: `${address}:3000`, num_requests: 3, fails: 1 }, { address: 'someone-else:80', num_requests: 9, fails: 9 }, { address: '198.18.99.9:3000', num_requests: 5, fails: 5 }];
      fake.calls.length = 0;
      const st = await environmentStatus(quiet(), fake.asRemoteHost(), config, resolveEnvironment(config, fake.home, 'production'));
      assert.ok(st.proxy, 'a proxy container exists, so the status has its health');
      assert.equal(st.proxy.running, true);
      assert.equal(st.proxy.container, 'greenlight-proxy');
      assert.equal(st.proxy.problem, undefined);
      assert.deepEqual(st.proxy.routes, [{ id: 'gl-shop-api-8080', port: '8080', hosts: [], paths: ['/api'], match: '8080 /api', upstream: 'shop-api:3000', version: 'v1', inFlight: 3, fails: 1, maintenance: false }]);
      assert.ok(!fake.calls.some((c) => c.startsWith('proxy load')), 'reading the health changes no config');

      const lines = proxyLines(st);
      assert.deepEqual(lines, ['  proxy (Caddy) greenlight-proxy: running · 1 route', '    8080 /api → v1: 3 in flight, 1 failed']);
      const json = JSON.parse(JSON.stringify(st)) as { proxy: { routes: { fails: number }[] } };
      assert.equal(json.proxy.routes[0]!.fails, 1, '--json prints the same object');
    } finally {
      fake.close();
    }
  });

  test('a stopped proxy container: not running and no routes (its admin API cannot answer)', async () => {
    const { fake, config } = await deployed({ publish: ['8080:3000'] });
    try {
      fake.byName('greenlight-proxy')!.running = false;
      fake.calls.length = 0;
      const st = await environmentStatus(quiet(), fake.asRemoteHost(), config, resolveEnvironment(config, fake.home, 'production'));
      assert.equal(st.proxy?.running, false);
      assert.deepEqual(st.proxy?.routes, []);
      assert.deepEqual(proxyLines(st), [`  proxy (Caddy) greenlight-proxy: ${st.proxy!.state}`]);
    } finally {
      fake.close();
    }
  });

  test('no proxy container on the host (proxy: false): the status has no proxy part', async () => {
    const { fake, config } = await deployed({ publish: ['8080:3000'], proxy: false });
    try {
      assert.equal(fake.byName('greenlight-proxy'), undefined);
      const st = await environmentStatus(quiet(), fake.asRemoteHost(), config, resolveEnvironment(config, fake.home, 'production'));
      assert.equal('proxy' in st, false);
      assert.deepEqual(proxyLines(st), []);
    } finally {
      fake.close();
    }
  });

  test('routeHealthOf: several routes per port; a single-host route counted at the address its name resolves to, a swarm route summed over its tasks, an older static route at its alias', () => {
    let c = withRoute(null, route({ id: 'gl-shop-api-80', hosts: ['shop.example.com'], paths: ['/api'], upstream: 'shop-api:3000', version: 'v2' }), 30);
    c = withRoute(c, route({ id: 'gl-shop-worker-81', port: 81, upstream: 'tasks.shop_worker:9000', version: 'v3', balanced: true }), 30);
    // A route an older Greenlight wrote: to one version's alias, the version in a response header.
    c.apps.http.servers['greenlight-80'].routes.push({ '@id': 'gl-shop-web-80', handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: 'web-v5:8000' }], headers: { response: { set: { 'X-Greenlight-Version': ['v5'] } } } }], terminal: true });
    const h = routeHealthOf(c, [
      { address: '198.18.90.2:3000', num_requests: 2, fails: 0 },
      { address: '198.18.90.3:3000', num_requests: 7, fails: 0 },
      { address: 'shop-api:3000', num_requests: 1, fails: 0 },
      { address: 'web-v5:8000', num_requests: 4, fails: 1 },
      { address: '198.18.91.5:9000', num_requests: 1, fails: 2 },
      { address: '198.18.91.6:9000', num_requests: 4, fails: 0 },
    ], new Map([['shop-api', { address: '198.18.90.2', version: 'v2' }]]));
    assert.deepEqual(
      h.map((r) => [r.match, r.version ?? r.upstream, r.inFlight, r.fails]),
      [
        ['80 shop.example.com/api', 'v2', 3, 0],
        ['80', 'v5', 4, 1],
        ['81', 'tasks.shop_worker:9000', 5, 2],
      ],
    );
    assert.equal(routeMatchLabel({ port: '443', hosts: ['a.example', 'b.example'], paths: [] }), '443 a.example,b.example');
  });

  test('the view rows: a Proxy row with state and route count, a child per route coloured by its fails, every text translated', () => {
    const st: EnvironmentStatusDto = {
      env: 'production',
      host: 'deploy@h',
      reachable: true,
      services: [],
      recent: [],
      checkedAt: '2026-12-02T00:00:00Z',
      proxy: {
        container: 'greenlight-proxy',
        image: 'caddy:2',
        running: true,
        state: 'running',
        routes: [
          { id: 'gl-shop-api-80', port: '80', hosts: [], paths: ['/api'], match: '80 /api', upstream: 'api-v2:3000', version: 'v2', inFlight: 4, fails: 0, maintenance: false },
          { id: 'gl-shop-web-80', port: '80', hosts: [], paths: [], match: '80', upstream: 'web-v5:8000', version: 'v5', inFlight: 0, fails: 3, maintenance: false },
        ],
      },
    };
    const rows = proxyRows('production', st);
    assert.equal(rows.length, 1);
    const p = rows[0]!;
    assert.equal(p.label, 'Proxy (Caddy)');
    assert.equal(p.description, 'running · 2 routes');
    assert.equal(p.color, 'warning', 'a route with failed requests marks the proxy row');
    assert.deepEqual(
      p.children!.map((r) => [r.label, r.description, r.icon, r.color]),
      [
        ['80 /api → v2', '4 in flight, 0 failed', 'arrow-right', 'passed'],
        ['80 → v5', '0 in flight, 3 failed', 'warning', 'warning'],
      ],
    );
    // Every text goes through the translator the view passes (vscode.l10n.t).
    const seen: string[] = [];
    proxyRows('production', st, (m, ...a) => (seen.push(m), `«${m.replace(/\{(\d+)\}/g, (_, i: string) => String(a[Number(i)]))}»`));
    assert.ok(seen.includes('Proxy (Caddy)') && seen.includes('{0} in flight, {1} failed') && seen.includes('{0} → {1}'), seen.join(' | '));
    assert.deepEqual(proxyRows('production', { ...st, proxy: { ...st.proxy!, running: false, state: 'exited', routes: [] } }).map((r) => [r.description, r.color, r.children?.length]), [['exited', 'failed', 0]]);
    assert.deepEqual(proxyRows('production', { ...st, proxy: undefined }), []);
  });
});
