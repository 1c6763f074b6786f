import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Secret } from '../../../src/core/common/secret';
import type { GreenlightConfig } from '../../../src/core/config/schema';
import { tailAudit } from '../../../src/core/deploy/audit';
import { deploy, type DeployRequest } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { probe } from '../../../src/core/deploy/health';
import { LockHeldError, readLock } from '../../../src/core/deploy/lock';
import { LABEL } from '../../../src/core/deploy/plan';
import { listRetained, rollback } from '../../../src/core/deploy/rollback';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage } from './appImages';
import { DB_PASSWORD, bed, bedConfig, connect, recordingContext, type Bed } from './bed';

const PORT = 18110;

suite('(integration) deploy: tested image to the production host over SSH', function () {
  this.timeout(240000);
  let b: Bed;
  let host: RemoteHost;
  let local: DockerEngine;
  let config: GreenlightConfig;
  let ledger: TestedImageLedger;
  let workspace: string;
  const ids: Record<string, string> = {};

  const record = async (v: string, result: 'passed' | 'failed' = 'passed'): Promise<void> =>
    ledger.record({ imageId: ids[v]!, service: 'web', version: v, tags: [`gl-it-web:${v}`], gitSha: 'abc123', result, durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });

  const request = (v: string, over: Partial<DeployRequest> = {}, cfg = config): DeployRequest => ({
    config: cfg,
    environment: resolveEnvironment(cfg, workspace, 'production', new Secret(DB_PASSWORD)),
    image: `gl-it-web:${v}`,
    ledger,
    secrets: { dbPassword: new Secret(DB_PASSWORD), env: {} },
    who: 'integration-test',
    ...over,
  });

  const serving = async (): Promise<string> => {
    const p = await probe(host, b.prodIp, PORT, '/cgi-bin/health');
    return p.status === 200 ? (JSON.parse(p.body) as { version: string }).version : `HTTP ${p.status} ${p.error ?? ''}`;
  };

  suiteSetup(async () => {
    b = bed();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-deploy-it-'));
    ledger = await openLedger(workspace);
    ids.v1 = buildAppImage('gl-it-web:v1', 'v1');
    ids.v2 = buildAppImage('gl-it-web:v2', 'v2');
    ids.v3bad = buildAppImage('gl-it-web:v3bad', 'v3bad', { healthStatus: 500 });
    ids.v4swapfail = buildAppImage('gl-it-web:v4swapfail', 'v4swapfail', { failOnPort: PORT });
    ids.v5untested = buildAppImage('gl-it-web:v5untested', 'v5untested');
    for (const v of ['v1', 'v2', 'v3bad', 'v4swapfail']) await record(v);
    config = bedConfig(b, { port: PORT });
    local = localDocker();
    host = await connect(b, recordingContext());
    for (const c of await host.docker.listContainers({ [LABEL.project]: 'glit' })) await host.docker.removeContainer(c.id);
  });

  suiteTeardown(async () => {
    if (host) {
      for (const c of await host.docker.listContainers({ [LABEL.project]: 'glit' })) await host.docker.removeContainer(c.id);
      host.close();
    }
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('first deploy: ships, backs up, health-checks, swaps in, audits', async () => {
    const ctx = recordingContext();
    // This project has no migrations, so only a forced backup is taken (migrations.test.ts covers the policy).
    const r = await deploy(ctx, local, host, request('v1', { backup: 'always' }));
    assert.equal(r.outcome, 'succeeded', r.message);
    assert.equal(r.serving, 'v1');
    assert.equal(await serving(), 'v1');
    assert.ok(r.backup?.id.startsWith('production_appdb_'), 'a pre-deploy backup was taken');
    assert.equal(r.backup?.deployVersion, 'v1');
    const audit = await tailAudit(ctx, host, config.environments.production!.stateDir);
    assert.equal(audit[0]?.result, 'succeeded');
    assert.equal(audit[0]?.version, 'v1');
    assert.equal(audit[0]?.backupId, r.backup?.id);
    assert.equal(await readLock(ctx, host, config.environments.production!.stateDir), 'free', 'lock released');
  });

  test('second deploy: the new version serves, the old one is kept for rollback', async () => {
    const r = await deploy(recordingContext(), local, host, request('v2'));
    assert.equal(r.outcome, 'succeeded', r.message);
    assert.equal(r.previousVersion, 'v1');
    assert.equal(await serving(), 'v2');
    assert.ok(r.switchMs !== undefined && r.switchMs > 0);
    const kept = await listRetained(host, config, 'production', 'web');
    assert.deepEqual(kept.map((c) => c.name), ['glit-web-previous-v1']);
  });

  test('unhealthy new version: refused before the swap, production untouched', async () => {
    const r = await deploy(recordingContext(), local, host, request('v3bad'));
    assert.equal(r.outcome, 'failed');
    assert.match(r.message, /not healthy.*Production untouched: v2 still serving/s);
    assert.equal(r.serving, 'v2');
    assert.equal(await serving(), 'v2');
    assert.equal(await host.docker.inspectContainer('glit-web-next'), undefined, 'the temporary container is gone');
  });

  test('health failure after the swap: automatic rollback, the old version serves again', async () => {
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, request('v4swapfail'));
    assert.equal(r.outcome, 'rolled-back', r.message);
    assert.equal(r.serving, 'v2');
    assert.equal(await serving(), 'v2');
    const cur = await host.docker.inspectContainer('glit-web');
    assert.equal(cur?.labels[LABEL.version], 'v2');
    assert.ok(ctx.lines.some((l) => /rollback: v2 is back and healthy/.test(l)), ctx.lines.join('\n'));
    const audit = await tailAudit(ctx, host, config.environments.production!.stateDir);
    assert.equal(audit[0]?.result, 'rolled-back');
    assert.equal(audit[0]?.serving, 'v2');
  });

  test('failed migration (release task): production untouched, the pre-deploy backup is offered, not restored', async () => {
    const cfg = { ...config, environments: { production: { ...config.environments.production!, releaseTasks: [{ name: 'migrate', phase: 'before-start' as const, command: ['/bin/busybox', 'sh', '-c', 'echo applying 002_add_index; echo "ERROR: relation missing" >&2; exit 3'] }] } } };
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, request('v1', {}, cfg));
    assert.equal(r.outcome, 'failed');
    assert.ok(r.restoreOffer?.backupId, 'a backup is offered');
    assert.equal(r.restoreOffer?.backupId, r.backup?.id);
    assert.match(r.message, /release task "migrate" failed \(exit 3\)/);
    assert.match(r.message, /Nothing was restored automatically/);
    assert.ok(ctx.lines.some((l) => l.includes('[migrate stdout] applying 002_add_index')), 'task output is streamed');
    assert.equal(await serving(), 'v2');
  });

  test('concurrent deploys: the second is refused naming the holder', async () => {
    const other = await connect(b, recordingContext());
    try {
      const [a, c] = await Promise.allSettled([
        deploy(recordingContext(), local, host, request('v1', { who: 'alice' })),
        deploy(recordingContext(), local, other, request('v1', { who: 'bob' })),
      ]);
      const ok = [a, c].filter((x) => x.status === 'fulfilled');
      const refused = [a, c].filter((x): x is PromiseRejectedResult => x.status === 'rejected');
      assert.equal(ok.length, 1, 'exactly one deploy ran');
      const ran = (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof deploy>>>).value;
      assert.equal(ran.outcome, 'succeeded', ran.message);
      assert.equal(refused.length, 1, 'exactly one deploy was refused');
      assert.ok(refused[0]!.reason instanceof LockHeldError, String(refused[0]!.reason));
      assert.match((refused[0]!.reason as Error).message, /held by (alice|bob) on .* for deploy web v1/);
    } finally {
      other.close();
    }
    assert.equal(await serving(), 'v1');
  });

  test('untested image: refused; deployed only with an explicit override, which is audited', async () => {
    await assert.rejects(deploy(recordingContext(), local, host, request('v5untested')), /refusing to deploy gl-it-web:v5untested .*never tested/);
    assert.equal(await serving(), 'v1');
    const r = await deploy(recordingContext(), local, host, request('v5untested', { untestedOverride: 'hotfix approved by on-call', skipBackup: true }));
    assert.equal(r.outcome, 'succeeded', r.message);
    const audit = await tailAudit(recordingContext(), host, config.environments.production!.stateDir);
    assert.equal(audit[0]?.untestedOverride, 'hotfix approved by on-call');
  });

  test('keep N: only keepVersions previous containers remain', async () => {
    const kept = await listRetained(host, config, 'production', 'web');
    assert.ok(kept.length <= 2, kept.map((c) => c.name).join(', '));
  });

  test('manual rollback returns to the previous version and audits it', async () => {
    const r = await rollback(recordingContext(), host, { config, environment: resolveEnvironment(config, workspace, 'production'), who: 'integration-test' });
    assert.equal(r.outcome, 'succeeded', r.message);
    assert.equal(r.from, 'v5untested');
    assert.equal(r.to, 'v1');
    assert.equal(await serving(), 'v1');
    const audit = await tailAudit(recordingContext(), host, config.environments.production!.stateDir);
    assert.equal(audit[0]?.action, 'rollback');
  });
});
