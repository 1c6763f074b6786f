// Rolling-update benchmark on the three-node swarm test bed (bash test/testbed/swarm-up.sh): a web
// service of 3 replicas (start-first, one at a time, HEALTHCHECK-gated), updated to a new version.
//  - Greenlight: the whole user-visible process, cold: `node dist/cli.js deploy --env cluster <tag>`
//    in a fresh process (config, SSH to the manager, ship to the manager, push to the cluster
//    registry, preflight, lock, rolling update, convergence, post-checks, audit), timed from spawn
//    to exit; its own "health" step (the rolling update as it converges) is read from --json.
//  - Anchor: the same rolling update with the swarm's own CLI on the manager, the image already in
//    the cluster registry: `docker service update --image <ref@digest> --detach=false`.
// Failed requests under load during the update are measured by the swarm-proxy bench, not here.
// Writes the deploy-swarm section of docs/benchmarks.md (--no-write leaves it alone).
// Run: npm run bench -- deploySwarm   (also part of `npm run bench -- deploy`); BENCH_ROUNDS=n.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openLedger } from '../../src/core/images/ledger';
import { buildAppImage } from '../../test/integration/deploy/appImages';
import { imageOnCluster, managedRegistryConfig, swarmbed } from '../../test/integration/swarm/swarmbed';
import Docker from 'dockerode';
import { RemoteHost } from '../../src/core/ship/remoteHost';
import { recordingContext } from '../../test/integration/deploy/bed';
import { median, replaceSection } from './_report';
import { configSchema } from '../../src/core/config/schema';
import { swarmServiceSpec } from '../../src/core/deploy/swarm';
import { serviceSpec } from '../../src/core/images/adapters/dockerodeAdapter';

const root = path.resolve(__dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WRITE = !process.argv.includes('--no-write');
const secs = (ms: number): string => (ms / 1000).toFixed(1);

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? root, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

void (async () => {
  const sb = swarmbed();
  const id = randomBytes(3).toString('hex');
  const project = `swvbench${id}`;
  const local = new Docker();
  if (!existsSync(path.join(root, 'dist/cli.js')) || process.env.BENCH_BUILD) run(process.execPath, ['scripts/build.mjs']);
  const workspace = mkdtempSync(path.join(tmpdir(), 'swv-bench-'));
  const ledger = await openLedger(workspace);
  const healthCommand = ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'];
  const update = { parallelism: 1, delaySeconds: 0, monitorSeconds: 2 };
  const raw = {
    project,
    services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } }],
    environments: {
      cluster: {
        ssh: { host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey },
        docker: { socket: sb.managerSock },
        stateDir: `.greenlight/${project}`,
        swarm: { registry: managedRegistryConfig(sb), update, services: { web: { replicas: 3, healthCommand } }, convergeTimeoutSeconds: 150 },
      },
    },
  };
  writeFileSync(path.join(workspace, 'greenlight.yaml'), JSON.stringify(raw, null, 2));
  const tags: string[] = [];
  const tag = (v: string): string => `swv-bench:${id}${v}`;
  const cli = (args: string[]) => run(process.execPath, [path.join(root, 'dist/cli.js'), ...args], { cwd: workspace });
  const gl: { wholeMs: number; healthMs: number }[] = [];
  const anchor: number[] = [];
  let anchorService = `${project}anchor-web`;
  const mgr = new Docker({ socketPath: sb.managerSock });
  try {
    for (let i = 0; i <= ROUNDS; i++) {
      const t = tag(`v${i}`);
      const imageId = buildAppImage(t, `v${i}`);
      tags.push(t);
      await ledger.record({ imageId, service: 'web', version: `v${i}`, tags: [t], gitSha: 'bench', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    // The first deploy creates the service; the timed ones update it (3 replicas, one at a time).
    cli(['deploy', '--env', 'cluster', tags[0]!]);
    for (let i = 1; i <= ROUNDS; i++) {
      const r = cli(['deploy', '--env', 'cluster', '--json', tags[i]!]);
      const res = JSON.parse(r.stdout) as { outcome: string; steps: { step: string; ms: number }[] };
      if (res.outcome !== 'succeeded') throw new Error(`deploy ${tags[i]}: ${res.outcome}`);
      gl.push({ wholeMs: r.ms, healthMs: res.steps.find((s) => s.step === 'health')?.ms ?? NaN });
      console.log(`greenlight deploy v${i}: ${secs(r.ms)} s whole process, ${secs(gl.at(-1)!.healthMs)} s rolling update (health step)`);
    }
    // The anchor: the same images, already in the cluster registry, the same update settings and health check.
    const refs: string[] = [];
    for (let i = 0; i <= ROUNDS; i++) refs.push(await imageOnCluster(local, tags[i]!, `${project}-anchor`, `v${i}`, sb));
    const dk = (args: string[]) => run('docker', ['-H', `unix://${sb.managerSock}`, ...args]);
    // Created with the spec Greenlight submits (its HEALTHCHECK is an argv, which `docker service
    // create --health-cmd` cannot give: it runs a shell, and the FROM-scratch image has none).
    const cfg = configSchema.parse({ ...raw, project: `${project}anchor` });
    const spec = swarmServiceSpec({ config: cfg, envName: 'cluster', env: cfg.environments.cluster!, service: cfg.services[0]!, image: refs[0]!, imageId: 'bench', version: 'v0', deployId: 'bench', who: 'bench', secrets: { env: {} }, now: new Date() }, cfg.environments.cluster!.swarm!, refs[0]!);
    anchorService = spec.name;
    await mgr.createService(serviceSpec(spec));
    const end = Date.now() + 120_000;
    for (;;) {
      const tasks = (await mgr.listTasks({ filters: { service: [anchorService], 'desired-state': ['running'] } })) as { Status: { State: string } }[];
      if (tasks.filter((t) => t.Status.State === 'running').length === 3) break;
      if (Date.now() > end) throw new Error(`${anchorService}: 3 running tasks not within 120 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    for (let i = 1; i <= ROUNDS; i++) {
      const r = dk(['service', 'update', '--quiet', '--detach=false', '--image', refs[i]!, anchorService]);
      anchor.push(r.ms);
      console.log(`docker service update v${i}: ${secs(r.ms)} s`);
    }
  } finally {
    spawnSync('docker', ['-H', `unix://${sb.managerSock}`, 'service', 'rm', `${project}-web`, anchorService], { stdio: 'ignore' });
    for (const t of tags) await local.getImage(t).remove().catch(() => undefined);
    rmSync(workspace, { recursive: true, force: true });
    // The release history and audit log the deploys wrote on the manager.
    const host = await RemoteHost.connect({ host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey }, sb.managerSock, recordingContext());
    await host.exec(['rm', '-rf', '--', `.greenlight/${project}`]);
    host.close();
  }
  const whole = median(gl.map((x) => x.wholeMs));
  const health = median(gl.map((x) => x.healthMs));
  const a = median(anchor);
  const lines = [
    '## Swarm rolling update: one service of 3 replicas',
    '',
    `Command: \`npm run bench -- deploySwarm\` (also part of \`npm run bench -- deploy\`), on the three-node swarm test bed (test/testbed/swarm-up.sh: one manager, two workers, each its own dockerd in a network namespace). The busybox demo app, 3 replicas, start-first, parallelism 1, delay 0 s, monitor 2 s, a HEALTHCHECK every 0.5 s. "Greenlight" is \`greenlight deploy --env cluster <new tag>\` as a new process (dist/cli.js), timed from spawn to exit: config, SSH to the manager, ship to the manager, push to the cluster registry, preflight, lock, rolling update, convergence, post-checks, audit. Its "rolling update" column is the deploy's health step (the update from submission to every replica running the new version). The anchor is the swarm's own CLI on the manager doing only the update, the image already in the registry: \`docker service update --image <ref@digest> --detach=false\` on a service created with the spec Greenlight submits (same update settings and HEALTHCHECK; \`--detach=false\` returns once the update converged and its monitor period passed). Median of ${ROUNDS} updates each. Failed requests under load: measured by the swarm-proxy bench, not here.`,
    '',
    '| what | median s | runs (s) | ratio to anchor |',
    '| --- | ---: | --- | ---: |',
    `| Greenlight deploy, whole process (cold CLI) | ${secs(whole)} | ${gl.map((x) => secs(x.wholeMs)).join(', ')} | ${(whole / a).toFixed(2)} |`,
    `| Greenlight: rolling update (health step) | ${secs(health)} | ${gl.map((x) => secs(x.healthMs)).join(', ')} | ${(health / a).toFixed(2)} |`,
    `| anchor: docker service update --detach=false | ${secs(a)} | ${anchor.map(secs).join(', ')} | 1.00 |`,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} (one run of ${ROUNDS} updates each).`,
    '',
  ];
  console.log(`\n${lines.join('\n')}`);
  if (WRITE) {
    const doc = path.join(root, 'docs/benchmarks.md');
    writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), 'deploy-swarm', lines.join('\n')));
    console.log('written: docs/benchmarks.md (section deploy-swarm)');
  }
})().catch((e: unknown) => {
  console.error(`deploySwarm bench: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
