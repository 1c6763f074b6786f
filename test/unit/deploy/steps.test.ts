import * as assert from 'node:assert/strict';
import type { JobContext } from '../../../src/core/common/job';
import { configSchema } from '../../../src/core/config/schema';
import { deploy, type DeployResult, type TestedImages } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { recover } from '../../../src/core/deploy/recover';
import { inMaintenance } from '../../../src/core/deploy/proxy';
import type { DockerEngine, ImageInfo } from '../../../src/core/images/docker';
import { FakeHost, type Policy } from './fakeHost';

const IMAGE: ImageInfo = { id: 'sha256:' + 'c'.repeat(64), repoTags: ['shop-api:v2'], sizeBytes: 1000, labels: {}, env: [], layers: [] };
const OLD: ImageInfo = { id: 'sha256:' + 'd'.repeat(64), repoTags: ['shop-api:v1'], sizeBytes: 1000, labels: {}, env: [], layers: [] };

function configWith(service: Record<string, unknown>, releaseTasks: unknown[] = []) {
  return configSchema.parse({
    project: 'shop',
    services: [{ name: 'api', port: 3000, health: { path: '/healthz', timeoutSeconds: 2, intervalMs: 50 }, ...service }],
    environments: { production: { ssh: { host: '198.18.77.2', user: 'deploy' }, stateDir: '.greenlight', releaseTasks } },
  });
}

const ledger: TestedImages = {
  isTested: () => true,
  get: (id) => ({ version: id === IMAGE.id ? 'v2' : 'v1', service: 'api', tags: id === IMAGE.id ? IMAGE.repoTags : OLD.repoTags, result: 'passed', testedAt: '2026-12-01T00:00:00Z' }),
};

function quiet(): JobContext & { lines: string[] } {
  const lines: string[] = [];
  return { signal: new AbortController().signal, progress: () => undefined, log: (l) => void lines.push(l), lines };
}

async function run(fake: FakeHost, config: ReturnType<typeof configWith>, image: ImageInfo, version: string): Promise<DeployResult> {
  fake.images.set(image.id, image);
  const local = { where: 'local engine', inspectImage: async () => image } as unknown as DockerEngine;
  const environment = resolveEnvironment(config, fake.home, 'production');
  return await deploy(quiet(), local, fake.asRemoteHost(), { config, environment, image: image.repoTags[0]!, version, ledger, secrets: { env: {} }, stopTimeoutSeconds: 1 });
}

const stepsOf = (r: DeployResult): string[] => r.steps.map((s) => `${s.step}:${s.outcome}`);
const healthy: Policy = { health: () => 200, taskExit: () => 0 };

/** The fake host with v1 deployed and serving. */
async function withV1(policy: Policy, config: ReturnType<typeof configWith>): Promise<FakeHost> {
  const fake = new FakeHost({ ...policy });
  const first = await run(fake, config, OLD, 'v1');
  assert.equal(first.outcome, 'succeeded', first.message);
  fake.calls.length = 0;
  return fake;
}

suite('(unit) deploy: the named steps and their rollback paths, on a recording fake host', () => {
  for (const mode of ['host', 'bridge'] as const) {
    // Bridge networking with the old stop-and-swap (proxy: false); the proxy's own suite is below.
    const service = mode === 'bridge' ? { networks: [{ name: 'appnet', aliases: ['backend'] }], publish: ['8080:3000'], proxy: false } : {};

    test(`${mode} networking: a deploy runs every step in order; release tasks before the new version starts`, async () => {
      const fake = await withV1(healthy, configWith(service, [{ name: 'seed', command: ['node', 'seed.js'] }]));
      try {
        const r = await run(fake, configWith(service, [{ name: 'seed', command: ['node', 'seed.js'] }]), IMAGE, 'v2');
        assert.equal(r.outcome, 'succeeded', r.message);
        assert.deepEqual(stepsOf(r), ['preflight:ok', 'lock:ok', 'ship:ok', 'backup:skipped', 'release tasks:ok', 'start:ok', 'health:ok', 'after-health tasks:skipped', 'switch:ok', 'drain:skipped', 'post-checks:ok', 'keep:ok', 'audit:ok']);
        const order = ['create shop-api-task-seed', 'create shop-api-next', 'stop shop-api', 'rename shop-api -> shop-api-previous-v1', 'create shop-api'];
        const at = order.map((c) => fake.calls.indexOf(c));
        assert.ok(at.every((i) => i >= 0) && at.every((i, k) => k === 0 || i > at[k - 1]!), `calls in order ${order.join(' < ')}: ${fake.calls.join(', ')}`);
        assert.equal(fake.serving('shop-api'), 'v2');
        assert.equal(fake.byName('shop-api-next'), undefined, 'the candidate is gone');
        if (mode === 'bridge') {
          assert.deepEqual(fake.byName('shop-api')!.spec.networks, [{ name: 'appnet', aliases: ['api', 'backend'] }]);
          assert.ok(fake.networks.has('appnet'));
        }
      } finally {
        fake.close();
      }
    });

    test(`${mode} networking: a failing release task stops the deploy before the new version starts; the old one keeps serving`, async () => {
      const cfg = configWith(service, [{ name: 'seed', command: ['node', 'seed.js'] }]);
      const fake = await withV1(healthy, cfg);
      try {
        fake.policy.taskExit = () => 3;
        const r = await run(fake, cfg, IMAGE, 'v2');
        assert.equal(r.outcome, 'failed');
        assert.deepEqual(stepsOf(r), ['preflight:ok', 'lock:ok', 'ship:ok', 'backup:skipped', 'release tasks:failed', 'audit:ok']);
        assert.match(r.message, /release task "seed" failed \(exit 3\)\. Production untouched: v1 still serving/);
        assert.ok(!fake.calls.includes('create shop-api-next'), 'the new version never started');
        assert.equal(fake.serving('shop-api'), 'v1');
      } finally {
        fake.close();
      }
    });

    test(`${mode} networking: an unhealthy new version is removed before the switch; the old one keeps serving`, async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        fake.policy.health = (v) => (v === 'v2' ? 500 : 200);
        const r = await run(fake, configWith(service), IMAGE, 'v2');
        assert.equal(r.outcome, 'failed');
        assert.deepEqual(stepsOf(r), ['preflight:ok', 'lock:ok', 'ship:ok', 'backup:skipped', 'release tasks:skipped', 'start:ok', 'health:failed', 'audit:ok']);
        assert.ok(!fake.calls.includes('stop shop-api'), 'the old version was never stopped');
        assert.equal(fake.serving('shop-api'), 'v1');
        assert.equal(fake.byName('shop-api-next'), undefined);
      } finally {
        fake.close();
      }
    });

    test(`${mode} networking: unhealthy after the switch rolls back to the old version automatically`, async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        // Healthy beside the old one, failing under the serving name: the case only the switch finds.
        fake.policy.health = (v, name) => (v === 'v2' && name === 'shop-api' ? 503 : 200);
        const r = await run(fake, configWith(service), IMAGE, 'v2');
        assert.equal(r.outcome, 'rolled-back', r.message);
        assert.deepEqual(stepsOf(r), ['preflight:ok', 'lock:ok', 'ship:ok', 'backup:skipped', 'release tasks:skipped', 'start:ok', 'health:ok', 'after-health tasks:skipped', 'switch:failed', 'audit:ok']);
        assert.equal(fake.serving('shop-api'), 'v1');
        assert.equal(r.serving, 'v1');
        assert.ok(fake.calls.includes('rename shop-api-previous-v1 -> shop-api'), fake.calls.join(', '));
      } finally {
        fake.close();
      }
    });
  }

  test('a task with phase after-health runs once the new version answered, before the switch; its failure keeps the old version', async () => {
    const cfg = configWith({}, [{ name: 'warm', command: ['warm'], phase: 'after-health' }]);
    const fake = await withV1(healthy, cfg);
    try {
      const ok = await run(fake, cfg, IMAGE, 'v2');
      assert.equal(ok.outcome, 'succeeded', ok.message);
      assert.ok(fake.calls.indexOf('create shop-api-next') < fake.calls.indexOf('create shop-api-task-warm'));
      assert.ok(fake.calls.indexOf('create shop-api-task-warm') < fake.calls.indexOf('stop shop-api'));
      fake.calls.length = 0;
      fake.policy.taskExit = () => 1;
      const bad = await run(fake, cfg, { ...OLD }, 'v1');
      assert.equal(bad.outcome, 'failed');
      assert.deepEqual(stepsOf(bad).slice(-3), ['health:ok', 'after-health tasks:failed', 'audit:ok']);
      assert.equal(fake.serving('shop-api'), 'v2');
    } finally {
      fake.close();
    }
  });

  test('a second deploy while one holds the lock is refused at the lock step, and nothing changes', async () => {
    const fake = await withV1(healthy, configWith({}));
    try {
      await fake.run(['mkdir', '-p', '.greenlight/deploy.lock']);
      await fake.run(['sh', '-c', 'cat > .greenlight/deploy.lock/holder.json'], { stdin: JSON.stringify({ who: 'bob', machine: 'm', pid: 1, since: new Date().toISOString(), what: 'deploy api v9', deployId: 'x' }) });
      await assert.rejects(run(fake, configWith({}), IMAGE, 'v2'), /held by bob/);
      assert.deepEqual(fake.calls, []);
      assert.equal(fake.serving('shop-api'), 'v1');
    } finally {
      fake.close();
    }
  });

  suite('behind the proxy (the default for published ports)', () => {
    const service = { networks: [{ name: 'appnet', aliases: ['backend'] }], publish: ['8080:3000'] };
    const dialOf = (fake: FakeHost): string =>
      String(((fake.proxyConfig as any)?.apps?.http?.servers?.['greenlight-8080']?.routes as any[]).find((r) => !/-(drain|maintenance)$/.test(String(r['@id'])))?.handle?.[0]?.upstreams?.[0]?.dial);

    test('a deploy starts the new version beside the old, gives it the serving name the route names (no config load), drains and stops the old one; no stop before the name moved', async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        const v1Alias = fake.byName('shop-api')!.spec.labels['greenlight.upstream']!;
        assert.equal(dialOf(fake), 'shop-api:3000', 'the route names the serving container, not a version');
        const loads = fake.calls.filter((c) => c.startsWith('proxy load')).length;
        const r = await run(fake, configWith(service), IMAGE, 'v2');
        assert.equal(r.outcome, 'succeeded', r.message);
        assert.equal(r.switchMode, 'proxy');
        assert.deepEqual(stepsOf(r), ['preflight:ok', 'lock:ok', 'ship:ok', 'backup:skipped', 'release tasks:skipped', 'start:ok', 'health:ok', 'after-health tasks:skipped', 'switch:ok', 'drain:ok', 'post-checks:ok', 'keep:ok', 'audit:ok']);
        const v2 = fake.byName('shop-api')!;
        const v2Alias = v2.spec.labels['greenlight.upstream']!;
        assert.notEqual(v2Alias, v1Alias);
        assert.deepEqual(v2.spec.publish, [], 'the version publishes no port: the proxy does');
        const order = ['create shop-api-v-v2', 'start shop-api-v-v2', 'rename shop-api -> shop-api-previous-v1', 'rename shop-api-v-v2 -> shop-api', 'stop shop-api-previous-v1'];
        const at = order.map((c) => fake.calls.indexOf(c));
        assert.ok(at.every((i) => i >= 0) && at.every((i, k) => k === 0 || i > at[k - 1]!), `calls in order ${order.join(' < ')}: ${fake.calls.join(', ')}`);
        assert.ok(!fake.calls.some((c) => c.startsWith('create greenlight-proxy') || c.startsWith('stop greenlight-proxy')), 'the proxy was neither re-created nor restarted');
        assert.equal(fake.calls.filter((c) => c.startsWith('proxy load')).length, loads, 'the switch loaded no config (a load is a reload of Caddy)');
        assert.equal(dialOf(fake), 'shop-api:3000');
        assert.equal(fake.serving('shop-api'), 'v2');
        assert.equal(fake.byName('greenlight-proxy')!.spec.publish![0]!.host, 8080);
      } finally {
        fake.close();
      }
    });

    test('an unhealthy new version is removed; the route never moved and the old one never stopped', async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        const before = dialOf(fake);
        fake.policy.health = (v) => (v === 'v2' ? 500 : 200);
        const r = await run(fake, configWith(service), IMAGE, 'v2');
        assert.equal(r.outcome, 'failed');
        assert.deepEqual(stepsOf(r), ['preflight:ok', 'lock:ok', 'ship:ok', 'backup:skipped', 'release tasks:skipped', 'start:ok', 'health:failed', 'audit:ok']);
        assert.equal(dialOf(fake), before);
        assert.ok(!fake.calls.some((c) => c.startsWith('proxy load') || c === 'stop shop-api'), fake.calls.join(', '));
        assert.equal(fake.byName('shop-api-v-v2'), undefined);
        assert.equal(fake.serving('shop-api'), 'v1');
      } finally {
        fake.close();
      }
    });

    test('unhealthy through the proxy after the switch: the serving name goes back to the old version, which never stopped', async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        const before = dialOf(fake);
        // Healthy at its own address, failing once it takes traffic: the case only the switch finds.
        let probes = 0;
        fake.policy.health = (v) => (v === 'v2' && ++probes > 1 ? 503 : 200);
        const r = await run(fake, configWith(service), IMAGE, 'v2');
        assert.equal(r.outcome, 'rolled-back', r.message);
        assert.equal(r.serving, 'v1');
        assert.equal(dialOf(fake), before, 'the route never changed');
        assert.ok(fake.calls.includes('rename shop-api-v-v2 -> shop-api') && fake.calls.includes('rename shop-api-previous-v1 -> shop-api'), fake.calls.join(', '));
        assert.ok(!fake.calls.some((c) => c.startsWith('stop shop-api')), fake.calls.join(', '));
        assert.equal(fake.serving('shop-api'), 'v1');
        assert.equal(fake.byName('shop-api-v-v2'), undefined);
      } finally {
        fake.close();
      }
    });

    /**
     * Starts a deploy of v2 that stops for good (a dead client) when `freeze` says so, then runs
     * `greenlight recover --break-lock` as a user would; returns its result.
     */
    const interruptedThenRecover = async (fake: FakeHost, freeze: (method: 'startContainer' | 'stopContainer' | 'renameContainer', id: string) => boolean, config = configWith(service)) => {
      const d = fake.docker as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      let frozen!: () => void;
      const reached = new Promise<void>((r) => (frozen = r));
      for (const m of ['startContainer', 'stopContainer', 'renameContainer'] as const) {
        const orig = d[m]!;
        d[m] = (id: unknown, ...rest: unknown[]) => {
          if (freeze(m, String(id))) {
            frozen();
            return new Promise(() => undefined);
          }
          return orig(id, ...rest);
        };
        // Recovery runs with a working engine again.
        void reached.then(() => (d[m] = orig));
      }
      void run(fake, config, IMAGE, 'v2');
      await reached;
      return await recover(quiet(), fake.asRemoteHost(), { config, environment: resolveEnvironment(config, fake.home, 'production'), breakLock: true, who: 'test' });
    };

    test('recover after a deploy died before the switch: the candidate is removed, the route never moved, the old version serves', async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        const before = dialOf(fake);
        const r = await interruptedThenRecover(fake, (m, id) => m === 'startContainer' && fake.containers.get(id)?.name === 'shop-api-v-v2');
        assert.equal(r.outcome, 'kept', r.message);
        assert.equal(r.serving, 'v1');
        assert.match(r.actions.join('\n'), /removed the candidate v2 \(shop-api-v-v2\); the route never moved to it/);
        assert.equal(fake.byName('shop-api-v-v2'), undefined);
        assert.equal(dialOf(fake), before);
        assert.equal(fake.serving('shop-api'), 'v1');
      } finally {
        fake.close();
      }
    });

    test('recover after a deploy died after the switch, while draining: the serving name goes back to the old version and the candidate is removed', async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        const before = dialOf(fake);
        const v1Id = fake.byName('shop-api')!.id;
        const r = await interruptedThenRecover(fake, (m, id) => m === 'stopContainer' && id === v1Id);
        assert.notEqual(dialOf(fake), 'undefined');
        assert.equal(r.outcome, 'kept', r.message);
        assert.equal(r.serving, 'v1');
        assert.match(r.actions.join('\n'), /gave the serving name shop-api, which the proxy route names, back to v1/);
        assert.equal(dialOf(fake), before, 'the route never changed');
        assert.equal(fake.byName('shop-api')!.id, v1Id);
        assert.equal(fake.byName('shop-api-v-v2'), undefined, 'the candidate is gone');
        assert.equal(fake.serving('shop-api'), 'v1');
      } finally {
        fake.close();
      }
    });

    test('recover after a deploy died between parking the old version and naming the new one: the old version gets the serving name back, the candidate is removed', async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        const before = dialOf(fake);
        const v1Id = fake.byName('shop-api')!.id;
        // Frozen as the candidate is about to take the serving name: v1 runs parked, nothing holds the name.
        const r = await interruptedThenRecover(fake, (m, id) => m === 'renameContainer' && fake.containers.get(id)?.name === 'shop-api-v-v2');
        assert.equal(r.serving, 'v1', r.message);
        assert.match(r.actions.join('\n'), /gave the serving name shop-api, which the proxy route names, back to v1/);
        assert.equal(fake.byName('shop-api')!.id, v1Id);
        assert.equal(dialOf(fake), before);
        assert.equal(fake.byName('shop-api-v-v2'), undefined);
      } finally {
        fake.close();
      }
    });

    test('recover after a deploy died in a release task under maintenance: the maintenance page is ended, the old version serves', async () => {
      const fake = await withV1(healthy, configWith(service));
      try {
        const base = configWith(service, [{ name: 'seed', command: ['seed'] }]);
        const env = base.environments.production!;
        const config = { ...base, environments: { production: { ...env, proxy: { ...env.proxy, maintenance: { duringTasks: true, retryAfterSeconds: 9 } } } } };
        let sawMaintenance = false;
        const r = await interruptedThenRecover(fake, (m, id) => {
          const frozen = m === 'startContainer' && /seed/.test(fake.containers.get(id)?.name ?? '');
          if (frozen) sawMaintenance = inMaintenance(fake.proxyConfig as Record<string, any>).length > 0;
          return frozen;
        }, config);
        assert.ok(sawMaintenance, 'the route was in maintenance while the task ran');
        assert.match(r.actions.join('\n'), /ended the maintenance page of gl-shop-api-8080/);
        assert.deepEqual(inMaintenance(fake.proxyConfig as Record<string, any>), []);
        assert.equal(r.serving, 'v1', r.message);
      } finally {
        fake.close();
      }
    });

    test('proxy: false keeps the old swap for that service', async () => {
      const fake = await withV1(healthy, configWith({ ...service, proxy: false }));
      try {
        assert.equal(fake.byName('greenlight-proxy'), undefined);
        assert.deepEqual(fake.byName('shop-api')!.spec.publish!.map((p) => p.host), [8080]);
      } finally {
        fake.close();
      }
    });
  });
});
