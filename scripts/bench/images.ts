// Image benchmark: builds the demo web service (uncached, then cached) through Greenlight's
// build, and compares Greenlight's export (docker save → gzip → file with sha256 in one pass)
// with the shell pipeline `docker save IMG | gzip > f && sha256sum f` on the same image, in the
// same run. Prints the figures and rewrites the "images" section of docs/benchmarks.md.
// Run: npm run bench -- images   (needs a Docker engine; `bash test/testbed/up.sh` starts one)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { buildImages } from '../../src/core/images/build';
import { gzipToFileWithSha256 } from '../../src/core/images/checksum';
import { localDocker } from '../../src/core/images/adapters/dockerodeAdapter';
import { quietContext } from '../../src/core/common/job';
import { median, replaceSection } from './_report';

const root = path.resolve(__dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

void (async () => {
  const engine = localDocker();
  try {
    await engine.ping();
  } catch (e) {
    console.error(`images bench: no Docker engine at ${engine.endpoint} (${(e as Error).message}); run bash test/testbed/up.sh`);
    process.exit(1);
  }
  const ctx = quietContext();
  // The demo project itself (greenlight.yaml at the repository root): a realistic 105 MB image.
  const uncached: number[] = [];
  const cached: number[] = [];
  let tag = '';
  let size = 0;
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    const a = await buildImages({ workspaceRoot: root, engine, noCache: true }, ctx);
    uncached.push(performance.now() - t);
    t = performance.now();
    const b = await buildImages({ workspaceRoot: root, engine }, ctx);
    cached.push(performance.now() - t);
    tag = b.images[0]!.tag;
    size = b.images[0]!.sizeBytes;
    if (a.images[0]!.tag !== tag) await engine.removeImage(a.images[0]!.tag).catch(() => undefined);
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'gl-bench-images-'));
  const ours: number[] = [];
  const shell: number[] = [];
  let oursBytes = 0;
  let shellBytes = 0;
  try {
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate the order so page-cache warmth favours neither side.
      for (const which of i % 2 === 0 ? ['ours', 'shell'] : ['shell', 'ours']) {
        const f = path.join(dir, `${which}.tar.gz`);
        rmSync(f, { force: true });
        const t = performance.now();
        if (which === 'ours') {
          const r = await gzipToFileWithSha256(await engine.saveImage(tag), f);
          ours.push(performance.now() - t);
          oursBytes = r.bytes;
        } else {
          // A fixed script; the tag and file are positional arguments, never spliced into it.
          const r = spawnSync('bash', ['-c', 'set -o pipefail; docker save "$1" | gzip > "$2" && sha256sum "$2"', 'bench', tag, f], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`shell pipeline failed: ${r.stderr}`);
          shell.push(performance.now() - t);
          shellBytes = statSync(f).size;
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mb = size / 1e6;
  const oursMs = median(ours);
  const shellMs = median(shell);
  const ratio = shellMs / oursMs;
  const dockerVersion = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim();
  const env = `${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), Docker ${dockerVersion}, Node ${process.version}, ${ROUNDS} rounds, medians`;
  const body = [
    '## Images: build and export',
    '',
    'Command: `npm run bench -- images` (scripts/bench/images.ts; `BENCH_ROUNDS=n` changes the rounds)',
    '',
    `Image: the demo web service (${mb.toFixed(1)} MB, FROM scratch: node + libs + app), built from the repository root through \`buildImages\` (tar context honouring .dockerignore, network none).`,
    '',
    '| measure | median | all runs |',
    '|---|---:|---|',
    `| build, no cache | ${(median(uncached) / 1000).toFixed(2)} s | ${uncached.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    `| build, cached (unchanged context) | ${(median(cached) / 1000).toFixed(2)} s | ${cached.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    `| export, Greenlight (save → gzip -1 → sha256 → file, one pass) | ${(oursMs / 1000).toFixed(2)} s = ${(mb / (oursMs / 1000)).toFixed(0)} MB/s, ${(oursBytes / 1e6).toFixed(1)} MB file | ${ours.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    `| export, \`docker save \\| gzip > f && sha256sum f\` | ${(shellMs / 1000).toFixed(2)} s = ${(mb / (shellMs / 1000)).toFixed(0)} MB/s, ${(shellBytes / 1e6).toFixed(1)} MB file | ${shell.map((x) => (x / 1000).toFixed(2)).join(', ')} |`,
    '',
    'A cached build still packs and sends the 105 MB context (the node binary) and the daemon re-hashes it to find its cache: that, not the layers, is most of its time.',
    '',
    `**Export throughput ratio (Greenlight / shell pipeline): ${ratio.toFixed(2)}** (${ratio >= 1 ? 'faster' : 'slower'}; target ≥ 1.0: ${ratio >= 1 ? 'met' : 'not met'}). Greenlight uses gzip level 1 (image layers are mostly compressed binaries) and hashes while writing; the pipeline uses gzip's default level 6 and reads the file again for sha256sum.`,
    '',
    `Environment: ${env}. The machine is shared, so figures vary from run to run.`,
  ].join('\n');
  console.log(body);
  if (!process.argv.includes('--no-write')) {
    const docPath = path.join(root, 'docs', 'benchmarks.md');
    const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
    writeFileSync(docPath, replaceSection(doc, 'images', body));
    console.log('\nwrote docs/benchmarks.md (section images)');
  }
  process.exit(0);
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
