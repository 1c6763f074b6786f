// Maintenance mode through the host's proxy (Debian's Caddy in a FROM-scratch image on the test
// bed): while a deploy's slow release task runs, the service's published port answers the
// project's maintenance page with 503 and Retry-After; after the switch the new version answers;
// after a failing release task the old version answers again, not the page. Its own project,
// port, proxy container and network (prefix pxe-) so that no other suite's service is behind it.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import { deploy, type DeployRequest } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { LABEL } from '../../../src/core/deploy/plan';
import { Proxy, inMaintenance } from '../../../src/core/deploy/proxy';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage, proxyImageOn, removeNetworkIfPresent } from './appImages';
import { bed, connect, recordingContext, type Bed } from './bed';

const PORT = 18751;
const PROJECT = 'pxe-maint';
const PROXY = { container: 'pxe-caddy', network: 'pxe-net' };
const PAGE = '<html><body><h1>pxe maintenance</h1></body></html>\n';

function get(host: string, port: number, urlPath: string): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: urlPath, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
}

suite('(integration) proxy maintenance: the page while a release task runs, the new version after, the old one after a failed task', function () {
  this.timeout(300000);
  let b: Bed;
  let host: RemoteHost;
  let local: DockerEngine;
  let ledger: TestedImageLedger;
  let workspace: string;
  let proxyImage = '';

  const configWith = (releaseTasks: { name: string; command: string[] }[]): GreenlightConfig =>
    configSchema.parse({
      project: PROJECT,
      services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, publish: [`${PORT}:8080`], health: { path: '/cgi-bin/health', timeoutSeconds: 4, intervalMs: 200 } }],
      environments: {
        production: {
          ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey },
          docker: { socket: b.dockerSock },
          stateDir: `.greenlight/${PROJECT}-${process.pid}`,
          keepVersions: 2,
          releaseTasks,
          proxy: { image: proxyImage, ...PROXY, drainSeconds: 5, maintenance: { duringTasks: true, page: 'ops/maintenance.html', retryAfterSeconds: 17 } },
        },
      },
    });

  const request = (v: string, cfg: GreenlightConfig): DeployRequest => ({
    config: cfg,
    environment: resolveEnvironment(cfg, workspace, 'production'),
    image: `${PROJECT}-web:${v}`,
    ledger,
    secrets: { env: {} },
    who: 'integration-test',
  });

  /** Deploys while polling the port from the first release task on; returns every answer seen during the task. */
  const deployWatching = async (v: string, cfg: GreenlightConfig): Promise<{ result: Awaited<ReturnType<typeof deploy>>; during: { status: number; body: string; retryAfter?: string }[]; lines: string[] }> => {
    const during: { status: number; body: string; retryAfter?: string }[] = [];
    let polling: Promise<void> | undefined;
    let done = false;
    const ctx = recordingContext(undefined, (p) => {
      if (p.step === 'release task' && !polling) {
        polling = (async () => {
          while (!done) {
            during.push(await get(b.prodIp, PORT, '/'));
            await new Promise((r) => setTimeout(r, 200));
          }
        })();
      }
    });
    const result = await deploy(ctx, local, host, request(v, cfg));
    done = true;
    await polling;
    return { result, during, lines: ctx.lines };
  };

  const cleanup = async (): Promise<void> => {
    for (const c of await host.docker.listContainers({ [LABEL.project]: PROJECT })) await host.docker.removeContainer(c.id);
    const p = await host.docker.inspectContainer(PROXY.container);
    if (p) await host.docker.removeContainer(p.id);
  };

  suiteSetup(async () => {
    b = bed();
    proxyImage = proxyImageOn(b.dockerSock);
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-pxe-maint-'));
    execFileSync('mkdir', ['-p', path.join(workspace, 'ops')]);
    writeFileSync(path.join(workspace, 'ops/maintenance.html'), PAGE);
    ledger = await openLedger(workspace);
    for (const v of ['v1', 'v2', 'v3']) {
      const id = buildAppImage(`${PROJECT}-web:${v}`, v);
      await ledger.record({ imageId: id, service: 'web', version: v, tags: [`${PROJECT}-web:${v}`], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
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

  test('first deploy (no tasks): v1 serves through the proxy', async () => {
    const r = await deploy(recordingContext(), local, host, request('v1', configWith([])));
    assert.equal(r.outcome, 'succeeded', r.message);
    assert.match((await get(b.prodIp, PORT, '/')).body, /demo v1/);
  });

  test('a slow release task: the maintenance page (503, Retry-After) while it runs, v2 answers after the switch', async () => {
    const x = await deployWatching('v2', configWith([{ name: 'slow-migrate', command: ['sleep', '4'] }]));
    assert.equal(x.result.outcome, 'succeeded', `${x.result.message}\n${x.lines.join('\n')}`);
    const page = x.during.filter((r) => r.status === 503);
    assert.ok(page.length > 0, `no maintenance answer during the task: ${JSON.stringify(x.during.map((r) => r.status))}`);
    assert.equal(page[0]!.body, PAGE, 'the project page is served');
    assert.equal(page[0]!.retryAfter, '17');
    assert.ok(!x.during.some((r) => r.status === 200 && /demo v1/.test(r.body) && x.during.indexOf(r) > x.during.indexOf(page[0]!) && x.during.indexOf(r) < x.during.lastIndexOf(page[page.length - 1]!)), 'v1 never answered between maintenance answers');
    const after = await get(b.prodIp, PORT, '/');
    assert.equal(after.status, 200);
    assert.match(after.body, /demo v2/);
    const cfg = await new Proxy(host.docker, configWith([]).environments.production!.proxy, b.sshHost).config();
    assert.deepEqual(inMaintenance(cfg), [], 'nothing is left in maintenance');
  });

  test('a failing release task: the page while it runs, then v2 (the old version) answers again, not the page', async () => {
    const x = await deployWatching('v3', configWith([{ name: 'migrate-fails', command: ['sh', '-c', 'sleep 3; exit 1'] }]));
    assert.equal(x.result.outcome, 'failed', x.result.message);
    assert.match(x.result.message, /migrate-fails/);
    assert.equal(x.result.serving, 'v2');
    assert.ok(x.during.some((r) => r.status === 503 && r.body === PAGE), `no maintenance answer during the task: ${JSON.stringify(x.during.map((r) => r.status))}`);
    const after = await get(b.prodIp, PORT, '/');
    assert.equal(after.status, 200, after.body);
    assert.match(after.body, /demo v2/);
    const cfg = await new Proxy(host.docker, configWith([]).environments.production!.proxy, b.sshHost).config();
    assert.deepEqual(inMaintenance(cfg), [], 'nothing is left in maintenance after the failed deploy');
    assert.ok(x.lines.some((l) => /maintenance: ended/.test(l)), x.lines.join('\n'));
  });

  test('a missing page file is refused before anything changes, saying which file', async () => {
    const cfg = configWith([{ name: 'slow-migrate', command: ['sleep', '1'] }]);
    const broken = { ...cfg, environments: { production: { ...cfg.environments.production!, proxy: { ...cfg.environments.production!.proxy, maintenance: { duringTasks: true, page: 'ops/missing.html', retryAfterSeconds: 5 } } } } };
    await assert.rejects(deploy(recordingContext(), local, host, request('v3', broken)), /proxy\.maintenance\.page: cannot read .*ops\/missing\.html/);
    assert.match((await get(b.prodIp, PORT, '/')).body, /demo v2/);
  });
});
