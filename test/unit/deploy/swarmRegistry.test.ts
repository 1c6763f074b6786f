import * as assert from 'node:assert/strict';
import { parseConfig, formatProblem } from '../../../src/core/config/load';
import type { GreenlightConfig } from '../../../src/core/config/schema';
import { pullErrorHint, resubmitSpec, stuckOnDownNodes } from '../../../src/core/deploy/swarm';
import { managedRegistryAddress, managerAddressOf, pullCheckKey, pullFailureMessage, registrySpec } from '../../../src/core/deploy/swarmRegistry';
import { serviceSpec } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { SwarmNode, SwarmServiceSpec, SwarmTask } from '../../../src/core/images/docker';

const YAML = (registry: string): string => `project: shop
services:
  - name: web
    port: 3000
environments:
  cluster:
    ssh: { host: manager.example.com, user: deploy }
    swarm:
${registry}      services: { web: { replicas: 2 } }
`;

function parse(text: string): { config?: GreenlightConfig; problems: string[] } {
  const r = parseConfig(text, 'greenlight.yaml');
  return r.ok ? { config: r.config, problems: [] } : { problems: r.problems.map(formatProblem) };
}

suite('(unit) swarm registry: config', () => {
  test('omitted: Greenlight runs it (registry:2 on port 5000, volume and container greenlight-registry)', () => {
    const r = parse(YAML(''));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.config!.environments.cluster!.swarm!.registry, { managed: true, port: 5000, image: 'registry:2', volume: 'greenlight-registry', container: 'greenlight-registry' });
  });

  test('the managed form takes a port, an address, an image, a volume and a container name; a string is a registry someone else runs', () => {
    const r = parse(YAML('      registry: { managed: true, port: 5001, address: 198.51.100.5, image: "registry.example.com/registry:2.8" }\n'));
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.config!.environments.cluster!.swarm!.registry, { managed: true, port: 5001, address: '198.51.100.5', image: 'registry.example.com/registry:2.8', volume: 'greenlight-registry', container: 'greenlight-registry' });
    assert.equal(parse(YAML('      registry: 198.51.100.5:5000/team\n')).config!.environments.cluster!.swarm!.registry, '198.51.100.5:5000/team');
  });

  test('bad values are refused at their line: managed false, a port out of range, a shell in the address or volume, an unknown key', () => {
    const cases: Array<[string, RegExp]> = [
      ['{ managed: false }', /registry: a registry address "host:port\[\/path\]" \(one you run\), or \{ managed: true, port, address, image, volume, container \}/],
      ['{ port: 5001 }', /registry: a registry address "host:port\[\/path\]" \(one you run\), or \{ managed: true/],
      ['{ managed: true, port: 70000 }', /registry\.port: Too big/],
      ['{ managed: true, address: "a;b" }', /registry\.address: a host name or IP address/],
      ['{ managed: true, volume: "../x" }', /registry\.volume: a volume name/],
      ['{ managed: true, tls: true }', /registry: unknown key "tls"/],
    ];
    for (const [bad, why] of cases) {
      const r = parse(YAML(`      registry: ${bad}\n`));
      assert.ok(r.problems.length === 1 && /^greenlight\.yaml:9:\d+: environments\.cluster\.swarm\./.test(r.problems[0]!) && why.test(r.problems[0]!), `${bad}: ${r.problems.join('\n')}`);
    }
  });
});

suite('(unit) swarm environment: single-host proxy settings are refused, not silently left out', () => {
  const withProxy = (proxy: string): string => `project: shop
services:
  - name: web
    port: 3000
environments:
  cluster:
    ssh: { host: manager.example.com, user: deploy }
    proxy:
${proxy}    swarm:
      services: { web: { replicas: 2 } }
`;

  test('proxy.tls (own files or ACME) on a swarm environment: an error at its line, saying it is single-host for now', () => {
    const r = parse(withProxy('      tls: { acme: { email: ops@example.com } }\n'));
    assert.equal(r.problems.length, 1, r.problems.join('\n'));
    assert.match(r.problems[0]!, /^greenlight\.yaml:9:\d+: environments\.cluster\.proxy\.tls: environment "cluster" is a swarm: HTTPS through the proxy .* single-host feature for now/);
  });

  test('proxy.maintenance.duringTasks on a swarm environment: an error at its line; the defaults pass', () => {
    const r = parse(withProxy('      maintenance: { duringTasks: true }\n'));
    assert.equal(r.problems.length, 1, r.problems.join('\n'));
    assert.match(r.problems[0]!, /^greenlight\.yaml:9:\d+: environments\.cluster\.proxy\.maintenance\.duringTasks: environment "cluster" is a swarm: the maintenance page is a single-host feature/);
    assert.deepEqual(parse(withProxy('      drainSeconds: 10\n')).problems, []);
  });
});

suite('(unit) swarm registry: the container', () => {
  const cfg = { managed: true as const, port: 5001, image: 'registry:2', volume: 'greenlight-registry', container: 'greenlight-registry' };

  test('restart always, the named volume on /var/lib/registry, published on the manager address only, labelled as Greenlight\'s', () => {
    assert.deepEqual(registrySpec(cfg, '198.51.100.5'), {
      name: 'greenlight-registry',
      image: 'registry:2',
      env: {},
      secretEnv: {},
      labels: { 'greenlight.role': 'registry', 'greenlight.registry.publish': '198.51.100.5:5001', 'greenlight.registry.image': 'registry:2', 'greenlight.registry.volume': 'greenlight-registry' },
      networkMode: 'bridge',
      publish: [{ hostIp: '198.51.100.5', host: 5001, container: 5000, protocol: 'tcp' }],
      restart: 'always',
      volumes: ['greenlight-registry:/var/lib/registry'],
      init: false,
    });
  });

  test('its address: the manager\'s swarm address by default; a host name given is what nodes pull from, bound on the manager\'s IP', () => {
    assert.deepEqual(managedRegistryAddress(cfg, '198.51.100.5'), { address: '198.51.100.5:5001', bindIp: '198.51.100.5' });
    assert.deepEqual(managedRegistryAddress({ ...cfg, address: '198.51.100.9' }, '198.51.100.5'), { address: '198.51.100.9:5001', bindIp: '198.51.100.9' });
    assert.deepEqual(managedRegistryAddress({ ...cfg, address: 'registry.internal' }, '198.51.100.5'), { address: 'registry.internal:5001', bindIp: '198.51.100.5' });
    assert.throws(() => managedRegistryAddress(cfg, ''), /the manager reports no swarm address; set environments.<env>.swarm.registry.address/);
    assert.equal(managerAddressOf([{ id: 'a', hostname: 'm', role: 'manager', state: 'ready', availability: 'active', address: '198.51.100.5', labels: {}, leader: true }], 'a'), '198.51.100.5');
  });

  test('a node that cannot pull: the message names each node, its error and the two fixes', () => {
    const m = pullFailureMessage('198.51.100.5:5000', [{ node: '198.51.100.6', error: 'No such image: x' }]);
    assert.match(m, /^node\(s\) cannot pull from the cluster registry 198\.51\.100\.5:5000: 198\.51\.100\.6: No such image: x\. /);
    assert.match(m, /"insecure-registries" in \/etc\/docker\/daemon\.json on each node.*or serve the registry over TLS/);
    assert.match(pullErrorHint('No such image: 198.51.100.5:5000/shop-web@sha256:ab', '198.51.100.5:5000/shop-web@sha256:ab'), /could not pull from the cluster registry 198\.51\.100\.5:5000/);
    assert.equal(pullErrorHint('task: non-zero exit (1)', '198.51.100.5:5000/shop-web@sha256:ab'), '');
  });

  test('a passed pull check holds for the same address, registry container and ready nodes (in any order)', () => {
    const node = (id: string, state = 'ready', availability = 'active'): SwarmNode => ({ id, hostname: 'h', role: 'worker', state, availability, address: '', labels: {}, leader: false });
    const k = pullCheckKey('198.51.100.5:5000', 'c1', [node('a'), node('b')]);
    assert.equal(pullCheckKey('198.51.100.5:5000', 'c1', [node('b'), node('a'), node('x', 'down'), node('y', 'ready', 'drain')]), k);
    assert.notEqual(pullCheckKey('198.51.100.5:5000', 'c1', [node('a'), node('b'), node('c')]), k, 'a node joined');
    assert.notEqual(pullCheckKey('198.51.100.5:5000', 'c2', [node('a'), node('b')]), k, 'the registry was re-created');
    assert.notEqual(pullCheckKey('198.51.100.5:5001', 'c1', [node('a'), node('b')]), k);
  });

  test('the pull check is a global job that runs once and is never restarted', () => {
    const spec = { name: 'greenlight-pull-check-1', image: 'r/x@sha256:1', job: true, cmd: ['--version'], labels: {}, containerLabels: {}, env: {}, secretEnv: {}, replicas: 0, constraints: [], resources: {}, networks: [], ports: [], volumes: [], update: { parallelism: 1, delayMs: 0, monitorMs: 0, maxFailureRatio: 0, order: 'stop-first' as const, failureAction: 'pause' as const }, init: false };
    const e = serviceSpec(spec) as { Mode: unknown; UpdateConfig: unknown; RollbackConfig: unknown; TaskTemplate: { RestartPolicy: unknown } };
    assert.deepEqual(e.Mode, { GlobalJob: {} });
    assert.deepEqual(e.TaskTemplate.RestartPolicy, { Condition: 'none' });
    assert.equal(e.UpdateConfig, undefined);
    assert.equal(e.RollbackConfig, undefined);
  });
});

suite('(unit) swarm: an update stuck on a node that went down', () => {
  const task = (id: string, nodeId: string, image: string, state: string, desiredState = 'running'): SwarmTask => ({ id, nodeId, image, state, desiredState, ports: [], createdAt: '' });

  test('the new tasks that never ran on a down node are stuck; ones that ran, old ones and ones on live nodes are not', () => {
    const tasks = [
      task('t1', 'w1', 'new', 'assigned', 'shutdown'),
      task('t2', 'w1', 'new', 'running', 'shutdown'),
      task('t3', 'w1', 'old', 'assigned'),
      task('t4', 'w2', 'new', 'assigned'),
      task('t5', 'w1', 'new', 'preparing'),
    ];
    assert.deepEqual(stuckOnDownNodes(tasks, 'new', new Set(['w1'])).map((t) => t.id), ['t1', 't5']);
    assert.deepEqual(stuckOnDownNodes(tasks, 'new', new Set()), []);
  });

  test('the re-submitted spec differs only in a service label that counts re-submits (the task spec is the same)', () => {
    const spec = { name: 's', image: 'i', labels: { a: '1' }, containerLabels: { b: '2' } } as unknown as SwarmServiceSpec;
    const again = resubmitSpec(spec, 2);
    assert.deepEqual(again, { ...spec, labels: { a: '1', 'greenlight.resubmit': '2' } });
    assert.deepEqual(spec.labels, { a: '1' }, 'the original is not changed');
  });
});
