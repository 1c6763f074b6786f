// HTTPS through the host's proxy with an automatic certificate: Caddy (Debian's, FROM scratch on
// the test bed) obtains it from pebble, Let's Encrypt's ACME test server (Debian's package), run by
// this test on the machine's test bed address, which the proxy container on the production host
// reaches. Pebble runs with PEBBLE_VA_ALWAYS_VALID=1 (every HTTP-01/TLS-ALPN-01 challenge counts as
// passed without pebble connecting anywhere: the test host name has no DNS and the proxy's ports
// 80/443 are not reachable as a public CA would need) and PEBBLE_VA_NOSLEEP=1 (no random waits);
// PEBBLE_WFE_NONCEREJECT=0 so no good nonce is rejected on purpose. Pebble's own HTTPS certificate
// comes from a throwaway CA made here with openssl, which the proxy trusts through caRootFile.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
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

const PORT = 18763;
const PEBBLE_PORT = 18764;
const PEBBLE_MGMT_PORT = 18765;
const PROJECT = 'pxe-acme';
const HOSTNAME = 'pxe-acme.test';
const PROXY = { container: 'pxe-acme-caddy', network: 'pxe-acme-net' };
const VOLUME = `${PROXY.container}-data`;

interface Answer {
  status: number;
  body: string;
  error?: string;
  cert?: { serial: string; raw: Buffer };
}

/** One HTTPS GET, trusting only `ca`, with SNI and Host set to `servername`; the server's certificate with it. */
function httpsGet(host: string, port: number, urlPath: string, servername: string | undefined, ca: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const req = https.get({ host, port, path: urlPath, ...(servername ? { servername, headers: { host: servername } } : {}), ca, agent: false, timeout: 10_000 }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), cert: { serial: peer.serialNumber, raw: peer.raw } }));
    });
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

/** Asks until the app answers (Caddy obtains the certificate in the background after a config load), at most `seconds`. */
async function untilServed(host: string, ca: Buffer, seconds: number): Promise<Answer> {
  const until = Date.now() + seconds * 1000;
  let last: Answer;
  do {
    last = await httpsGet(host, PORT, '/', HOSTNAME, ca);
    if (last.status === 200) return last;
    await new Promise((r) => setTimeout(r, 500));
  } while (Date.now() < until);
  return last;
}

suite('(integration) proxy ACME: Caddy obtains the certificate from an ACME server (pebble) and keeps it across a re-created proxy', function () {
  this.timeout(300000);
  let b: Bed;
  let host: RemoteHost;
  let local: DockerEngine;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  let pebble: ChildProcess | undefined;
  let pebbleLog = '';
  let pebbleCa: Buffer;
  let firstSerial = '';

  const docker = (...args: string[]): string => execFileSync('docker', ['-H', `unix://${b.dockerSock}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  // Caddy logs to stderr, which `docker logs` passes on as its own stderr.
  const containerLogs = (): string => {
    const r = spawnSync('docker', ['-H', `unix://${b.dockerSock}`, 'logs', PROXY.container], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };
  const removeProxy = async (): Promise<void> => {
    const p = await host.docker.inspectContainer(PROXY.container);
    if (p) await host.docker.removeContainer(p.id);
  };
  const cleanup = async (): Promise<void> => {
    for (const c of await host.docker.listContainers({ [LABEL.project]: PROJECT })) await host.docker.removeContainer(c.id);
    await removeProxy();
    try {
      // The test's own volume: a certificate of an earlier run's pebble (another root) must not be served.
      docker('volume', 'rm', VOLUME);
    } catch {
      // Not there.
    }
  };
  const run = async (version: string): Promise<void> => {
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, { config, environment: resolveEnvironment(config, workspace, 'production'), image: `${PROJECT}-web:${version}`, ledger, secrets: { env: {} }, who: 'integration-test' });
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
  };

  suiteSetup(async () => {
    b = bed();
    const proxyImage = proxyImageOn(b.dockerSock);
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-pxe-acme-'));
    const certs = path.join(workspace, 'certs');
    mkdirSync(certs);
    const hostIp = process.env.HOST_IP ?? execFileSync('bash', ['-c', 'source /tmp/greenlight-testbed/env && echo "$HOST_IP"'], { encoding: 'utf8' }).trim();
    // A throwaway CA and pebble's HTTPS certificate for its address, signed by it.
    const ossl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${certs}/ca.key`, '-out', `${certs}/ca.crt`, '-days', '2', '-subj', '/CN=greenlight test pebble CA');
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${certs}/pebble.key`, '-out', `${certs}/pebble.csr`, '-subj', '/CN=pebble');
    writeFileSync(`${certs}/ext.cnf`, `subjectAltName=IP:${hostIp}\nextendedKeyUsage=serverAuth\n`);
    ossl('x509', '-req', '-in', `${certs}/pebble.csr`, '-CA', `${certs}/ca.crt`, '-CAkey', `${certs}/ca.key`, '-CAcreateserial', '-out', `${certs}/pebble.crt`, '-days', '2', '-extfile', `${certs}/ext.cnf`);
    pebbleCa = readFileSync(`${certs}/ca.crt`);
    writeFileSync(
      path.join(workspace, 'pebble.json'),
      JSON.stringify({ pebble: { listenAddress: `${hostIp}:${PEBBLE_PORT}`, managementListenAddress: `${hostIp}:${PEBBLE_MGMT_PORT}`, certificate: `${certs}/pebble.crt`, privateKey: `${certs}/pebble.key`, httpPort: 5002, tlsPort: 5001, ocspResponderURL: '', externalAccountBindingRequired: false } }),
    );
    pebble = spawn('pebble', ['-config', path.join(workspace, 'pebble.json')], { env: { ...process.env, PEBBLE_VA_ALWAYS_VALID: '1', PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    pebble.stdout!.on('data', (c: Buffer) => (pebbleLog += c.toString()));
    pebble.stderr!.on('data', (c: Buffer) => (pebbleLog += c.toString()));
    const until = Date.now() + 15_000;
    while ((await httpsGet(hostIp, PEBBLE_PORT, '/dir', undefined, pebbleCa)).status !== 200) {
      if (Date.now() > until || pebble.exitCode !== null) throw new Error(`pebble did not answer on ${hostIp}:${PEBBLE_PORT}:\n${pebbleLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    ledger = await openLedger(workspace);
    for (const v of ['v1', 'v2']) {
      const id = buildAppImage(`${PROJECT}-web:${v}`, v);
      await ledger.record({ imageId: id, service: 'web', version: v, tags: [`${PROJECT}-web:${v}`], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    config = configSchema.parse({
      project: PROJECT,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, publish: [`${PORT}:8080`], proxy: { hosts: [HOSTNAME] }, health: { path: '/cgi-bin/health', timeoutSeconds: 4, intervalMs: 200 } }],
      environments: {
        production: {
          ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey },
          docker: { socket: b.dockerSock },
          stateDir: `.greenlight/${PROJECT}-${process.pid}`,
          proxy: { image: proxyImage, ...PROXY, drainSeconds: 5, tls: { ports: [PORT], acme: { email: 'ops@pxe-acme.test', ca: `https://${hostIp}:${PEBBLE_PORT}/dir`, caRootFile: 'certs/ca.crt' } } },
        },
      },
    });
    local = localDocker();
    host = await connect(b, recordingContext());
    await cleanup();
  });

  suiteTeardown(async () => {
    pebble?.kill('SIGTERM');
    if (host) {
      await cleanup().catch(() => undefined);
      removeNetworkIfPresent(b.dockerSock, PROXY.network);
      host.close();
    }
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  /** Pebble's intermediate, the issuer of every certificate it gives out, and its root (a new pair per pebble run). */
  const pebbleChain = async (): Promise<{ root: Buffer; intermediate: X509Certificate }> => {
    const hostIp = new URL(config.environments.production!.proxy.tls!.acme!.ca).hostname;
    const root = await httpsGet(hostIp, PEBBLE_MGMT_PORT, '/roots/0', undefined, pebbleCa);
    const inter = await httpsGet(hostIp, PEBBLE_MGMT_PORT, '/intermediates/0', undefined, pebbleCa);
    assert.equal(root.status, 200, root.error ?? root.body);
    assert.equal(inter.status, 200, inter.error ?? inter.body);
    return { root: Buffer.from(root.body), intermediate: new X509Certificate(inter.body) };
  };

  test("an HTTPS request for the host name gets the app, with a certificate pebble's intermediate issued", async () => {
    await run('v1');
    const { root, intermediate } = await pebbleChain();
    const ok = await untilServed(b.prodIp, root, 90);
    if (ok.error) assert.fail(`${ok.error}\n${containerLogs().split('\n').slice(-40).join('\n')}`);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /demo v1/);
    const leaf = new X509Certificate(ok.cert!.raw);
    assert.ok(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey), `issued by ${leaf.issuer}, not by pebble's intermediate ${intermediate.subject}`);
    assert.match(leaf.subjectAltName ?? '', new RegExp(`DNS:${HOSTNAME.replace(/\./g, '\\.')}`));
    firstSerial = ok.cert!.serial;
    const storage = docker('run', '--rm', '-v', `${VOLUME}:/data`, '--entrypoint', '/bin/busybox', config.environments.production!.proxy.image, 'find', '/data/caddy/certificates', '-name', '*.crt');
    assert.match(storage, new RegExp(`${HOSTNAME.replace(/\./g, '\\.')}\\.crt`), `the certificate is in the proxy's data volume ${VOLUME}`);
  });

  test('the proxy container removed and created anew (a deploy) serves the same certificate: no new order', async () => {
    assert.ok(firstSerial, 'the first test obtained a certificate');
    await removeProxy();
    await run('v2');
    const { root } = await pebbleChain();
    const ok = await untilServed(b.prodIp, root, 60);
    assert.equal(ok.status, 200, ok.error);
    assert.match(ok.body, /demo v2/);
    assert.equal(ok.cert!.serial, firstSerial, 'the certificate in the data volume is served, not a new one');
    // Caddy logs "obtaining certificate" before every order it places: the new container placed none.
    const logs = containerLogs();
    assert.doesNotMatch(logs, /obtaining certificate/);
    assert.match(logs, /admin endpoint started/, 'the logs were read');
  });
});
