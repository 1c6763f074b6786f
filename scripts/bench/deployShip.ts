// Layer-delta ship benchmark (issue 12, item 3), on the test bed's production host, in one run:
// redeploying a ~100 MB image whose last layer changed (a FROM scratch image: this machine's node
// and its libraries in the base layer, a small app layer on top), with the previous version
// already on the host. Three ways, each the whole process as a user runs it, cold (a new process
// and a new SSH connection every time), the new version removed from the host before every run:
//   (a) full stream: `greenlight ship <image> --env bench --all-layers` (every layer);
//   (b) delta:       `greenlight ship <image> --env bench` (only the layers the host lacks);
//   (c) pipeline:    `docker save | gzip > file`, `scp`, `ssh host 'gunzip -c file | docker load'`.
// Bytes: what the ship counted into the SSH channel (its --json result), the gzip file for (c).
// Prints the figures; rewrites the "ship-delta" section of docs/benchmarks.md, or writes the
// section alone to the file BENCH_DOC names; --no-write (run directly) leaves both alone.
// Run: npm run bench -- deploy   (this one alone: npm run bench -- deployShip; BENCH_ROUNDS=n, default 3)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { quietContext } from '../../src/core/common/job';
import { localDocker } from '../../src/core/images/adapters/dockerodeAdapter';
import { RemoteHost } from '../../src/core/ship/remoteHost';
import { shipImage } from '../../src/core/ship/ship';
import { testbed } from '../../test/integration/testbed';
import { buildNodeVersion } from '../../test/integration/ship/deltaImages';
import { median, replaceSection } from './_report';

const root = path.resolve(__dirname, '../..');
const CLI = path.join(root, 'dist/cli.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

type Way = 'full' | 'delta' | 'pipeline';

interface Run {
  readonly s: number;
  readonly bytes: number;
  readonly layers?: string;
}

const secs = (s: number): string => s.toFixed(2);

/** The newest modification time of the files under dir (ms). */
function newestUnder(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return newest;
}
const size = (b: number): string => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} KB`);

/** Runs a fixed bash script with positional arguments (never spliced into the script). */
function sh(script: string, ...args: string[]): string {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${script}`, 'bench', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bench script failed (exit ${r.status}): ${script}\n${r.stderr}`);
  return r.stdout;
}

void (async () => {
  const bed = testbed();
  if (!existsSync(CLI) || newestUnder(path.join(root, 'src')) > statSync(CLI).mtimeMs) {
    console.log('dist/cli.js is missing or older than src/: building it (npm run build) …');
    execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  }
  const sshConfig = path.join(bed.root, 'ssh', 'config');
  const target = { host: bed.sshHost, port: bed.sshPort, user: bed.sshUser, identityFile: bed.sshKeyFile, hostKey: bed.hostKey };
  const repo = `delta-bench-${randomBytes(3).toString('hex')}`;
  const work = mkdtempSync(path.join(tmpdir(), 'delta-bench-'));
  const remoteDir = `.greenlight/${repo}`;
  const local = localDocker();
  const ctx = quietContext();
  const host = await RemoteHost.connect(target, bed.prodDockerSock, ctx);
  try {
    console.log(`building ${repo}:v1 and :v2 (node base layer, small app layer) …`);
    const v1 = buildNodeVersion(`${repo}:v1`, 'one');
    const v2 = buildNodeVersion(`${repo}:v2`, 'two');
    const info = (await local.inspectImage(v2))!;
    const base = (await local.inspectImage(v1))!.layers;
    if (base[0] !== info.layers[0] || base.length !== info.layers.length) throw new Error('the two versions do not share their base layer');
    console.log(`${repo}:v2 (${info.id.slice(7, 19)}): ${(info.sizeBytes / 1e6).toFixed(1)} MB, ${info.layers.length} layers`);

    // The project a user would have: one environment on the test bed's production host.
    writeFileSync(
      path.join(work, 'greenlight.yaml'),
      [
        `project: ${repo}`,
        'environments:',
        '  bench:',
        `    ssh: { host: "${bed.sshHost}", port: ${bed.sshPort}, user: "${bed.sshUser}", identityFile: "${bed.sshKeyFile}", hostKey: "${bed.hostKey}" }`,
        `    docker: { socket: "${bed.prodDockerSock}" }`,
        `    stateDir: "${remoteDir}"`,
        '',
      ].join('\n'),
    );
    // The previous version is on the host, as after the last deploy.
    await shipImage(ctx, local, host, { image: `${repo}:v1`, mode: 'stream' });

    const forgetV2 = async (): Promise<void> => {
      for (const t of (await host.docker.inspectImage(info.id))?.repoTags ?? []) await host.docker.removeImage(t);
      await host.docker.removeImage(info.id);
      if (await host.docker.inspectImage(info.id)) throw new Error(`could not remove ${info.id} from the production engine before a run`);
      if ((await host.docker.inspectImage(`${repo}:v1`))?.id !== v1) throw new Error('the previous version is no longer on the host');
    };

    const cliShip = (extra: string[]): Run => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [CLI, 'ship', `${repo}:v2`, '--env', 'bench', '--json', ...extra], { cwd: work, encoding: 'utf8' });
      const s = (performance.now() - t) / 1000;
      if (r.status !== 0) throw new Error(`greenlight ship ${extra.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
      const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { bytes: number; imageId: string; layers?: { sent: number; total: number } };
      if (json.imageId !== info.id) throw new Error(`greenlight ship shipped ${json.imageId}, expected ${info.id}`);
      return { s, bytes: json.bytes, layers: json.layers ? `${json.layers.sent} of ${json.layers.total}` : undefined };
    };
    const pipeline = (): Run => {
      const f = path.join(work, 'image.tar.gz');
      rmSync(f, { force: true });
      const t = performance.now();
      sh(
        'docker save "$1" | gzip > "$2"; ssh -F "$3" prod mkdir -p "$4"; scp -q -F "$3" "$2" prod:"$4"/; ' +
          'ssh -F "$3" prod "gunzip -c $4/image.tar.gz | docker load -q && rm -f $4/image.tar.gz"',
        `${repo}:v2`,
        f,
        sshConfig,
        remoteDir,
      );
      return { s: (performance.now() - t) / 1000, bytes: statSync(f).size };
    };

    const runs: Record<Way, Run[]> = { full: [], delta: [], pipeline: [] };
    const orders: Way[][] = [
      ['full', 'delta', 'pipeline'],
      ['pipeline', 'delta', 'full'],
      ['delta', 'full', 'pipeline'],
    ];
    for (let i = 0; i < ROUNDS; i++) {
      // The order rotates so page-cache warmth favours none of the three.
      for (const way of orders[i % orders.length]!) {
        await forgetV2();
        const r = way === 'full' ? cliShip(['--all-layers']) : way === 'delta' ? cliShip([]) : pipeline();
        const landed = await host.docker.inspectImage(info.id);
        if (landed?.id !== info.id) throw new Error(`${way}: the production engine does not have ${info.id} after the run`);
        runs[way].push(r);
        console.log(`  round ${i + 1} ${way}: ${secs(r.s)} s, ${size(r.bytes)}${r.layers ? ` (${r.layers} layers)` : ''}`);
      }
    }
    const med = (w: Way): number => median(runs[w].map((r) => r.s));
    const bytes = (w: Way): number => median(runs[w].map((r) => r.bytes));
    const all = (w: Way): string => runs[w].map((r) => secs(r.s)).join(', ');
    const byteRatio = bytes('delta') / bytes('full');
    const timeRatio = med('full') / med('delta');

    const dockerVersion = (await local.version()).version;
    const prodDocker = (await host.docker.version()).version;
    const body = [
      '## Ship: only the layers that changed (layer delta)',
      '',
      'Command: `npm run bench -- deploy` (scripts/bench/deployShip.ts, beside the other deploy benches; alone: `npm run bench -- deployShip`; needs `bash test/testbed/up.sh`; `BENCH_ROUNDS=n`, default 3; `BENCH_DOC=<file>` writes this section to that file instead of docs/benchmarks.md)',
      '',
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${process.env.BENCH_DOC ? ` (with BENCH_DOC=${process.env.BENCH_DOC})` : ''}.`,
      '',
      `Image: \`${repo}:v2\`, ${(info.sizeBytes / 1e6).toFixed(1)} MB, FROM scratch: this machine's node and the libraries ldd names in the base layer, a small app layer on top; the previous version (v1, same base layer, other app layer) is on the host, v2 is removed from it before every run. Each run is the whole process as a user runs it, cold: a new \`greenlight\` (dist/cli.js) process and SSH connection, or the shell pipeline. The order of the three rotates per round.`,
      '',
      '| way | bytes sent | median | all runs (s) |',
      '|---|---:|---:|---|',
      `| (a) full stream: \`greenlight ship <image> --env bench --all-layers\` (docker save by ID → ssh2 → remote load, ID and layer digests verified, tagged) | ${size(bytes('full'))} | ${secs(med('full'))} s | ${all('full')} |`,
      `| (b) delta: \`greenlight ship <image> --env bench\` (only the layers the host lacks: ${runs.delta[0]?.layers ?? '?'} layers; same verification) | ${size(bytes('delta'))} | ${secs(med('delta'))} s | ${all('delta')} |`,
      `| (c) \`docker save \\| gzip > f\`, \`scp f\`, \`ssh host 'gunzip -c f \\| docker load'\` | ${size(bytes('pipeline'))} (gzip file) | ${secs(med('pipeline'))} s | ${all('pipeline')} |`,
      '',
      `**Delta bytes / full bytes: ${(byteRatio * 100).toFixed(3)} %** (target ≤ 10 %). **Time, full stream / delta: ${timeRatio.toFixed(2)}×** (${timeRatio > 1 ? 'the delta is faster' : 'the delta is NOT faster'}); pipeline / delta: ${(med('pipeline') / med('delta')).toFixed(2)}×.`,
      'The delta still has the local engine read the whole image (`docker save`, filtered as it streams: the base layer tar is dropped on the way); what it saves is the transfer and the remote load of the base layer. The rest of its time is the process start, the SSH connection, reading the host\'s image list (one inspect per image) and that local save.',
      '',
      `Environment: ${cpus().length} CPU, Node ${process.version}, Docker ${dockerVersion} here and ${prodDocker} on the production host (a network namespace over a veth pair and OpenSSH); ${ROUNDS} rounds, medians; load average ${loadavg()[0]!.toFixed(1)} at the end; ${new Date().toISOString().slice(0, 10)}. The machine is shared, so figures vary from run to run.`,
    ].join('\n');
    console.log(`\n${body}`);
    const out = process.env.BENCH_DOC;
    if (process.argv.includes('--no-write')) {
      // Figures printed only.
    } else if (out) {
      writeFileSync(path.resolve(root, out), `${body}\n`);
      console.log(`\nwrote ${out}`);
    } else {
      const docPath = path.join(root, 'docs', 'benchmarks.md');
      writeFileSync(docPath, replaceSection(readFileSync(docPath, 'utf8'), 'ship-delta', body));
      console.log('\nwrote docs/benchmarks.md (section ship-delta)');
    }
  } finally {
    for (const ref of [`${repo}:v2`, `${repo}:v1`]) {
      const id = (await host.docker.inspectImage(ref).catch(() => undefined))?.id;
      await host.docker.removeImage(ref).catch(() => undefined);
      if (id) await host.docker.removeImage(id).catch(() => undefined);
      await local.removeImage(ref).catch(() => undefined);
    }
    await host.exec(['rm', '-rf', '--', remoteDir]).catch(() => undefined);
    host.close();
    local.close();
    rmSync(work, { recursive: true, force: true });
  }
  process.exit(0);
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
