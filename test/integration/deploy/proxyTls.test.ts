// HTTPS through the host's proxy with the user's own certificate files: a self-signed certificate
// made at test time for a test host name is copied into the proxy (Debian's Caddy, FROM scratch on
// the test bed) and loaded with tls.certificates.load_files; an HTTPS request to the published TLS
// port that trusts it and names the host gets the app. Its own project, port, proxy and network.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { buildAppImage } from './appImages';
import { bed, connect, recordingContext, type Bed } from './bed';

const PORT = 18753;
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
    proxyImage = execFileSync('bash', [path.resolve(__dirname, '../../testbed/proxyImage.sh'), '-H', `unix://${b.dockerSock}`], { encoding: 'utf8' }).trim().split(/\s+/)[0]!;
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-pxe-tls-'));
    mkdirSync(path.join(workspace, 'certs'));
    // A self-signed certificate for the test host name, made now: it is its own CA for the client.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(workspace, 'certs/site.key'), '-out', path.join(workspace, 'certs/site.crt'), '-days', '2', '-subj', `/CN=${HOSTNAME}`, '-addext', `subjectAltName=DNS:${HOSTNAME}`], { stdio: 'ignore' });
    ledger = await openLedger(workspace);
    const id = buildAppImage(`${PROJECT}-web:v1`, 'v1');
    await ledger.record({ imageId: id, service: 'web', version: 'v1', tags: [`${PROJECT}-web:v1`], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
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
      try {
        execFileSync('docker', ['-H', `unix://${b.dockerSock}`, 'network', 'rm', PROXY.network], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
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
    assert.match(ok.body, /demo v1/);
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
});
