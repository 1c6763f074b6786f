import * as assert from 'node:assert/strict';
import { Secret } from '../../../src/core/common/secret';
import { configSchema, networkModeOf } from '../../../src/core/config/schema';
import { endpointOf } from '../../../src/core/deploy/endpoint';
import { currentSpec, listenPortOf, nextSpec, releaseTasksOf, taskSpec, type SpecInput } from '../../../src/core/deploy/plan';
import type { ContainerState, ContainerSummary } from '../../../src/core/images/docker';

function project(service: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return configSchema.parse({
    project: 'shop',
    services: [{ name: 'api', port: 3000, ...service }],
    database: { kind: 'postgres' },
    environments: {
      production: {
        ssh: { host: '198.18.77.2', user: 'deploy' },
        database: { host: 'db', name: 'shop', user: 'shop', passwordEnv: 'PW', container: { name: 'shop-pg' } },
        ...extra,
      },
    },
  });
}

function inputOf(config: ReturnType<typeof project>): SpecInput {
  return {
    config,
    envName: 'production',
    env: config.environments.production!,
    service: config.services[0]!,
    image: 'shop-api:v1',
    imageId: 'sha256:' + 'b'.repeat(64),
    version: 'v1',
    deployId: 'd1',
    who: 'alice',
    secrets: { dbPassword: new Secret('pw'), env: {} },
    now: new Date('2026-01-02T03:04:05Z'),
  };
}

// The old stop-and-swap (proxy: false): a udp port cannot go through the proxy.
const bridged = project({ networks: [{ name: 'appnet', aliases: ['backend'] }, 'metrics'], publish: ['8080:3000', '127.0.0.1:9090:9090/udp'], proxy: false });

suite('(unit) deploy: Docker networking of the service', () => {
  test('networks and published ports parse from both spellings; the mode follows them unless set', () => {
    const s = bridged.services[0]!;
    assert.deepEqual(s.networks, [{ name: 'appnet', aliases: ['backend'] }, { name: 'metrics', aliases: [] }]);
    assert.deepEqual(s.publish, [
      { hostIp: undefined, host: 8080, container: 3000, protocol: 'tcp' },
      { hostIp: '127.0.0.1', host: 9090, container: 9090, protocol: 'udp' },
    ]);
    assert.equal(networkModeOf(s), 'bridge');
    assert.equal(networkModeOf(project({}).services[0]!), 'host');
  });

  test('bad networking is refused with the field named', () => {
    for (const [service, pattern] of [
      [{ publish: ['8080'] }, /published port/],
      [{ publish: ['8080:3000', '8080:4000'] }, /published twice/],
      [{ networkMode: 'host', networks: ['appnet'] }, /cannot join networks/],
      [{ networks: ['-appnet'] }, /Docker network name/],
      [{ health: { path: '/h', statuses: [] } }, /too_small|at least/i],
    ] as const) {
      const r = configSchema.safeParse({ project: 'p', services: [{ name: 'api', port: 3000, ...service }] });
      assert.equal(r.success, false, JSON.stringify(service));
      assert.match(JSON.stringify(r.error!.issues), pattern);
    }
  });

  test('the serving container answers to the service names and owns the published ports', () => {
    const s = currentSpec(inputOf(bridged));
    assert.equal(s.networkMode, 'bridge');
    assert.deepEqual(s.networks, [{ name: 'appnet', aliases: ['api', 'backend'] }, { name: 'metrics', aliases: ['api'] }]);
    assert.equal(s.publish?.length, 2);
    assert.equal(s.env.PORT, '3000');
    // The services reach the database by its name on their network.
    assert.match(s.secretEnv.DATABASE_URL!.reveal(), /@db:5432\/shop$/);
  });

  test('the candidate and the tasks join the same networks without names or ports, on the same port', () => {
    for (const s of [nextSpec(inputOf(bridged)), taskSpec(inputOf(bridged), { name: 'seed', command: ['node', 'seed.js'] })]) {
      assert.equal(s.networkMode, 'bridge');
      assert.deepEqual(s.networks, [{ name: 'appnet', aliases: [] }, { name: 'metrics', aliases: [] }]);
      assert.deepEqual(s.publish, []);
      assert.equal(s.env.PORT, '3000');
    }
  });

  test('host networking keeps the temporary port for the candidate and tasks', () => {
    const host = project({});
    assert.equal(nextSpec(inputOf(host)).env.PORT, '3001');
    assert.equal(nextSpec(inputOf(host)).networks, undefined);
    assert.equal(listenPortOf(host.services[0]!, host.environments.production!, 'serving'), 3000);
  });

  test('release tasks run before the start unless they ask to wait for health', () => {
    const c = configSchema.parse({
      project: 'p',
      services: [{ name: 'api', port: 3000 }],
      database: { kind: 'postgres', migrateCommand: ['m'] },
      environments: { prod: { ssh: { host: 'h', user: 'u' }, releaseTasks: [{ name: 'seed', command: ['s'] }, { name: 'warm', command: ['w'], phase: 'after-health' }] } },
    });
    assert.deepEqual(releaseTasksOf(c, c.environments.prod!).map((t) => `${t.name}:${t.phase}`), ['migrate:before-start', 'seed:before-start', 'warm:after-health']);
  });

  test('health probes: the published port for the serving version, the container address for the candidate', async () => {
    const docker = {
      inspectContainer: async (id: string) =>
        ({ id, name: id, stateDetail: { running: true, addresses: { metrics: '198.18.81.5', appnet: '198.18.80.7' } } }) as unknown as ContainerSummary & { stateDetail: ContainerState },
    };
    const env = { env: bridged.environments.production!, serviceAddress: '198.18.77.2' };
    assert.deepEqual(await endpointOf(docker, env, bridged.services[0]!, 'c1', 'serving'), { address: '127.0.0.1', port: 8080 });
    assert.deepEqual(await endpointOf(docker, env, bridged.services[0]!, 'c1', 'candidate'), { address: '198.18.80.7', port: 3000 });
    const unpublished = project({ networks: ['appnet'] });
    assert.deepEqual(await endpointOf(docker, env, unpublished.services[0]!, 'c1', 'serving'), { address: '198.18.80.7', port: 3000 });
    const host = project({});
    assert.deepEqual(await endpointOf(docker, env, host.services[0]!, 'c1', 'candidate'), { address: '198.18.77.2', port: 3001 });
  });
});
