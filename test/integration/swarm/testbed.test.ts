import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { testbed } from '../testbed';
import { buildBusyboxImage, get, sshExec } from '../testbed/helpers';
import { imageOnCluster, managerDocker, swarmbed, until, type Swarmbed } from './swarmbed';

/** A swarm task as the engine lists it (the fields this suite reads). */
interface Task { ID: string; NodeID: string; DesiredState: string; Status: { State: string }; Spec: { ContainerSpec: { Image: string } } }

suite('(integration) swarm test bed: three nodes, registry, host-mode ports, start-first updates', function () {
  let sb: Swarmbed;
  let mgr: Docker;
  const id = randomBytes(4).toString('hex');
  const service = `swarm-smoke-${id}`;
  const versions = [`sw${id}a`, `sw${id}b`];
  const port = 18480 + (parseInt(id, 16) % 500);
  const refs: string[] = [];
  let local: Docker;

  suiteSetup(async function () {
    sb = swarmbed();
    mgr = managerDocker(sb);
    local = new Docker({ socketPath: testbed().hostDockerSock });
    for (const v of versions) {
      await buildBusyboxImage(local, v);
      refs.push(await imageOnCluster(local, `greenlight-test/busybox-app:${v}`, 'greenlight-test/busybox-app', v, sb));
    }
  });

  suiteTeardown(async function () {
    await mgr?.getService(service).remove().catch(() => undefined);
    for (const v of versions) await local?.getImage(`greenlight-test/busybox-app:${v}`).remove({ force: true }).catch(() => undefined);
  });

  test('three nodes are Ready and active: one manager (leader), two workers, each labelled', async function () {
    const nodes = await mgr.listNodes();
    assert.equal(nodes.length, 3, JSON.stringify(nodes.map((n) => n.Status)));
    for (const n of nodes) assert.deepEqual([n.Status.State, n.Spec.Availability], ['ready', 'active']);
    const byLabel = Object.fromEntries(nodes.map((n) => [n.Spec.Labels['greenlight.node'], n]));
    assert.deepEqual(Object.keys(byLabel).sort(), ['m', 'w1', 'w2']);
    assert.equal(byLabel.m.Spec.Role, 'manager');
    assert.equal(byLabel.m.ManagerStatus?.Leader, true);
    assert.deepEqual([byLabel.w1.Spec.Role, byLabel.w2.Spec.Role], ['worker', 'worker']);
    assert.deepEqual(nodes.map((n) => n.Status.Addr).sort(), [sb.managerIp, ...sb.workerIps].sort());
  });

  test('the manager answers over SSH with the pinned host key, and docker there is the swarm manager', async function () {
    const r = await sshExec({
      host: sb.sshHost, port: sb.sshPort, username: sb.sshUser, privateKey: (await import('node:fs')).readFileSync(sb.sshKeyFile), readyTimeout: 10000,
      hostVerifier: (key: Buffer) => key.equals(Buffer.from(sb.hostKey.split(' ')[1]!, 'base64')),
    }, 'docker info --format "{{.Swarm.ControlAvailable}} {{.Swarm.Nodes}}"');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'true 3');
  });

  test('a 2-replica service pulled by digest from the cluster registry answers on its host-mode port; a start-first update keeps the old task until the new one is healthy', async function () {
    this.timeout(240000);
    const nodes = await mgr.listNodes();
    const addr = new Map(nodes.map((n) => [n.ID as string, n.Status.Addr as string]));
    const spec = (image: string): Docker.CreateServiceOptions => ({
      Name: service,
      Labels: { 'greenlight.test': 'swarm-smoke' },
      TaskTemplate: {
        ContainerSpec: {
          Image: image,
          Env: ['PORT=8080', 'BIND=0.0.0.0'],
          // The image has no shell: the health command is an argv of busybox's own wget.
          HealthCheck: { Test: ['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/cgi-bin/health'], Interval: 500e6, Timeout: 2e9, Retries: 3, StartPeriod: 1e9 },
        },
        Placement: { MaxReplicas: 1 },
        RestartPolicy: { Condition: 'any', MaxAttempts: 0 },
      },
      Mode: { Replicated: { Replicas: 2 } },
      UpdateConfig: { Parallelism: 1, Order: 'start-first', FailureAction: 'rollback', Monitor: 2e9, Delay: 0 },
      EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: port, PublishMode: 'host' }] },
    });
    const running = async (image: string): Promise<Task[] | undefined> => {
      const tasks = (await mgr.listTasks({ filters: { service: [service], 'desired-state': ['running'] } })) as Task[];
      const ok = tasks.filter((t) => t.Status.State === 'running' && t.Spec.ContainerSpec.Image === image);
      return ok.length === 2 && tasks.length === 2 ? ok : undefined;
    };
    const answers = async (tasks: Task[], version: string): Promise<void> => {
      for (const t of tasks) {
        const url = `http://${addr.get(t.NodeID)}:${port}/cgi-bin/health`;
        const r = await until(`${url} answers`, 15000, async () => { const x = await get(url); return x.status ? x : undefined; });
        assert.equal(r.status, 200, `${url}: ${r.body}`);
        assert.deepEqual(JSON.parse(r.body), { status: 'ok', version }, url);
      }
    };

    await mgr.createService(spec(refs[0]!));
    const first = await until('2 healthy tasks of the first version', 60000, () => running(refs[0]!));
    assert.equal(new Set(first.map((t) => t.NodeID)).size, 2, 'one task per node (host-mode port)');
    await answers(first, versions[0]!);

    // The update: count the tasks that run at once while it moves (start-first: three at some point).
    const svc = mgr.getService(service);
    const info = await svc.inspect();
    await svc.update({ version: info.Version.Index, ...spec(refs[1]!) });
    let most = 0;
    const second = await until('the update to complete', 90000, async () => {
      const tasks = (await mgr.listTasks({ filters: { service: [service] } })) as Task[];
      most = Math.max(most, tasks.filter((t) => t.Status.State === 'running').length);
      const s = await svc.inspect();
      if (s.UpdateStatus?.State === 'rollback_completed' || s.UpdateStatus?.State === 'paused') throw new Error(`update ${s.UpdateStatus.State}: ${s.UpdateStatus.Message}`);
      return s.UpdateStatus?.State === 'completed' ? await running(refs[1]!) : undefined;
    });
    assert.ok(most >= 3, `start-first: an old task kept running beside a new one (at most ${most} ran at once)`);
    await answers(second, versions[1]!);
  });
});
