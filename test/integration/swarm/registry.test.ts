import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { Secret } from '../../../src/core/common/secret';
import { configSchema, type GreenlightConfig, type ManagedRegistryConfig } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { deploySwarm } from '../../../src/core/deploy/swarm';
import { ensureRegistry } from '../../../src/core/deploy/swarmRegistry';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage } from '../deploy/appImages';
import { recordingContext } from '../deploy/bed';
import { managedRegistryConfig, managedRegistryUp, swarmbed, type Swarmbed } from './swarmbed';

// Greenlight's own cluster registry on the manager's engine (swarm.registry omitted or managed),
// driven through the manager's SSH like a deploy: reused, started again, re-created with its
// volume's images kept; a taken port, a container it did not start and a node that cannot pull
// are clear errors that change no service.
suite('(integration) swarm: the managed cluster registry', function () {
  this.timeout(300000);
  const id = randomBytes(3).toString('hex');
  let sb: Swarmbed;
  let mgr: Docker;
  let host: RemoteHost;
  let cfg: ManagedRegistryConfig;
  const quiet = { log: () => undefined, signal: new AbortController().signal };
  const catalog = async (address: string): Promise<string[]> => ((await (await fetch(`http://${address}/v2/_catalog`)).json()) as { repositories: string[] }).repositories;
  const cleanup: Array<() => Promise<unknown>> = [];

  suiteSetup(async function () {
    sb = swarmbed();
    mgr = new Docker({ socketPath: sb.managerSock });
    cfg = managedRegistryConfig(sb);
    host = await RemoteHost.connect({ host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey }, sb.managerSock, recordingContext());
    await managedRegistryUp(sb);
  });

  suiteTeardown(async function () {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    host?.close();
  });

  test('reused while it answers, started again when stopped, re-created when removed: its images stay on the named volume', async function () {
    const before = await mgr.getContainer(cfg.container).inspect();
    assert.equal(before.HostConfig.RestartPolicy?.Name, 'always');
    assert.deepEqual(before.Mounts.map((m) => [m.Type, m.Name, m.Destination]), [['volume', cfg.volume, '/var/lib/registry']]);
    assert.deepEqual(before.HostConfig.PortBindings, { '5000/tcp': [{ HostIp: sb.managerIp, HostPort: String(cfg.port) }] });
    assert.equal(before.Config.Labels['greenlight.role'], 'registry');

    const again = await ensureRegistry(quiet, host.docker, cfg, sb.managerIp);
    assert.deepEqual(again, { address: sb.registry, containerId: before.Id, started: false, created: false });
    assert.equal((await mgr.getContainer(cfg.container).inspect()).Id, before.Id, 'the same container');

    // A repository pushed now must survive the container.
    const mark = `greenlight-it/registry-${id}`;
    await host.docker.tagImage(cfg.image, `${sb.registry}/${mark}`, 'kept');
    await host.docker.pushImage(`${sb.registry}/${mark}:kept`);
    cleanup.push(() => host.docker.removeImage(`${sb.registry}/${mark}:kept`));
    assert.ok((await catalog(sb.registry)).includes(mark));

    await mgr.getContainer(cfg.container).stop({ t: 1 });
    const restarted = await ensureRegistry(quiet, host.docker, cfg, sb.managerIp);
    assert.deepEqual([restarted.started, restarted.created, restarted.containerId], [true, false, before.Id]);
    assert.equal((await mgr.getContainer(cfg.container).inspect()).Id, before.Id);

    await mgr.getContainer(cfg.container).remove({ force: true });
    const recreated = await ensureRegistry(quiet, host.docker, cfg, sb.managerIp);
    assert.deepEqual([recreated.started, recreated.created], [true, true]);
    assert.equal((await mgr.getContainer(cfg.container).inspect()).Id, recreated.containerId);
    assert.notEqual(recreated.containerId, before.Id);
    assert.ok((await catalog(sb.registry)).includes(mark), 'the images on the volume are still served');
  });

  test('a port something else holds, or a container of that name Greenlight did not start, is a clear error and leaves nothing behind', async function () {
    // The managed registry itself holds the port: a second one on the same port cannot start.
    const other: ManagedRegistryConfig = { ...cfg, container: `glreg-other-${id}`, volume: `glreg-other-${id}` };
    cleanup.push(() => mgr.getVolume(other.volume).remove());
    await assert.rejects(ensureRegistry(quiet, host.docker, other, sb.managerIp), (e: Error) => {
      assert.match(e.message, new RegExp(`registry: port ${sb.managerIp.replace(/\./g, '\\.')}:${cfg.port} on the manager .* is taken by something else.*swarm\\.registry\\.port`));
      return true;
    });
    assert.equal(await host.docker.inspectContainer(other.container), undefined, 'the container that could not start is removed');

    const foreign = `glreg-foreign-${id}`;
    const c = await mgr.createContainer({ name: foreign, Image: cfg.image, Cmd: ['--version'] });
    cleanup.push(() => c.remove({ force: true }));
    await assert.rejects(ensureRegistry(quiet, host.docker, { ...cfg, container: foreign }, sb.managerIp), /a container named glreg-foreign-\w+ that Greenlight did not start exists on the manager/);
    assert.equal((await c.inspect()).Id, (await mgr.getContainer(foreign).inspect()).Id, 'it is left alone');
  });

  suite('a node that cannot pull', function () {
    let local: DockerEngine;
    let ledger: TestedImageLedger;
    let workspace: string;
    let config: GreenlightConfig;
    const project = `glrg${id}`;
    const tag = `gl-swrg:${id}v1`;
    // Published on the manager's loopback: the manager's engine trusts 127.0.0.1 by default and pulls,
    // the workers dial their own loopback and cannot, like a node without insecure-registries.
    const port = 15100 + (parseInt(id, 16) % 800);
    const loopback: ManagedRegistryConfig = { managed: true, port, address: '127.0.0.1', image: '', volume: `glreg-lo-${id}`, container: `glreg-lo-${id}` };

    suiteSetup(async function () {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-swrg-'));
      ledger = await openLedger(workspace);
      const imageId = buildAppImage(tag, 'v1');
      await ledger.record({ imageId, service: 'web', version: `${id}v1`, tags: [tag], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
      config = configSchema.parse({
        project,
        services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } }],
        environments: {
          cluster: {
            ssh: { host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey },
            docker: { socket: sb.managerSock },
            stateDir: `.greenlight/swrg-${id}`,
            swarm: { registry: { ...loopback, image: cfg.image }, services: { web: { replicas: 2, healthCommand: ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'] } }, convergeTimeoutSeconds: 60 },
          },
        },
      });
      local = localDocker();
      cleanup.push(async () => {
        await mgr.getContainer(loopback.container).remove({ force: true }).catch(() => undefined);
        await mgr.getVolume(loopback.volume).remove();
      });
      cleanup.push(() => host.exec(['rm', '-rf', '--', config.environments.cluster!.stateDir]));
    });

    suiteTeardown(async function () {
      await local?.removeImage(tag).catch(() => undefined);
      local?.close();
      if (workspace) rmSync(workspace, { recursive: true, force: true });
    });

    const deploy = async (): Promise<{ message: string; outcome: string; steps: string[]; lines: string[] }> => {
      const ctx = recordingContext();
      const r = await deploySwarm(ctx, local, host, { config, environment: resolveEnvironment(config, workspace, 'cluster', new Secret('unused')), images: [{ service: 'web', image: tag }], ledger, secrets: { env: {} }, who: 'swarm-registry-test' });
      return { message: r.message, outcome: r.outcome, steps: r.steps.filter((s) => s.outcome === 'failed').map((s) => s.step), lines: ctx.lines };
    };
    const workers = (): RegExp => new RegExp(sb.workerIps.map((ip) => ip.replace(/\./g, '\\.')).join('|'));

    test('the deploy that starts the registry fails in ship, and the next one in preflight, naming the nodes and the fix; no service is created', async function () {
      const first = await deploy();
      assert.equal(first.outcome, 'failed', first.message);
      assert.deepEqual(first.steps, ['ship']);
      assert.match(first.message, new RegExp(`ship: node\\(s\\) cannot pull from the cluster registry 127\\.0\\.0\\.1:${port}: `));
      assert.match(first.message, workers());
      assert.doesNotMatch(first.message, new RegExp(`${sb.managerIp.replace(/\./g, '\\.')}:`), 'the manager itself pulls');
      assert.match(first.message, /insecure-registries.*or serve the registry over TLS/);
      assert.equal(await host.docker.swarm.inspectService(`${project}-web`), undefined);

      // Preflight refuses (it throws, as for any preflight problem): the registry runs now, so it is checked there.
      await assert.rejects(deploy(), (e: Error) => {
        assert.match(e.message, new RegExp(`^preflight: node\\(s\\) cannot pull from the cluster registry 127\\.0\\.0\\.1:${port}: `));
        assert.match(e.message, workers());
        return true;
      });
      assert.equal(await host.docker.swarm.inspectService(`${project}-web`), undefined);
      // The check's global job is removed each time.
      assert.deepEqual((await mgr.listServices()).map((s) => s.Spec?.Name).filter((n) => n?.startsWith('greenlight-pull-check-')), []);
    });
  });
});
