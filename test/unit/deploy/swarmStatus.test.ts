import * as assert from 'node:assert/strict';
import type { SwarmService, SwarmTask } from '../../../src/core/images/docker';
import type { SwarmRelease } from '../../../src/core/deploy/swarm';
import { releaseLine, replicaLine, replicasByVersion, swarmStatus, versionOfImage, type SwarmServiceStatus } from '../../../src/core/deploy/swarmStatus';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import type { GreenlightConfig } from '../../../src/core/config/schema';
import type { ResolvedEnvironment } from '../../../src/core/deploy/environment';
import { replicaSummary, swarmRows } from '../../../src/extension/views/swarmRows';
import type { EnvironmentStatusDto } from '../../../src/service/protocol';

const V = 'greenlight.version';
const svc = (over: Partial<SwarmService> = {}): SwarmService => ({ id: 's1', version: 5, name: 'shop-web', image: 'reg/shop-web@sha256:2222', labels: { [V]: 'v2' }, replicas: 3, previousImage: 'reg/shop-web@sha256:1111', previousLabels: { [V]: 'v1' }, ...over });
let n = 0;
const task = (image: string, state: string, desiredState = 'running', nodeId = 'n1'): SwarmTask => ({ id: `t${n++}`, nodeId, image, state, desiredState, ports: [], createdAt: '2026-12-02T10:00:00Z' });

suite('(unit) swarm status: replicas per version', () => {
  test('during a start-first update: the new version first with its running and desired tasks, the old one beside it', () => {
    const tasks = [
      task('reg/shop-web@sha256:2222', 'running'), task('reg/shop-web@sha256:2222', 'starting'),
      task('reg/shop-web@sha256:1111', 'running'), task('reg/shop-web@sha256:1111', 'running', 'shutdown'),
      task('reg/shop-web@sha256:1111', 'shutdown', 'shutdown'), task('reg/shop-web@sha256:1111', 'running', 'running', 'down-node'),
    ];
    const r = replicasByVersion(svc({ updateState: 'updating' }), tasks, new Set(['down-node']), [], 'web');
    assert.deepEqual(r, [
      { version: 'v2', image: 'reg/shop-web@sha256:2222', running: 1, desired: 2 },
      { version: 'v1', image: 'reg/shop-web@sha256:1111', running: 2, desired: 1 },
    ]);
    const status: SwarmServiceStatus = { service: 'web', name: 'shop-web', deployed: true, version: 'v2', replicas: 3, running: 3, versions: r, updateState: 'updating' };
    assert.equal(replicaLine(status), '1/3 on v2, 2 on v1 (updating)');
    assert.equal(replicaSummary(status), replicaLine(status));
  });

  test('the current spec has a row before any task of it is scheduled; an image of neither spec is named from the releases, else by its digest', () => {
    const rel: SwarmRelease = { deployId: 'd0', at: '', who: 'me', services: { web: { version: 'v0', image: 'reg/shop-web@sha256:0000', imageId: 'x' } }, tasksRun: [] };
    assert.equal(versionOfImage('reg/shop-web@sha256:0000', svc(), [rel], 'web'), 'v0');
    assert.equal(versionOfImage('reg/shop-web@sha256:abcdef0123456789abcdef', svc(), [], 'web'), 'sha256:abcdef012345');
    assert.deepEqual(replicasByVersion(svc(), [task('reg/shop-web@sha256:1111', 'running')], new Set(), [], 'web').map((v) => [v.version, v.running, v.desired]), [['v2', 0, 0], ['v1', 1, 1]]);
  });

  test('a deploy that updates the service between the reads of its spec and its tasks does not leave the new tasks named by a bare digest', async () => {
    // The first spec read is v1's; by the time the tasks are listed the update to v2 has begun.
    const v1 = svc({ image: 'reg/shop-web@sha256:1111', labels: { [V]: 'v1' }, previousImage: 'reg/shop-web@sha256:0000', previousLabels: { [V]: 'v0' } });
    const v2 = svc({ version: 6, updateState: 'updating' });
    const specs = [v1, v2, v2, v2];
    let inspected = 0;
    const host = {
      docker: { swarm: {
        nodes: async () => [],
        inspectService: async () => specs[Math.min(inspected++, specs.length - 1)],
        tasks: async () => [task('reg/shop-web@sha256:2222', 'running'), task('reg/shop-web@sha256:1111', 'running')],
      } },
      exec: async () => ({ code: 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }),
    } as unknown as RemoteHost;
    const config = { project: 'shop', services: [{ name: 'web' }] } as unknown as GreenlightConfig;
    const env = { env: { stateDir: '/srv/state' } } as unknown as ResolvedEnvironment;
    const st = await swarmStatus({ signal: new AbortController().signal }, host, config, env);
    assert.deepEqual(st.services[0]!.versions.map((v) => [v.version, v.running]), [['v2', 1], ['v1', 1]]);
    assert.ok(inspected >= 3, 'the spec was read again after the tasks');
  });

  test('release line', () => {
    assert.equal(releaseLine({ deployId: 'd2', at: 'T', who: 'ann', services: { web: { version: 'v2', image: 'i', imageId: 'x' } }, tasksRun: ['migrate'], migrationsApplied: ['1.sql'], backupId: 'b1' }), 'd2 T by ann: web v2 (migrate; 1 migration(s); backup b1)');
  });
});

suite('(unit) environments view: the rows of a swarm environment', () => {
  const st = (): EnvironmentStatusDto => ({
    env: 'cluster', host: 'm', reachable: true, services: [], recent: [], checkedAt: '',
    swarm: {
      nodes: [
        { id: 'a', hostname: 'manager-1', role: 'manager', leader: true, state: 'ready', availability: 'active', address: '198.18.112.11', labels: {} },
        { id: 'b', hostname: 'worker-1', role: 'worker', leader: false, state: 'ready', availability: 'drain', address: '198.18.112.12', labels: { zone: 'a' } },
        { id: 'c', hostname: 'worker-2', role: 'worker', leader: false, state: 'down', availability: 'active', address: '198.18.112.13', labels: {} },
      ],
      services: [
        { service: 'web', name: 'shop-web', deployed: true, version: 'v2', replicas: 3, running: 3, updateState: 'updating', versions: [{ version: 'v2', image: 'i2', running: 1, desired: 2 }, { version: 'v1', image: 'i1', running: 2, desired: 1 }] },
        { service: 'api', name: 'shop-api', deployed: true, version: 'v7', replicas: 2, running: 2, updateState: 'completed', versions: [{ version: 'v7', image: 'i7', running: 2, desired: 2 }] },
        { service: 'jobs', name: 'shop-jobs', deployed: false, replicas: 0, running: 0, versions: [] },
      ],
      releases: [
        { deployId: 'r3', at: 'T3', who: 'ann', services: { web: { version: 'v1', image: 'i1', imageId: 'x' } }, tasksRun: [], restored: 'r1', rollbackOf: 'r2' },
        { deployId: 'r2', at: 'T2', who: 'ann', services: { web: { version: 'v2', image: 'i2', imageId: 'y' } }, tasksRun: ['migrate'], migrationsApplied: ['002.sql'], backupId: 'b2' },
      ],
    },
  });

  test('nodes with state, availability and role; a node down or drained is not green', () => {
    const [nodes] = swarmRows('cluster', st());
    assert.equal(nodes!.label, 'Nodes');
    assert.equal(nodes!.description, '1 of 3 ready and active');
    assert.deepEqual(nodes!.children!.map((c) => [c.label, c.description, c.color]), [
      ['manager-1', 'ready · active · manager (leader) · 198.18.112.11', 'passed'],
      ['worker-1', 'ready · drain · worker · 198.18.112.12', 'warning'],
      ['worker-2', 'down · active · worker · 198.18.112.13', 'failed'],
    ]);
    assert.match(nodes!.children![1]!.tooltip!, /labels zone=a/);
  });

  test('services with running/desired replicas per version, during an update too; not deployed said as such', () => {
    const rows = swarmRows('cluster', st());
    const [web, api, jobs] = rows.slice(1, 4);
    assert.deepEqual([web!.label, web!.description, web!.icon, web!.color], ['web', '1/3 on v2, 2 on v1 (updating)', 'sync', 'warning']);
    assert.deepEqual(web!.children!.map((c) => [c.label, c.description]), [['v2', '1 running / 2 desired · current spec'], ['v1', '2 running / 1 desired']]);
    assert.deepEqual([api!.description, api!.icon, api!.color], ['2/2 on v7', 'pass-filled', 'passed']);
    assert.deepEqual([jobs!.description, jobs!.children], ['not deployed', []]);
  });

  test('the release history, newest first, a rollback named as one', () => {
    const releases = swarmRows('cluster', st()).at(-1)!;
    assert.equal(releases.label, 'Releases');
    assert.deepEqual(releases.children!.map((c) => [c.label, c.description]), [['rollback to r1', 'T3 · ann · current'], ['web v2', 'T2 · ann']]);
    assert.match(releases.children![1]!.tooltip!, /migrations applied: 002\.sql[\s\S]*pre-deploy backup b2/);
  });

  test('not a swarm: no rows', () => {
    assert.deepEqual(swarmRows('prod', { ...st(), swarm: undefined }), []);
  });
});
