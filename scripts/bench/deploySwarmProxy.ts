// Swarm rolling-update benchmark, on the three-node swarm test bed (bash test/testbed/swarm-up.sh):
// a 3-replica service behind the manager's proxy (Debian's Caddy FROM scratch,
// test/testbed/proxyImage.sh, routing to tasks.<service>) is updated start-first, one task at a
// time, while 50 keep-alive clients send 20,000 GETs to the manager's published port; then an
// update whose health fails is rolled back under the same load. Reports failed requests, p50/p99
// latency and the update's time per case, and writes the deploy-swarm-proxy section of docs/benchmarks.md (--no-write
// leaves it alone).
// Run: npm run bench -- deploy   (runs every deploy* bench; `npm run bench -- deploySwarmProxy` runs this one)
//      BENCH_SWARM_REQUESTS=n BENCH_SWARM_CLIENTS=n BENCH_SWARM_RATE=n (requests per second) to change the load.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { configSchema } from '../../src/core/config/schema';
import { resolveEnvironment } from '../../src/core/deploy/environment';
import { deploySwarm, type SwarmDeployRequest } from '../../src/core/deploy/swarm';
import { openLedger } from '../../src/core/images/ledger';
import { localDocker } from '../../src/core/images/adapters/dockerodeAdapter';
import { RemoteHost } from '../../src/core/ship/remoteHost';
import { buildAppImage } from '../../test/integration/deploy/appImages';
import { recordingContext } from '../../test/integration/deploy/bed';
import { managedRegistryConfig, proxyImageOnManager, swarmbed } from '../../test/integration/swarm/swarmbed';
import { describeLoad, runLoad, type LoadResult } from '../../test/load/loadGenerator';
import { replaceSection } from './_report';

const root = path.resolve(__dirname, '../..');
const REQUESTS = Number(process.env.BENCH_SWARM_REQUESTS ?? 20000);
const CLIENTS = Number(process.env.BENCH_SWARM_CLIENTS ?? 50);
const RATE = Number(process.env.BENCH_SWARM_RATE ?? 400);
const WRITE = !process.argv.includes('--no-write');
const PORT = 18792;
const REPLICAS = 3;
const CASES = ['rolling update', 'failed health → rollback'] as const;
type Case = (typeof CASES)[number];

interface Row {
  readonly case: Case;
  readonly load: LoadResult;
  readonly outcome: string;
  readonly covered: boolean;
  /** The whole deploy (ship, push to the cluster registry, update, convergence). */
  readonly opMs: number;
  /** From the first service change (the start step) to the deploy's end: the rolling update itself. */
  readonly updateMs: number;
  readonly versions: Record<string, number>;
}

void (async () => {
  const sb = swarmbed();
  const id = randomBytes(3).toString('hex');
  const project = `swpbench${id}`;
  const proxyCfg = { container: `swp-bench-caddy-${id}`, network: `swp-bench-proxy-${id}` };
  const mgr = new Docker({ socketPath: sb.managerSock });
  const proxyImage = proxyImageOnManager(sb);
  const workspace = mkdtempSync(path.join(tmpdir(), 'swp-bench-'));
  const ledger = await openLedger(workspace);
  const local = localDocker();
  const tags = { v1: `swp-bench:${id}v1`, v2: `swp-bench:${id}v2`, bad: `swp-bench:${id}bad` };
  const config = configSchema.parse({
    project,
    services: [{ name: 'web', port: 8080, env: { BIND: '0.0.0.0' }, publish: [`${PORT}:8080`], health: { path: '/cgi-bin/health', timeoutSeconds: 8, intervalMs: 500 } }],
    environments: {
      cluster: {
        ssh: { host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey },
        docker: { socket: sb.managerSock },
        stateDir: `.greenlight/swp-bench-${id}`,
        proxy: { image: proxyImage, ...proxyCfg },
        swarm: { registry: managedRegistryConfig(sb), update: { parallelism: 1, monitorSeconds: 2 }, services: { web: { replicas: REPLICAS, healthCommand: ['/bin/busybox', 'wget', '-q', '-O', '/dev/null', '{url}'] } }, convergeTimeoutSeconds: 150 },
      },
    },
  });
  const host = await RemoteHost.connect({ host: sb.sshHost, port: sb.sshPort, user: sb.sshUser, identityFile: sb.sshKeyFile, hostKey: sb.hostKey }, sb.managerSock, recordingContext());
  const request = (image: string): SwarmDeployRequest => ({ config, environment: resolveEnvironment(config, workspace, 'cluster'), images: [{ service: 'web', image }], ledger, secrets: { env: {} }, who: 'bench' });
  const rows: Row[] = [];
  try {
    for (const [v, tag] of Object.entries(tags)) {
      const imageId = buildAppImage(tag, `${id}${v}`, v === 'bad' ? { healthStatus: 500 } : {});
      await ledger.record({ imageId, service: 'web', version: `${id}${v}`, tags: [tag], gitSha: 'bench', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    const first = await deploySwarm(recordingContext(), local, host, request(tags.v1));
    if (first.outcome !== 'succeeded') throw new Error(`the first deploy failed: ${first.message}`);
    const ops: Record<Case, string> = { 'rolling update': tags.v2, 'failed health → rollback': tags.bad };
    for (const c of CASES) {
      const versions: Record<string, number> = {};
      const loading = runLoad({
        host: sb.managerIp, port: PORT, path: '/', requests: REQUESTS, concurrency: CLIENTS, ratePerSecond: RATE, timeLimitMs: 10 * 60_000,
        onBody: (body) => {
          const v = /demo \S+?(v1|v2|bad)</.exec(body)?.[1] ?? 'other';
          versions[v] = (versions[v] ?? 0) + 1;
        },
      });
      await new Promise((r) => setTimeout(r, 2000));
      const t0 = Date.now();
      let updateStarted = 0;
      const ctx = recordingContext(undefined, (p) => {
        if (p.step === 'start' && !updateStarted) updateStarted = Date.now();
      });
      const r = await deploySwarm(ctx, local, host, request(ops[c]));
      const opEnded = Date.now();
      const load = await loading;
      const row: Row = { case: c, load, outcome: r.outcome, covered: load.endedAt > opEnded, opMs: opEnded - t0, updateMs: updateStarted ? opEnded - updateStarted : NaN, versions };
      rows.push(row);
      console.log(`${c.padEnd(26)} ${r.outcome.padEnd(11)} ${describeLoad(load)}; update ${(row.updateMs / 1000).toFixed(1)} s; answered by ${JSON.stringify(versions)}${row.covered ? '' : ' — NOTE: the load ended before the deploy did'}`);
    }
  } finally {
    await mgr.getService(`${project}-web`).remove().catch(() => undefined);
    await mgr.getContainer(proxyCfg.container).remove({ force: true }).catch(() => undefined);
    for (let i = 0; i < 20; i++) {
      if (await mgr.getNetwork(proxyCfg.network).remove().then(() => true, (e: { statusCode?: number }) => e.statusCode === 404)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await host.exec(['rm', '-rf', '--', config.environments.cluster!.stateDir]).catch(() => undefined);
    host.close();
    for (const t of Object.values(tags)) await local.removeImage(t).catch(() => undefined);
    local.close();
    rmSync(workspace, { recursive: true, force: true });
  }

  const lines = [
    '## Swarm: a rolling update of 3 replicas behind the manager\'s proxy, under load',
    '',
    `Command: \`npm run bench -- deploy\` (this part alone: \`npm run bench -- deploySwarmProxy\`), on the three-node swarm test bed (test/testbed/swarm-up.sh: one manager, two workers, each its own dockerd in a network namespace). Per case: ${REQUESTS.toLocaleString('en')} GETs of \`/\` at ${CLIENTS} concurrent keep-alive clients (paced at ${RATE} requests/s, the deploy starting 2 s in) to the manager's published port ${PORT}; behind it Debian's Caddy ${proxyImage.split(':')[1] ?? ''} in a FROM-scratch image (test/testbed/proxyImage.sh) on the manager's engine, on an attachable overlay network, routing to \`tasks.<service>\` (re-resolved every second, retried on another task within 10 s, a dial given 2 s, a failed task skipped for 1 s). The service: the busybox demo app, ${REPLICAS} replicas over the three nodes, update start-first, parallelism 1, monitor 2 s, failure-action rollback, gated by a HEALTHCHECK. "Deploy s" is the whole deploy (ship, push to the cluster registry, update, convergence); "update s" runs from the first service change to the deploy's end. "Re-sent" counts GETs whose idle keep-alive connection the server closed before answering, sent again once on a new connection (RFC 9112 §9.3.1); the strict count adds them to the failures.`,
    '',
    '| case | outcome | requests | failed | re-sent (closed keep-alive) | strict failures | p50 ms | p99 ms | max ms | deploy s | update s | answered by |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((x) =>
      `| ${x.case} | ${x.outcome} | ${x.load.sent} | ${x.load.failed} | ${x.load.retriedOnClosedKeepAlive} | ${x.load.failed + x.load.retriedOnClosedKeepAlive} | ${x.load.p50Ms.toFixed(1)} | ${x.load.p99Ms.toFixed(1)} | ${x.load.maxMs.toFixed(0)} | ${(x.opMs / 1000).toFixed(1)}${x.covered ? '' : ' (load ended first)'} | ${(x.updateMs / 1000).toFixed(1)} | ${Object.entries(x.versions).map(([v, n]) => `${v}: ${n}`).join(', ')} |`),
    '',
    'An earlier run the same day with a 1 s dial timeout and failed tasks skipped for 5 s failed 3 of 20,000 (update) and 2 of 20,000 (rollback), all client time-outs (10 s), p99 3.7 s and 1.1 s: most likely (inferred from the timings, not from a packet capture) under load the busybox app\'s full listen queue drops SYNs (retransmitted after 1 s), each dropped SYN marked a healthy task down, and a burst marked all three down at once, so Caddy held requests until the client gave up; hence the 2 s dial (one SYN retransmission) and the 1 s skip (one DNS refresh) now used (src/core/deploy/proxy.ts, dynamicProxyHandler).',
    '',
    'No anchor row: without the proxy a swarm service publishes in host mode (the ingress routing mesh does not answer in the test bed\'s namespaces), and a start-first update of 3 replicas with a fixed host port needs 4 nodes (one free per new task), which the 3-node bed does not have; Greenlight refuses it at preflight.',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} (one run).`,
    '',
  ];
  console.log(`\n${lines.join('\n')}`);
  if (WRITE) {
    const doc = path.join(root, 'docs/benchmarks.md');
    writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), 'deploy-swarm-proxy', lines.join('\n')));
    console.log('written: docs/benchmarks.md (section deploy-swarm-proxy)');
  }
})().catch((e: unknown) => {
  console.error(`deploySwarmProxy bench: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
