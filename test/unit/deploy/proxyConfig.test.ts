import * as assert from 'node:assert/strict';
import { configSchema, proxyRouteOf } from '../../../src/core/config/schema';
import { certificateCovers } from '../../../src/core/deploy/proxyTls';
import { caddyRoute, defaultMaintenancePage, describeDrain, inMaintenance, proxySpec, routesOf, serviceRoutes, upstreamAliasOf, withMaintenance, withoutMaintenance, withRoute, type ProxyRoute } from '../../../src/core/deploy/proxy';
import { isAllowedTarget, runLoad } from '../../load/loadGenerator';

const route = (over: Partial<ProxyRoute> = {}): ProxyRoute => ({ id: 'gl-shop-api-80', port: 80, hosts: [], paths: [], upstream: 'shop-api:3000', service: 'api', version: 'v2', ...over });

function parse(service: Record<string, unknown>, env: Record<string, unknown> = {}) {
  return configSchema.parse({ project: 'shop', services: [{ name: 'api', port: 3000, ...service }], environments: { production: { ssh: { host: '198.18.77.2', user: 'deploy' }, ...env } } });
}

suite('(unit) proxy: Caddy config, routes and the config that turns it on or off', () => {
  test('a route is one reverse_proxy to the serving name, matched by host and path prefix', () => {
    const r = caddyRoute(route({ hosts: ['shop.example.com'], paths: ['/api'] }));
    assert.deepEqual(r.match, [{ host: ['shop.example.com'], path: ['/api', '/api/*'] }]);
    assert.equal((r.handle as { dynamic_upstreams: { name: string } }[])[0]!.dynamic_upstreams.name, 'shop-api');
    assert.equal(r.terminal, true);
    assert.equal(caddyRoute(route()).match, undefined, 'no hosts or paths: every request');
  });

  test('withRoute replaces the route of the same id, keeps the others, orders the specific ones first', () => {
    let c = withRoute(null, route({ id: 'gl-shop-web-80', upstream: 'shop-web:80' }), 30);
    c = withRoute(c, route({ paths: ['/api'] }), 30);
    c = withRoute(c, route({ paths: ['/api'], upstream: 'shop-api:3001', version: 'v3' }), 30);
    assert.equal(c.apps.http.grace_period, '30s');
    assert.deepEqual(c.apps.http.servers['greenlight-80'].listen, [':80']);
    assert.deepEqual(routesOf(c), [
      { id: 'gl-shop-api-80', port: '80', hosts: [], paths: ['/api'], upstream: 'shop-api:3001', version: undefined },
      { id: 'gl-shop-web-80', port: '80', hosts: [], paths: [], upstream: 'shop-web:80', version: undefined },
    ]);
  });

  test('a route an older Greenlight wrote (to a version alias, with a drain route) is still read, and the next setRoute replaces it and its drain route whole', () => {
    const legacy = (id: string, dial: string, version: string) => ({ '@id': id, handle: [{ handler: 'reverse_proxy', upstreams: [{ dial }], headers: { response: { set: { 'X-Greenlight-Version': [version] } } } }], terminal: true });
    const old = { apps: { http: { servers: { 'greenlight-80': { listen: [':80'], routes: [
      { ...legacy('gl-shop-api-80', 'shop-api-v1-aaaaaa:3000', 'v1'), match: [{ path: ['/api', '/api/*'] }] },
      { ...legacy('gl-shop-api-80-drain', 'shop-api-v0-bbbbbb:3000', 'draining'), match: [{ host: ['drain.invalid'], path: ['/gl-shop-api-80'] }] },
      legacy('gl-shop-web-80', 'shop-web-v5-cccccc:80', 'v5'),
    ] } } } } };
    assert.deepEqual(routesOf(old).map((r) => [r.id, r.upstream, r.version]), [['gl-shop-api-80', 'shop-api-v1-aaaaaa:3000', 'v1'], ['gl-shop-web-80', 'shop-web-v5-cccccc:80', 'v5']], 'drain routes are not routes of the health view');
    const c = withRoute(old, route({ paths: ['/api'] }), 30);
    assert.deepEqual((c.apps.http.servers['greenlight-80'].routes as { '@id': string }[]).map((r) => r['@id']), ['gl-shop-api-80', 'gl-shop-web-80']);
    assert.deepEqual(routesOf(c).map((r) => r.upstream), ['shop-api:3000', 'shop-web-v5-cccccc:80'], 'the other service keeps its route until its own next deploy');
  });

  test('two services claiming the same hosts and paths on one port are refused with what to change', () => {
    const c = withRoute(null, route({ id: 'gl-shop-web-80' }), 30);
    assert.throws(() => withRoute(c, route(), 30), /already sends the same hosts and paths to gl-shop-web-80: give api its own proxy\.hosts or proxy\.paths/);
  });

  test('maintenance: a 503 page with Retry-After, matched like the route it covers and placed before it; the switch or clearing removes it and nothing else', () => {
    let c = withRoute(null, route({ id: 'gl-shop-web-80', upstream: 'web-v1:80' }), 30);
    c = withRoute(c, route({ hosts: ['shop.example.com'], paths: ['/api'] }), 30);
    const before = structuredClone(c);
    const m = withMaintenance(c, ['gl-shop-api-80', 'gl-shop-api-81'], '<h1>soon</h1>', 45);
    assert.deepEqual(m.covered, ['gl-shop-api-80'], 'only routes the config has are covered');
    assert.deepEqual(c, before, 'the input config is not changed');
    const routes = m.config.apps.http.servers['greenlight-80'].routes as Record<string, any>[];
    assert.deepEqual(routes.map((r) => r['@id']), ['gl-shop-api-80-maintenance', 'gl-shop-api-80', 'gl-shop-web-80']);
    assert.deepEqual(routes[0], {
      '@id': 'gl-shop-api-80-maintenance',
      match: [{ host: ['shop.example.com'], path: ['/api', '/api/*'] }],
      handle: [{ handler: 'static_response', status_code: 503, headers: { 'Retry-After': ['45'], 'Content-Type': ['text/html; charset=utf-8'], 'Cache-Control': ['no-store'] }, body: '<h1>soon</h1>' }],
      terminal: true,
    });
    assert.deepEqual(inMaintenance(m.config), ['gl-shop-api-80']);
    assert.deepEqual(routesOf(m.config), routesOf(c), 'the health view still names the serving versions');
    assert.deepEqual(withMaintenance(m.config, ['gl-shop-api-80'], 'x', 1).config.apps.http.servers['greenlight-80'].routes.length, 3, 'setting it twice keeps one maintenance route');
    assert.deepEqual(withoutMaintenance(m.config, ['gl-shop-api-80']), c, 'clearing gives back the config as it was');
    const switched = withRoute(m.config, route({ hosts: ['shop.example.com'], paths: ['/api'], upstream: 'shop-api-v3-cccccc:3000', version: 'v3' }), 30);
    assert.deepEqual(inMaintenance(switched), [], 'the switch to the new version ends the maintenance in the same load');
    // A catch-all route gets a catch-all maintenance route, still before it.
    const all = withMaintenance(withRoute(null, route(), 30), ['gl-shop-api-80'], 'p', 30).config.apps.http.servers['greenlight-80'].routes as Record<string, any>[];
    assert.deepEqual(all.map((r) => [r['@id'], r.match]), [['gl-shop-api-80-maintenance', undefined], ['gl-shop-api-80', undefined]]);
    assert.match(defaultMaintenancePage('api<script>'), /apiscript is being updated/);
  });

  test('maintenance config: off by default, a page file and Retry-After when asked, bad values refused', () => {
    assert.deepEqual(parse({ publish: ['80:3000'] }).environments.production!.proxy.maintenance, { duringTasks: false, retryAfterSeconds: 30 });
    assert.deepEqual(parse({ publish: ['80:3000'] }, { proxy: { maintenance: { duringTasks: true, page: 'ops/maintenance.html' } } }).environments.production!.proxy.maintenance, { duringTasks: true, page: 'ops/maintenance.html', retryAfterSeconds: 30 });
    assert.throws(() => parse({ publish: ['80:3000'] }, { proxy: { maintenance: { duringTasks: 'yes' } } }), /duringTasks/);
    assert.throws(() => parse({ publish: ['80:3000'] }, { proxy: { maintenance: { retryAfterSeconds: 0 } } }), /retryAfterSeconds/);
    assert.throws(() => parse({ publish: ['80:3000'] }, { proxy: { maintenance: { page: '' } } }), /page/);
    assert.throws(() => parse({ publish: ['80:3000'] }, { proxy: { maintenance: { during: true } } }), /during/);
  });

  test('TLS: a TLS port gets a TLS listener and the certificate files of its host names; other ports and other projects\' certificates are kept', () => {
    const tls = { ports: [443], hosts: ['shop.example.com'] };
    let c = withRoute(null, route({ id: 'gl-other-web-443', port: 443, hosts: ['other.example.com'] }), 30, { ports: [443], hosts: ['other.example.com'] });
    c = withRoute(c, route({ port: 443, id: 'gl-shop-api-443', hosts: ['shop.example.com'] }), 30, tls);
    c = withRoute(c, route({ port: 80, hosts: ['shop.example.com'] }), 30, tls);
    assert.deepEqual(c.apps.http.servers['greenlight-443'].tls_connection_policies, [{}]);
    assert.equal(c.apps.http.servers['greenlight-80'].tls_connection_policies, undefined, 'port 80 stays plain HTTP');
    assert.deepEqual(c.apps.tls.certificates.load_files, [
      { certificate: '/greenlight-tls/other.example.com.crt', key: '/greenlight-tls/other.example.com.key', tags: ['greenlight'] },
      { certificate: '/greenlight-tls/shop.example.com.crt', key: '/greenlight-tls/shop.example.com.key', tags: ['greenlight'] },
    ]);
    const again = withRoute(c, route({ port: 443, id: 'gl-shop-api-443', hosts: ['shop.example.com'], upstream: 'v3:3000' }), 30);
    assert.deepEqual(again.apps.tls, c.apps.tls, 'a switch without a TLS plan (rollback) keeps the certificates');
    assert.deepEqual(again.apps.http.servers['greenlight-443'].tls_connection_policies, [{}]);
  });

  test('TLS: which certificate name covers a host; the config refuses a bad host name or an empty list', () => {
    assert.ok(certificateCovers('shop.example.com', 'SHOP.example.com'));
    assert.ok(certificateCovers('*.example.com', 'shop.example.com'));
    assert.ok(!certificateCovers('*.example.com', 'a.shop.example.com'), 'a wildcard covers one label');
    assert.ok(!certificateCovers('*.example.com', 'example.com'));
    assert.ok(!certificateCovers('shop.example.com', 'www.example.com'));
    const ok = parse({ publish: ['443:3000'], proxy: { hosts: ['shop.example.com'] } }, { proxy: { tls: { certificates: { 'shop.example.com': { certificate: 'c.pem', key: 'k.pem' } } } } });
    assert.deepEqual(ok.environments.production!.proxy.tls, { ports: [443], certificates: { 'shop.example.com': { certificate: 'c.pem', key: 'k.pem' } }, redirect: true });
    assert.throws(() => parse({ publish: ['443:3000'] }, { proxy: { tls: { certificates: { 'bad host': { certificate: 'c', key: 'k' } } } } }), /host name such as/);
    assert.throws(() => parse({ publish: ['443:3000'] }, { proxy: { tls: { certificates: {} } } }), /at least one host name/);
    assert.throws(() => parse({ publish: ['443:3000'] }, { proxy: { tls: { certificates: { 'a.example.com': { certificate: 'c' } } } } }), /key/);
  });

  test('the version alias is unique per deploy and one DNS label long at most', () => {
    assert.equal(upstreamAliasOf('shop-api', 'v2', '20261202_100000-abc123'), 'shop-api-v2-abc123');
    const long = upstreamAliasOf('a-very-long-project-name-with-a-service', 'v1a2b3c4-20261202-100000-and-more', '20261202_100000-abc123');
    assert.ok(long.length <= 63 && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(long), long);
    assert.notEqual(upstreamAliasOf('shop-api', 'v2', '20261202_100000-abc123'), upstreamAliasOf('shop-api', 'v2', '20261202_100001-def456'));
  });

  test('the proxy container publishes each host port to the same port inside and records them', () => {
    const env = parse({ publish: ['8080:3000'] }).environments.production!;
    const spec = proxySpec(env.proxy, [{ host: 8080 }, { hostIp: '127.0.0.1', host: 9090 }, { host: 8080 }]);
    assert.equal(spec.image, 'caddy:2');
    assert.deepEqual(spec.cmd, ['caddy', 'run', '--resume']);
    assert.deepEqual(spec.publish, [{ hostIp: undefined, host: 8080, container: 8080, protocol: 'tcp' }, { hostIp: '127.0.0.1', host: 9090, container: 9090, protocol: 'tcp' }]);
    assert.equal(spec.labels['greenlight.proxy.ports'], '0.0.0.0:8080,127.0.0.1:9090');
    assert.equal(spec.restart, 'unless-stopped');
    // Docker's DNS answers a name it does not know (between a switch's two renames) at once, not after asking the host's server.
    assert.deepEqual(spec.dnsOptions, ['ndots:1']);
    assert.equal(spec.labels['greenlight.proxy.dns'], 'ndots:1');
  });

  test('a single-host route names the serving container, re-resolved every second, with the same name as the static upstream a failed lookup falls back to (a dial error, retried for any method); it does not change from version to version', () => {
    const cfg = parse({ publish: ['8080:3000', '8443:3000'], proxy: { hosts: ['shop.example.com'] } });
    const [v2, v2b] = serviceRoutes('shop', cfg.services[0]!, cfg.environments.production!, 'shop-api', 'v2');
    assert.deepEqual(v2, { id: 'gl-shop-api-8080', port: 8080, hosts: ['shop.example.com'], paths: [], upstream: 'shop-api:3000', service: 'api', version: 'v2' });
    assert.equal(v2b!.id, 'gl-shop-api-8443');
    assert.deepEqual(caddyRoute(v2!).handle, [
      {
        handler: 'reverse_proxy',
        upstreams: [{ dial: 'shop-api:3000' }],
        dynamic_upstreams: { source: 'a', name: 'shop-api', port: '3000', refresh: '1s', dial_timeout: '1s' },
        load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: '10s', try_interval: '100ms' },
        transport: { protocol: 'http', dial_timeout: '2s' },
      },
    ]);
    const [v3] = serviceRoutes('shop', cfg.services[0]!, cfg.environments.production!, 'shop-api', 'v3');
    assert.deepEqual(withRoute(withRoute(null, v2!, 30), v3!, 30), withRoute(null, v2!, 30), 'the next version leaves the config as it was: setRoute loads nothing');
    assert.deepEqual(serviceRoutes('shop', parse({ publish: ['8080:3000'], proxy: false }).services[0]!, cfg.environments.production!, 'shop-api', 'v2'), [], 'no route without the proxy');
  });

  test('TLS: the certificate files\' digest is in the config, so a renewed certificate changes it (and is loaded) while the same files do not', () => {
    const r = route({ port: 443, hosts: ['shop.example.com'] });
    const tags = (digest: string) => withRoute(null, r, 30, { ports: [443], hosts: ['shop.example.com'], digests: { 'shop.example.com': digest } }).apps.tls.certificates.load_files[0].tags;
    assert.deepEqual(tags('aaaaaaaaaaaa'), ['greenlight', 'greenlight-aaaaaaaaaaaa']);
    assert.notDeepEqual(tags('aaaaaaaaaaaa'), tags('bbbbbbbbbbbb'));
  });

  test('the proxy is the default for published ports; proxy: false or proxy.enabled: false keeps the old swap', () => {
    const on = parse({ publish: ['8080:3000'] });
    assert.deepEqual(proxyRouteOf(on.services[0]!, on.environments.production!), { hosts: [], paths: [] });
    const off = parse({ publish: ['8080:3000'], proxy: false });
    assert.equal(proxyRouteOf(off.services[0]!, off.environments.production!), undefined);
    const envOff = parse({ publish: ['8080:3000'] }, { proxy: { enabled: false } });
    assert.equal(proxyRouteOf(envOff.services[0]!, envOff.environments.production!), undefined);
    const none = parse({});
    assert.equal(proxyRouteOf(none.services[0]!, none.environments.production!), undefined, 'nothing published: nothing to proxy');
    const routed = parse({ publish: ['80:3000'], proxy: { hosts: ['shop.example.com'], paths: ['/api'] } });
    assert.deepEqual(proxyRouteOf(routed.services[0]!, routed.environments.production!), { hosts: ['shop.example.com'], paths: ['/api'] });
  });

  test('bad proxy config is refused with what and where', () => {
    assert.throws(() => parse({ proxy: { hosts: ['shop.example.com'] } }), /proxy[\s\S]*need a published port/);
    assert.throws(() => parse({ publish: ['80:3000'], proxy: { hosts: ['bad host'] } }), /host name such as/);
    assert.throws(() => parse({ publish: ['80:3000'], proxy: { paths: ['api'] } }), /a path starting with \W+\/\W/);
    assert.throws(() => parse({ publish: ['80:3000/udp'] }), /proxy: false/);
    assert.throws(() => parse({ publish: ['80:3000'] }, { proxy: { drainSeconds: -1 } }), /drainSeconds/);
    assert.throws(() => parse({ publish: ['80:3000'] }, { proxy: { image: 'Caddy 2' } }), /image reference/);
  });

  test('the load generator refuses anything but loopback and the test bed range', async () => {
    for (const ok of ['127.0.0.1', '::1', 'localhost', '198.18.77.2', '198.19.0.1']) assert.ok(isAllowedTarget(ok), ok);
    for (const bad of ['10.0.0.1', '192.168.1.1', '172.16.0.1', '8.8.8.8', '198.20.0.1', 'example.com']) assert.ok(!isAllowedTarget(bad), bad);
    await assert.rejects(runLoad({ host: '8.8.8.8', port: 80, requests: 1, concurrency: 1, timeLimitMs: 1000 }), /refusing to send load to 8\.8\.8\.8/);
  });
});

suite('(unit) proxy: the drain as deploy and rollback say it', () => {
  test('drained: an info line with the time; not drained: a warning with what is still in flight', () => {
    assert.deepEqual(describeDrain({ drained: true, ms: 212, inFlight: 0 }, 'v1', 30), { line: 'drain: no request in flight on v1 (212 ms)', level: 'info' });
    assert.deepEqual(describeDrain({ drained: false, ms: 30_004, inFlight: 3 }, 'v1', 30), { line: 'drain: 3 request(s) still in flight on v1 after 30 s; stopping it anyway', level: 'warn' });
  });
});
