import * as assert from 'node:assert/strict';
import { parseConfig, formatProblem } from '../../../src/core/config/load';
import type { GreenlightConfig } from '../../../src/core/config/schema';
import { Secret } from '../../../src/core/common/secret';
import { withRoute } from '../../../src/core/deploy/proxy';
import { hostPortProblem, previousRelease, replicaCounts, schemaFitOf, swarmProxyRoutes, swarmServiceSpec, type SwarmRelease } from '../../../src/core/deploy/swarm';
import { serviceSpec } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { SwarmTask } from '../../../src/core/images/docker';

const YAML = (swarm: string, extra = ''): string => `project: shop
services:
  - name: web
    port: 3000
    networks: [shop-net]
    publish: ["8080:3000"]
    health: { path: /healthz, timeoutSeconds: 30, intervalMs: 200 }
  - name: api
    port: 4000
database: { kind: postgres, name: shop }
environments:
  cluster:
    ssh: { host: manager.example.com, user: deploy }
    database: { host: 198.51.100.5, name: shop, user: app }
${extra}    swarm:
${swarm}`;

function parsed(text: string): GreenlightConfig {
  const r = parseConfig(text, 'greenlight.yaml');
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.config;
}

function problems(text: string): string[] {
  const r = parseConfig(text, 'greenlight.yaml');
  assert.equal(r.ok, false, 'the file must be refused');
  return r.ok ? [] : r.problems.map(formatProblem);
}

suite('(unit) swarm: config', () => {
  test('a swarm environment with defaults: update one at a time, monitor 5 s, services not listed run one replica', () => {
    const c = parsed(YAML('      registry: 198.51.100.5:5000\n      services:\n        web: { replicas: 3, constraints: ["node.role==worker"], resources: { cpus: 0.5, memoryMb: 256 } }\n'));
    const s = c.environments.cluster!.swarm!;
    assert.equal(s.registry, '198.51.100.5:5000');
    assert.deepEqual(s.update, { parallelism: 1, delaySeconds: 0, monitorSeconds: 5, maxFailureRatio: 0 });
    assert.deepEqual(s.services.web, { replicas: 3, constraints: ['node.role==worker'], resources: { cpus: 0.5, memoryMb: 256 } });
    assert.equal(s.services.api, undefined);
    assert.equal(s.convergeTimeoutSeconds, 600);
  });

  test('bad values are refused at their line: an unknown service, a constraint that is not one, a shell in the registry', () => {
    const p = problems(YAML('      registry: "reg;rm -rf /"\n      services:\n        worker: { replicas: 2 }\n        web: { constraints: ["node.role = worker; true"] }\n'));
    assert.ok(p.some((x) => /^greenlight\.yaml:16:\d+: .*registry address/.test(x)), p.join('\n'));
    assert.ok(p.some((x) => /^greenlight\.yaml:19:\d+: .*placement constraint/.test(x)), p.join('\n'));
    const q = problems(YAML('      registry: 198.51.100.5:5000\n      services:\n        worker: { replicas: 2 }\n'));
    assert.ok(q.some((x) => /^greenlight\.yaml:18:\d+: .*no service "worker" in services \(known: web, api\)/.test(x)), q.join('\n'));
  });

  test('what a swarm cannot do is refused: after-health release tasks, a published port bound to one address', () => {
    const p = problems(YAML('      registry: 198.51.100.5:5000\n', '    releaseTasks: [{ name: seed, command: [bin/seed], phase: after-health }]\n').replace('"8080:3000"', '"127.0.0.1:8080:3000"'));
    assert.ok(p.some((x) => /releaseTasks\[0\]\.phase: a swarm environment runs its release tasks before the rolling update/.test(x)), p.join('\n'));
    assert.ok(p.some((x) => /binds every address of the node/.test(x)), p.join('\n'));
  });
});

const SPEC_SWARM = '      registry: 198.51.100.5:5000\n      update: { parallelism: 2, delaySeconds: 1, monitorSeconds: 3 }\n      services:\n        web: { replicas: 3, maxReplicasPerNode: 1, constraints: ["node.labels.zone==a"], resources: { cpus: 0.5, memoryMb: 256 }, healthCommand: [/bin/busybox, wget, -q, -O, /dev/null, "{url}"] }\n';

suite('(unit) swarm: the service spec', () => {
  // Host-mode publishing (proxy: false); the default, behind the manager's proxy, is pinned below.
  const config = parsed(YAML(SPEC_SWARM).replace('publish: ["8080:3000"]', 'publish: ["8080:3000"]\n    proxy: false'));
  const env = config.environments.cluster!;
  const input = (service: string) => ({
    config, envName: 'cluster', env, service: config.services.find((s) => s.name === service)!, image: 'x', imageId: 'sha256:abc', version: 'v2', deployId: 'd1', who: 'me',
    secrets: { dbPassword: new Secret('pw'), env: {} }, now: new Date('2026-12-02T10:00:00Z'),
  });

  test('web: start-first with rollback, the health command with its URL, host-mode port, overlay network alias, resources in bytes', () => {
    const s = swarmServiceSpec(input('web'), env.swarm!, '198.51.100.5:5000/shop-web@sha256:1');
    assert.equal(s.name, 'shop-web');
    assert.equal(s.image, '198.51.100.5:5000/shop-web@sha256:1');
    assert.deepEqual(s.healthcheck, { test: ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:3000/healthz'], intervalMs: 500, timeoutMs: 5000, retries: 3, startPeriodMs: 30000 });
    assert.deepEqual(s.update, { parallelism: 2, delayMs: 1000, monitorMs: 3000, maxFailureRatio: 0, order: 'start-first', failureAction: 'rollback' });
    assert.deepEqual([s.replicas, s.maxReplicasPerNode, s.constraints], [3, 1, ['node.labels.zone==a']]);
    assert.deepEqual(s.resources, { cpus: 0.5, memoryBytes: 256 * 1024 * 1024, reserveCpus: undefined, reserveMemoryBytes: undefined });
    assert.deepEqual(s.ports, [{ target: 3000, published: 8080, protocol: 'tcp', mode: 'host' }]);
    assert.deepEqual(s.networks, [{ name: 'shop-net', aliases: ['web'] }]);
    assert.equal(s.env.PORT, '3000');
    assert.equal(s.secretEnv.DATABASE_URL?.reveal(), 'postgres://app:pw@198.51.100.5:5432/shop');
    assert.equal(s.labels['greenlight.version'], 'v2');
    assert.equal(s.containerLabels['greenlight.role'], 'current');
  });

  test('api (not listed under swarm.services): one replica, the default wget health command', () => {
    const s = swarmServiceSpec(input('api'), env.swarm!, 'r/shop-api@sha256:2');
    assert.equal(s.replicas, 1);
    assert.deepEqual(s.healthcheck?.test, ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:4000/health']);
    assert.deepEqual(s.ports, []);
  });

  test('the engine spec: durations in nanoseconds, CMD health test, the secret revealed only into Env, rollback pauses', () => {
    const s = serviceSpec(swarmServiceSpec(input('web'), env.swarm!, 'img@sha256:1')) as {
      TaskTemplate: { ContainerSpec: { Env: string[]; HealthCheck: { Test: string[]; Interval: number; StartPeriod: number } }; Resources: { Limits: { NanoCPUs: number; MemoryBytes: number } }; Placement: { MaxReplicas: number } };
      UpdateConfig: { Order: string; FailureAction: string; Monitor: number; Delay: number; Parallelism: number };
      RollbackConfig: { FailureAction: string; Order: string };
      EndpointSpec: { Ports: Array<{ PublishMode: string; PublishedPort: number; TargetPort: number }> };
    };
    const c = s.TaskTemplate.ContainerSpec;
    assert.deepEqual(c.HealthCheck.Test.slice(0, 2), ['CMD', '/bin/busybox']);
    assert.equal(c.HealthCheck.Interval, 500e6);
    assert.equal(c.HealthCheck.StartPeriod, 30e9);
    assert.ok(c.Env.includes('DATABASE_URL=postgres://app:pw@198.51.100.5:5432/shop'));
    assert.deepEqual(s.TaskTemplate.Resources.Limits, { NanoCPUs: 5e8, MemoryBytes: 268435456 });
    assert.equal(s.TaskTemplate.Placement.MaxReplicas, 1);
    assert.deepEqual([s.UpdateConfig.Order, s.UpdateConfig.FailureAction, s.UpdateConfig.Monitor, s.UpdateConfig.Delay, s.UpdateConfig.Parallelism], ['start-first', 'rollback', 3e9, 1e9, 2]);
    assert.deepEqual([s.RollbackConfig.Order, s.RollbackConfig.FailureAction], ['start-first', 'pause']);
    assert.deepEqual(s.EndpointSpec.Ports, [{ Protocol: 'tcp', TargetPort: 3000, PublishedPort: 8080, PublishMode: 'host' }]);
  });

  test('a fixed host port needs a free node per new task: replicas + parallelism nodes', () => {
    const s = swarmServiceSpec(input('web'), env.swarm!, 'img');
    assert.match(hostPortProblem(s, 4) ?? '', /needs 5 nodes \(replicas \+ parallelism\) but 4 are ready/);
    assert.equal(hostPortProblem(s, 5), undefined);
    assert.equal(hostPortProblem({ ...s, ports: [] }, 1), undefined);
  });
});

suite('(unit) swarm: a published port goes through the manager\'s proxy by default', () => {
  const config = parsed(YAML(SPEC_SWARM));
  const env = config.environments.cluster!;
  const web = config.services.find((s) => s.name === 'web')!;
  const input = {
    config, envName: 'cluster', env, service: web, image: 'x', imageId: 'sha256:abc', version: 'v2', deployId: 'd1', who: 'me',
    secrets: { dbPassword: new Secret('pw'), env: {} }, now: new Date('2026-12-02T10:00:00Z'),
  };

  test('the service publishes nothing itself and joins the proxy network; no free node per task is needed', () => {
    const s = swarmServiceSpec(input, env.swarm!, 'img');
    assert.deepEqual(s.ports, []);
    assert.deepEqual(s.networks, [{ name: 'shop-net', aliases: ['web'] }, { name: 'greenlight-proxy', aliases: [] }]);
    assert.equal(hostPortProblem(s, 1), undefined);
  });

  test('its route: the published port to every task by tasks.<service>, re-resolved, retried on another task, a failed task skipped', () => {
    const routes = swarmProxyRoutes('shop', web, env, 'v2');
    assert.deepEqual(routes, [{ id: 'gl-shop-web-8080', port: 8080, hosts: [], paths: [], upstream: 'tasks.shop-web:3000', balanced: true, service: 'web', version: 'v2' }]);
    const c = withRoute(null, routes[0]!, 30);
    const server = c.apps.http.servers['greenlight-8080'];
    assert.deepEqual(server.listen, [':8080']);
    assert.deepEqual(server.routes, [{
      '@id': 'gl-shop-web-8080',
      handle: [{
        handler: 'reverse_proxy',
        dynamic_upstreams: { source: 'a', name: 'tasks.shop-web', port: '3000', refresh: '1s', dial_timeout: '1s' },
        load_balancing: { selection_policy: { policy: 'round_robin' }, try_duration: '10s', try_interval: '100ms' },
        health_checks: { passive: { fail_duration: '1s', max_fails: 1 } },
        transport: { protocol: 'http', dial_timeout: '2s' },
      }],
      terminal: true,
    }]);
    // api publishes nothing; web with proxy: false keeps host mode and has no route.
    assert.deepEqual(swarmProxyRoutes('shop', config.services.find((s) => s.name === 'api')!, env, 'v2'), []);
    assert.deepEqual(swarmProxyRoutes('shop', { ...web, proxy: false }, env, 'v2'), []);
  });
});

suite('(unit) swarm: replica counts during an update', () => {
  const t = (image: string, state: string, desiredState = 'running'): SwarmTask => ({ id: `${image}-${state}-${Math.random()}`, nodeId: 'n', image, desiredState, state, ports: [], createdAt: '' });
  test('new running, old running (also while shutting down), new starting, new failed', () => {
    const c = replicaCounts([t('new', 'running'), t('new', 'starting'), t('old', 'running'), t('old', 'running', 'shutdown'), t('new', 'failed', 'shutdown'), t('old', 'shutdown', 'shutdown')], 'new');
    assert.deepEqual(c, { newRunning: 1, oldRunning: 2, starting: 1, failedNew: 1 });
  });
});

suite('(unit) swarm: which release a rollback returns to', () => {
  const rel = (deployId: string, extra: { restored?: string; rollbackOf?: string } = {}): SwarmRelease => ({ deployId, at: '', who: 'me', services: {}, tasksRun: [], ...extra });
  test('the one before the current; after a rollback, the one before the release it restored; none at the first', () => {
    assert.equal(previousRelease([]), undefined);
    assert.equal(previousRelease([rel('a')]), undefined);
    assert.deepEqual(previousRelease([rel('a'), rel('b')])?.target.deployId, 'a');
    assert.deepEqual(previousRelease([rel('a'), rel('b'), rel('c'), rel('r1', { restored: 'b', rollbackOf: 'c' })])?.target.deployId, 'a');
    assert.equal(previousRelease([rel('a'), rel('r1', { restored: 'a', rollbackOf: 'b' })]), undefined);
  });
});

suite('(unit) swarm: whether the previous release fits the current schema', () => {
  const rel = (deployId: string, extra: Partial<SwarmRelease> = {}): SwarmRelease => ({ deployId, at: '', who: 'me', services: {}, tasksRun: [], ...extra });
  const lookup = (names: readonly string[]) => names.map((name) => (name.startsWith('rev') ? { name, reversible: 'yes' as const, down: `${name}.down` } : { name, reversible: 'no' as const }));
  test('no release task since: fits', () => {
    const f = schemaFitOf([rel('b')], 'a', lookup);
    assert.equal(f.fits, 'yes');
    assert.match(f.summary, /no migration ran since release a/);
  });
  test('migrations since: does not fit, each said reversible or not, with the release that applied it', () => {
    const f = schemaFitOf([rel('b', { tasksRun: ['migrate'], migrationsApplied: ['rev1.sql', 'x2.sql'] }), rel('c', { tasksRun: ['migrate'], migrationsApplied: ['rev3.sql'] })], 'a', lookup);
    assert.equal(f.fits, 'no');
    assert.deepEqual(f.migrations.map((m) => [m.name, m.reversible, m.deployId]), [['rev1.sql', 'yes', 'b'], ['x2.sql', 'no', 'b'], ['rev3.sql', 'yes', 'c']]);
    assert.deepEqual(f.opaqueTasks, []);
    assert.match(f.summary, /3 migration\(s\) applied since release a/);
    assert.match(f.summary, /x2\.sql \(not reversible/);
    assert.match(f.summary, /1 cannot be undone/);
  });
  test('all reversible: says so', () => {
    const f = schemaFitOf([rel('b', { tasksRun: ['migrate'], migrationsApplied: ['rev1.sql'] })], 'a', lookup);
    assert.match(f.summary, /Each has a down migration/);
  });
  test('custom release tasks and records without the migration list: unknown', () => {
    const f = schemaFitOf([rel('b', { tasksRun: ['migrate', 'seed'] })], 'a', lookup);
    assert.equal(f.fits, 'unknown');
    assert.deepEqual(f.opaqueTasks, [{ deployId: 'b', task: 'migrate' }, { deployId: 'b', task: 'seed' }]);
  });
});
