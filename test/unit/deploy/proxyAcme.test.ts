import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatProblem, parseConfig } from '../../../src/core/config/load';
import { configSchema } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { acmeRootFileName, proxySpec, withRoute, type ProxyRoute, type TlsPlan } from '../../../src/core/deploy/proxy';
import { tlsPlanOf } from '../../../src/core/deploy/proxyTls';

const route = (over: Partial<ProxyRoute> = {}): ProxyRoute => ({ id: 'gl-shop-api-443', port: 443, hosts: ['shop.example.com'], paths: [], upstream: 'shop-api:3000', service: 'api', version: 'v2', ...over });
const LE = 'https://acme-v02.api.letsencrypt.org/directory';

function parse(service: Record<string, unknown>, tls: Record<string, unknown>) {
  return configSchema.parse({ project: 'shop', services: [{ name: 'api', port: 3000, publish: ['443:3000'], ...service }], environments: { production: { ssh: { host: '198.18.77.2', user: 'deploy' }, proxy: { tls } } } });
}

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

suite('(unit) proxy ACME: automatic certificates in the Caddy config and the settings that ask for them', () => {
  let dir: string;
  suiteSetup(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gl-acme-unit-'));
    writeFileSync(path.join(dir, 'shop.crt'), PEM_CERT);
    writeFileSync(path.join(dir, 'shop.key'), PEM_KEY);
    writeFileSync(path.join(dir, 'root.pem'), PEM_CERT);
    writeFileSync(path.join(dir, 'not.pem'), 'hello\n');
  });
  suiteTeardown(() => rmSync(dir, { recursive: true, force: true }));

  test('the ACME hosts are automated by a policy with the ACME issuer (ca, email, trusted root); Caddy takes no names from the routes', () => {
    const tls: TlsPlan = { ports: [443], hosts: [], acme: { hosts: ['shop.example.com'], email: 'ops@example.com', ca: 'https://acme.test/dir', rootFile: 'acme-ca-root-abc.pem' } };
    const c = withRoute(null, route(), 30, tls);
    const server = c.apps.http.servers['greenlight-443'];
    assert.deepEqual(server.tls_connection_policies, [{}]);
    assert.deepEqual(server.automatic_https, { disable: true });
    assert.deepEqual(c.apps.tls.certificates.automate, ['shop.example.com']);
    assert.deepEqual(c.apps.tls.automation.policies, [
      { subjects: ['shop.example.com'], issuers: [{ module: 'acme', ca: 'https://acme.test/dir', email: 'ops@example.com', trusted_roots_pem_files: ['/greenlight-tls/acme-ca-root-abc.pem'] }] },
    ]);
    const plain = withRoute(null, route(), 30, { ports: [443], hosts: [], acme: { hosts: ['shop.example.com'], email: 'ops@example.com', ca: LE } });
    assert.deepEqual(plain.apps.tls.automation.policies[0].issuers, [{ module: 'acme', ca: LE, email: 'ops@example.com' }], 'no root file: no trusted_roots_pem_files');
    const port80 = withRoute(null, route({ port: 80, id: 'gl-shop-api-80' }), 30, tls);
    assert.equal(port80.apps.tls, undefined, 'a route on a port that is not a TLS port gets no certificates');
  });

  test("another project's ACME names and policies stay; a deploy again does not duplicate its own; a catch-all policy stays last", () => {
    const other: TlsPlan = { ports: [443], hosts: [], acme: { hosts: ['blog.example.com'], email: 'b@example.com', ca: LE } };
    let c = withRoute(null, route({ id: 'gl-blog-web-443', hosts: ['blog.example.com'] }), 30, other);
    c.apps.tls.automation.policies.push({ issuers: [{ module: 'internal' }] });
    const mine: TlsPlan = { ports: [443], hosts: ['own.example.com'], acme: { hosts: ['shop.example.com'], email: 'ops@example.com', ca: LE } };
    c = withRoute(c, route({ hosts: ['shop.example.com', 'own.example.com'] }), 30, mine);
    const again = withRoute(c, route({ hosts: ['shop.example.com', 'own.example.com'], upstream: 'v3:3000' }), 30, mine);
    assert.deepEqual(again.apps.tls.certificates.automate, ['blog.example.com', 'shop.example.com']);
    assert.deepEqual(
      again.apps.tls.automation.policies.map((p: { subjects?: string[] }) => p.subjects),
      [['blog.example.com'], ['shop.example.com'], undefined],
    );
    assert.deepEqual(again.apps.tls.certificates.load_files.map((f: { certificate: string }) => f.certificate), ['/greenlight-tls/own.example.com.crt'], 'own files are loaded as before');
    const moved = withRoute(again, route({ id: 'gl-blog-web-443', hosts: ['blog.example.com'] }), 30, { ...other, acme: { ...other.acme!, email: 'new@example.com' } });
    assert.equal(moved.apps.tls.automation.policies.filter((p: { subjects?: string[] }) => p.subjects?.includes('blog.example.com')).length, 1, 'a name is in one policy only');
    assert.equal(moved.apps.tls.automation.policies[1].issuers[0].email, 'new@example.com');
  });

  test('the root file is named by its contents, so a new root file changes the config', () => {
    assert.match(acmeRootFileName(Buffer.from('a')), /^acme-ca-root-[0-9a-f]{12}\.pem$/);
    assert.notEqual(acmeRootFileName(Buffer.from('a')), acmeRootFileName(Buffer.from('b')));
  });

  test("the proxy's data directory is a named volume, kept when the container is re-created", () => {
    const env = parse({}, { acme: { email: 'ops@example.com' } }).environments.production!;
    const spec = proxySpec(env.proxy, [{ host: 443 }]);
    assert.deepEqual(spec.volumes, ['greenlight-proxy-data:/data']);
    assert.equal(spec.labels['greenlight.proxy.data'], 'greenlight-proxy-data', 'recorded, so a proxy an older Greenlight created without it is told apart');
  });

  test('own certificate files win for the names they cover; the other names go to ACME; the root file is read', async () => {
    const cfg = parse(
      { proxy: { hosts: ['Shop.example.com', 'www.example.com', 'api.example.com'] } },
      { certificates: { 'shop.example.com': { certificate: 'shop.crt', key: 'shop.key' } }, acme: { email: 'ops@example.com', ca: 'https://acme.test/dir', caRootFile: 'root.pem' } },
    );
    const p = await tlsPlanOf(cfg.services[0]!, resolveEnvironment(cfg, dir, 'production'));
    assert.deepEqual(p!.plan.hosts, ['shop.example.com']);
    assert.deepEqual(p!.plan.acme, { hosts: ['www.example.com', 'api.example.com'], email: 'ops@example.com', ca: 'https://acme.test/dir', rootFile: acmeRootFileName(Buffer.from(PEM_CERT)) });
    assert.equal(p!.acmeRoot?.toString(), PEM_CERT);
    const onlyFiles = parse({ proxy: { hosts: ['shop.example.com'] } }, { certificates: { 'shop.example.com': { certificate: 'shop.crt', key: 'shop.key' } }, acme: { email: 'ops@example.com' } });
    const q = await tlsPlanOf(onlyFiles.services[0]!, resolveEnvironment(onlyFiles, dir, 'production'));
    assert.equal(q!.plan.acme, undefined, 'every name has files: nothing for ACME');
  });

  test('refused before anything changes: a name with neither, a wildcard for ACME, an unreadable or non-PEM root file', async () => {
    const plan = (hosts: string[], tls: Record<string, unknown>) => {
      const cfg = parse({ proxy: { hosts } }, tls);
      return tlsPlanOf(cfg.services[0]!, resolveEnvironment(cfg, dir, 'production'));
    };
    await assert.rejects(plan(['www.example.com'], { certificates: { 'shop.example.com': { certificate: 'shop.crt', key: 'shop.key' } } }), /for www\.example\.com, but environments\.production\.proxy\.tls\.certificates has no certificate for it \(have: shop\.example\.com\) and environments\.production\.proxy\.tls\.acme is not set/);
    await assert.rejects(plan(['*.example.com'], { acme: { email: 'ops@example.com' } }), /\*\.example\.com: a wildcard name needs the ACME DNS-01 challenge/);
    await assert.rejects(plan(['shop.example.com'], { acme: { email: 'ops@example.com', caRootFile: 'missing.pem' } }), /environments\.production\.proxy\.tls\.acme\.caRootFile: cannot read .*missing\.pem/);
    await assert.rejects(plan(['shop.example.com'], { acme: { email: 'ops@example.com', caRootFile: 'not.pem' } }), /acme\.caRootFile: .*not\.pem is not a PEM certificate/);
  });

  test('the acme settings: Let\'s Encrypt production by default; a bad email, a non-https CA or an unknown key is refused at its file:line', () => {
    const ok = parse({ proxy: { hosts: ['shop.example.com'] } }, { acme: { email: 'ops@example.com' } });
    assert.deepEqual(ok.environments.production!.proxy.tls, { ports: [443], certificates: {}, acme: { email: 'ops@example.com', ca: LE }, redirect: true });
    const yaml = (acme: string) =>
      [
        'project: shop',
        'services:',
        '  - name: api',
        '    port: 3000',
        '    publish: ["443:3000"]',
        '    proxy: { hosts: [shop.example.com] }',
        'environments:',
        '  production:',
        '    ssh: { host: 198.18.77.2, user: deploy }',
        '    proxy:',
        '      tls:',
        '        acme:',
        acme,
      ].join('\n');
    const problems = (acme: string) => {
      const r = parseConfig(yaml(acme), 'greenlight.yaml');
      assert.equal(r.ok, false, acme);
      return r.ok ? [] : r.problems.map(formatProblem);
    };
    assert.match(problems('          email: not-an-email').join('\n'), /^greenlight\.yaml:13:\d+: .*email address/m);
    assert.match(problems('          email: ops@example.com\n          ca: http://acme.test/dir').join('\n'), /^greenlight\.yaml:14:\d+: .*https:\/\/ directory URL/m);
    assert.match(problems('          email: ops@example.com\n          rootFile: x.pem').join('\n'), /^greenlight\.yaml:14:\d+: .*rootFile/m);
    assert.match(problems('          {}').join('\n'), /greenlight\.yaml:\d+:\d+: .*email/);
    assert.throws(() => parse({}, {}), /certificates[\s\S]*or acme/);
  });
});
