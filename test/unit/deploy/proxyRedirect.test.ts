import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configSchema } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { ACME_CHALLENGE_PATH, NO_TLS, routesOf, withMaintenance, withRoute, type ProxyRoute, type TlsPlan } from '../../../src/core/deploy/proxy';
import { tlsPlanOf } from '../../../src/core/deploy/proxyTls';

const route = (port: number, over: Partial<ProxyRoute> = {}): ProxyRoute => ({ id: `gl-shop-api-${port}`, port, hosts: ['shop.example.com'], paths: [], upstream: 'shop-api:3000', service: 'api', version: 'v2', ...over });
const PLAN: TlsPlan = { ports: [443], hosts: ['shop.example.com'], redirectTo: 443 };

function parse(publish: string[], tls: Record<string, unknown>, hosts = ['shop.example.com']) {
  return configSchema.parse({ project: 'shop', services: [{ name: 'api', port: 3000, publish, proxy: { hosts } }], environments: { production: { ssh: { host: '198.18.77.2', user: 'deploy' }, proxy: { tls } } } });
}

suite('(unit) proxy HTTPS redirect: plain-HTTP requests for TLS-covered host names go to https://', () => {
  let dir: string;
  suiteSetup(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gl-redirect-unit-'));
    writeFileSync(path.join(dir, 'shop.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(path.join(dir, 'shop.key'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  });
  suiteTeardown(() => rmSync(dir, { recursive: true, force: true }));

  test('the plain port gets a 308 route to https://{host}{uri} just before the serving route, the challenge path excluded; the TLS port gets none', () => {
    let c = withRoute(null, route(80), 30, PLAN);
    c = withRoute(c, route(443), 30, PLAN);
    const plain = c.apps.http.servers['greenlight-80'].routes;
    assert.deepEqual(
      plain.map((r: { '@id': string }) => r['@id']),
      ['gl-shop-api-80-redirect', 'gl-shop-api-80'],
    );
    assert.deepEqual(plain[0], {
      '@id': 'gl-shop-api-80-redirect',
      match: [{ host: ['shop.example.com'], not: [{ path: [ACME_CHALLENGE_PATH] }] }],
      handle: [{ handler: 'static_response', status_code: 308, headers: { Location: ['https://{http.request.host}{http.request.uri}'] } }],
      terminal: true,
    });
    assert.equal(ACME_CHALLENGE_PATH, '/.well-known/acme-challenge/*');
    assert.deepEqual(
      c.apps.http.servers['greenlight-443'].routes.map((r: { '@id': string }) => r['@id']),
      ['gl-shop-api-443'],
    );
    assert.equal(c.apps.http.servers['greenlight-80'].tls_connection_policies, undefined, 'the plain port stays plain');
  });

  test('a TLS port other than 443 is in the Location; the route\'s paths are matched as the route matches them', () => {
    const c = withRoute(null, route(8080, { paths: ['/api'] }), 30, { ports: [8443], hosts: ['shop.example.com'], redirectTo: 8443 });
    const [r] = c.apps.http.servers['greenlight-8080'].routes;
    assert.deepEqual(r.handle[0].headers.Location, ['https://{http.request.host}:8443{http.request.uri}']);
    assert.deepEqual(r.match, [{ host: ['shop.example.com'], path: ['/api', '/api/*'], not: [{ path: [ACME_CHALLENGE_PATH] }] }]);
  });

  test("another service's host names without a certificate on the same plain port are not redirected", () => {
    let c = withRoute(null, route(80, { id: 'gl-blog-web-80', hosts: ['blog.example.com'], service: 'web' }), 30, NO_TLS);
    c = withRoute(c, route(80), 30, PLAN);
    const routes = c.apps.http.servers['greenlight-80'].routes as { '@id': string; match: { host: string[] }[] }[];
    const redirects = routes.filter((r) => r['@id'].endsWith('-redirect'));
    assert.deepEqual(redirects.map((r) => r.match[0]!.host), [['shop.example.com']]);
    assert.ok(routes.some((r) => r['@id'] === 'gl-blog-web-80'));
  });

  test('redirectTo absent (redirect: false) or a plan without TLS removes the redirect; no plan at all (recover) keeps it; the health view lists no redirect', () => {
    const on = withRoute(null, route(80), 30, PLAN);
    assert.deepEqual(routesOf(on).map((r) => r.id), ['gl-shop-api-80'], 'routesOf shows the serving route only');
    const kept = withRoute(on, route(80, { upstream: 'other:3000' }), 30);
    assert.ok(kept.apps.http.servers['greenlight-80'].routes.some((r: { '@id': string }) => r['@id'] === 'gl-shop-api-80-redirect'));
    for (const plan of [{ ports: [443], hosts: ['shop.example.com'] }, NO_TLS]) {
      const off = withRoute(on, route(80), 30, plan);
      assert.deepEqual(
        off.apps.http.servers['greenlight-80'].routes.map((r: { '@id': string }) => r['@id']),
        ['gl-shop-api-80'],
      );
    }
  });

  test('maintenance covers the serving route and leaves the redirect in front of it', () => {
    const { config, covered } = withMaintenance(withRoute(null, route(80), 30, PLAN), ['gl-shop-api-80'], '<p>down</p>', 30);
    assert.deepEqual(covered, ['gl-shop-api-80']);
    assert.deepEqual(
      config.apps.http.servers['greenlight-80'].routes.map((r: { '@id': string }) => r['@id']),
      ['gl-shop-api-80-redirect', 'gl-shop-api-80-maintenance', 'gl-shop-api-80'],
    );
  });

  test('tlsPlanOf: redirect to 443 by default when the service also publishes a plain port; none with redirect: false or without a plain port', async () => {
    const files = { certificates: { 'shop.example.com': { certificate: 'shop.crt', key: 'shop.key' } } };
    const both = parse(['80:3000', '443:3000'], files);
    assert.equal(both.environments.production!.proxy.tls!.redirect, true, 'on by default');
    assert.equal((await tlsPlanOf(both.services[0]!, resolveEnvironment(both, dir, 'production')))!.plan.redirectTo, 443);
    const alt = parse(['8080:3000', '8443:3000'], { ...files, ports: [8443] });
    assert.equal((await tlsPlanOf(alt.services[0]!, resolveEnvironment(alt, dir, 'production')))!.plan.redirectTo, 8443);
    const off = parse(['80:3000', '443:3000'], { ...files, redirect: false });
    assert.equal((await tlsPlanOf(off.services[0]!, resolveEnvironment(off, dir, 'production')))!.plan.redirectTo, undefined);
    const tlsOnly = parse(['443:3000'], files);
    assert.equal((await tlsPlanOf(tlsOnly.services[0]!, resolveEnvironment(tlsOnly, dir, 'production')))!.plan.redirectTo, undefined);
    const acme = parse(['80:3000', '443:3000'], { acme: { email: 'ops@example.com' } });
    assert.equal((await tlsPlanOf(acme.services[0]!, resolveEnvironment(acme, dir, 'production')))!.plan.redirectTo, 443, 'ACME names are covered too');
    assert.throws(() => parse(['80:3000', '443:3000'], { ...files, redirect: 'yes' }), /redirect/);
  });
});
