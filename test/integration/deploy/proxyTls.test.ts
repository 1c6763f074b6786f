// HTTPS through the host's proxy with the user's own certificate files: a self-signed certificate
// made at test time for a test host name is copied into the proxy (Debian's Caddy, FROM scratch on
// the test bed) and loaded with tls.certificates.load_files; an HTTPS request to the published TLS
// port that trusts it and names the host gets the app. Its own project, port, proxy and network.
// With a plain port beside the TLS one, a plain-HTTP request for the host name gets a 308 to HTTPS;
// another service's host name on the same plain port, without a certificate, still gets its app.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { deploy } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { LABEL } from '../../../src/core/deploy/plan';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage, proxyImageOn, removeNetworkIfPresent } from './appImages';
import { bed, connect, recordingContext, type Bed } from './bed';

const PORT = 18753;
const PLAIN_PORT = 18754;
const PLAIN_HOSTNAME = 'pxe-tls-plain.test';
const PROJECT = 'pxe-tls';
const HOSTNAME = 'pxe-tls.test';
const PROXY = { container: 'pxe-tls-caddy', network: 'pxe-tls-net' };

/** One HTTPS GET to the proxy's TLS port, trusting only `ca`, with SNI and Host set to `servername`. */
function httpsGet(host: string, port: number, servername: string, ca: Buffer): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = https.get({ host, port, path: '/', servername, ca, headers: { host: servername }, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
  });
}

/** One plain-HTTP request to the proxy with the Host header `hostName`; redirects are not followed. */
function httpRequest(host: string, port: number, method: string, urlPath: string, hostName: string): Promise<{ status: number; body: string; location?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host, port, method, path: urlPath, headers: { host: hostName }, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), location: res.headers.location }));
    });
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(method === 'POST' ? 'a=1' : undefined);
  });
}

suite('(integration) proxy TLS: your own certificate files, copied into the proxy, answer HTTPS for the route\'s host name', function () {
  this.timeout(300000);
  let b: Bed;
  let host: RemoteHost;
  let local: DockerEngine;
  let ledger: TestedImageLedger;
  let workspace: string;
  let proxyImage = '';
  let config: GreenlightConfig;

  const cleanup = async (): Promise<void> => {
    for (const c of await host.docker.listContainers({ [LABEL.project]: PROJECT })) await host.docker.removeContainer(c.id);
    const p = await host.docker.inspectContainer(PROXY.container);
    if (p) await host.docker.removeContainer(p.id);
  };

  suiteSetup(async () => {
    b = bed();
    proxyImage = proxyImageOn(b.dockerSock);
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-pxe-tls-'));
    mkdirSync(path.join(workspace, 'certs'));
    // A self-signed certificate for the test host name, made now: it is its own CA for the client.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(workspace, 'certs/site.key'), '-out', path.join(workspace, 'certs/site.crt'), '-days', '2', '-subj', `/CN=${HOSTNAME}`, '-addext', `subjectAltName=DNS:${HOSTNAME}`], { stdio: 'ignore' });
    ledger = await openLedger(workspace);
    for (const s of ['web', 'plain']) {
      const id = buildAppImage(`${PROJECT}-${s}:v1`, `${s} v1`);
      await ledger.record({ imageId: id, service: s, version: 'v1', tags: [`${PROJECT}-${s}:v1`], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    config = configSchema.parse({
      project: PROJECT,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, publish: [`${PORT}:8080`], proxy: { hosts: [HOSTNAME] }, health: { path: '/cgi-bin/health', timeoutSeconds: 4, intervalMs: 200 } }],
      environments: {
        production: {
          ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey },
          docker: { socket: b.dockerSock },
          stateDir: `.greenlight/${PROJECT}-${process.pid}`,
          proxy: { image: proxyImage, ...PROXY, drainSeconds: 5, tls: { ports: [PORT], certificates: { [HOSTNAME]: { certificate: 'certs/site.crt', key: 'certs/site.key' } } } },
        },
      },
    });
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

  test('an HTTPS request with the right server name and the certificate trusted gets the app; the key is 0600 in the proxy and in no log line', async () => {
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, { config, environment: resolveEnvironment(config, workspace, 'production'), image: `${PROJECT}-web:v1`, ledger, secrets: { env: {} }, who: 'integration-test' });
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    const ca = readFileSync(path.join(workspace, 'certs/site.crt'));
    const ok = await httpsGet(b.prodIp, PORT, HOSTNAME, ca);
    assert.equal(ok.error, undefined, ok.error);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /demo web v1/);
    const wrongName = await httpsGet(b.prodIp, PORT, 'other.test', ca);
    assert.notEqual(wrongName.status, 200, 'a server name without a certificate gets no answer from the app');
    const mode = execFileSync('docker', ['-H', `unix://${b.dockerSock}`, 'exec', PROXY.container, '/bin/busybox', 'stat', '-c', '%a', `/greenlight-tls/${HOSTNAME}.key`], { encoding: 'utf8' }).trim();
    assert.equal(mode, '600');
    const keyBody = readFileSync(path.join(workspace, 'certs/site.key'), 'utf8').split('\n')[1]!;
    assert.ok(keyBody.length > 20 && !ctx.lines.some((l) => l.includes(keyBody)), 'no log line holds the key');
  });

  test('a host name without a certificate is refused before anything changes, naming the setting', async () => {
    const cfg = { ...config, services: [{ ...config.services[0]!, proxy: { hosts: [HOSTNAME, 'pxe-other.test'], paths: [] } }] };
    await assert.rejects(
      deploy(recordingContext(), local, host, { config: cfg, environment: resolveEnvironment(cfg, workspace, 'production'), image: `${PROJECT}-web:v1`, ledger, secrets: { env: {} }, who: 'integration-test' }),
      /answers HTTPS on port 18753 for pxe-other\.test, but environments\.production\.proxy\.tls\.certificates has no certificate for it/,
    );
  });

  test('with a plain port beside the TLS port, plain HTTP for the host name gets a 308 to https:// on the TLS port (the challenge path excepted); another service\'s host name there gets its app', async () => {
    const web = { ...config.services[0]!, publish: configSchema.parse({ project: 'x', services: [{ name: 'x', port: 8080, publish: [`${PLAIN_PORT}:8080`, `${PORT}:8080`] }] }).services[0]!.publish };
    const plain = { ...config.services[0]!, name: 'plain', publish: web.publish.filter((p) => p.host === PLAIN_PORT), proxy: { hosts: [PLAIN_HOSTNAME], paths: [] } };
    const cfg = { ...config, services: [web, plain] };
    for (const s of ['web', 'plain']) {
      const ctx = recordingContext();
      const r = await deploy(ctx, local, host, { config: cfg, service: s, environment: resolveEnvironment(cfg, workspace, 'production'), image: `${PROJECT}-${s}:v1`, ledger, secrets: { env: {} }, who: 'integration-test' });
      assert.equal(r.outcome, 'succeeded', `${s}: ${r.message}\n${ctx.lines.join('\n')}`);
    }
    for (const method of ['GET', 'POST']) {
      const moved = await httpRequest(b.prodIp, PLAIN_PORT, method, '/shop/cart?item=3', HOSTNAME);
      assert.equal(moved.error, undefined, moved.error);
      assert.equal(moved.status, 308, `${method}: ${moved.status} ${moved.body}`);
      assert.equal(moved.location, `https://${HOSTNAME}:${PORT}/shop/cart?item=3`);
    }
    const challenge = await httpRequest(b.prodIp, PLAIN_PORT, 'GET', '/.well-known/acme-challenge/token123', HOSTNAME);
    assert.equal(challenge.error, undefined, challenge.error);
    assert.notEqual(challenge.status, 308, `the ACME challenge path is not redirected (${challenge.status} ${challenge.body.slice(0, 60)})`);
    assert.equal(challenge.location, undefined);
    const other = await httpRequest(b.prodIp, PLAIN_PORT, 'GET', '/', PLAIN_HOSTNAME);
    assert.equal(other.status, 200, other.error ?? other.body);
    assert.match(other.body, /demo plain v1/, 'a host name without a certificate is served plain, by its app');
    const ok = await httpsGet(b.prodIp, PORT, HOSTNAME, readFileSync(path.join(workspace, 'certs/site.crt')));
    assert.equal(ok.status, 200, ok.error);
    assert.match(ok.body, /demo web v1/, 'the HTTPS port still serves the app');
    // redirect: false, deployed again: the route's redirect goes, the plain port serves the app.
    const env = config.environments.production!;
    const off = { ...cfg, environments: { production: { ...env, proxy: { ...env.proxy, tls: { ...env.proxy.tls!, redirect: false } } } } };
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, { config: off, service: 'web', environment: resolveEnvironment(off, workspace, 'production'), image: `${PROJECT}-web:v1`, ledger, secrets: { env: {} }, who: 'integration-test' });
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    const served = await httpRequest(b.prodIp, PLAIN_PORT, 'GET', '/', HOSTNAME);
    assert.equal(served.status, 200, served.error ?? `${served.status} ${served.location ?? ''}`);
    assert.match(served.body, /demo web v1/);
  });
});
