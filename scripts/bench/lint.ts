// Lint throughput on the SQL corpus, Greenlight against squawk (the native Rust linter, from
// the squawk-cli npm package), on the same files in one run; plus the linter's accuracy on the
// labelled corpus. Prints the figures and rewrites the "Lint throughput" and "Lint accuracy"
// sections of docs/benchmarks.md.
//
// usage: npm run bench -- lint      (or: node --import tsx scripts/bench/lint.ts [--rounds N] [--repeat K] [--no-write])
//
// Greenlight runs in-process, as the shipped CLI and language server run it: the engine is
// bundled by esbuild the way scripts/build.mjs bundles dist/cli.js (no tsx transform in the
// timed code), and its SQL parse cache is emptied before every pass over the corpus, so no pass
// reuses another's parses. squawk runs as one process over the corpus repeated K times (so its
// process start is amortized), with its JSON reporter. The machine may be shared, so the two
// are measured in alternating rounds (K Greenlight passes, then one squawk run of the same K
// passes): both see the same load, and the ratio is the median of the per-round ratios. Figures
// are files per second of wall-clock and of CPU time (squawk's wall time includes waiting that
// its CPU time does not).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { scoreCorpus } from '../../test/unit/lint/corpusScore';
import { replaceSection } from './_report';

const root = path.resolve(__dirname, '..', '..');
const corpus = path.join(root, 'test', 'fixtures', 'lint-corpus', 'sql');
const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, warmup: { type: 'string', default: '8' }, repeat: { type: 'string', default: '10' }, 'no-write': { type: 'boolean', default: false } } });
const ROUNDS = Number(opts.rounds);
const WARMUP = Number(opts.warmup);
const REPEAT = Number(opts.repeat);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function squawkBinary(): string {
  const candidates = [
    path.join(root, 'node_modules', '@squawk-cli', `${process.platform}-${process.arch}`, 'bin', 'squawk'),
    path.join(root, 'node_modules', '.bin', 'squawk'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('squawk is not installed: npm install (squawk-cli is a devDependency)');
  return found;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * The engine as the CLI ships it: src/core/lint bundled by esbuild with the options of
 * scripts/build.mjs (packages with WASM assets stay external), written under node_modules/.cache
 * so those packages resolve.
 */
function bundleEngine(): { createDefaultLinter: () => { lint(file: string, text: string): Promise<{ findings: readonly unknown[] }> }; clearSqlParseCache: () => void } {
  const out = path.join(root, 'node_modules', '.cache', 'greenlight-bench', 'lint-engine.cjs');
  esbuild.buildSync({
    stdin: {
      contents: "export { createDefaultLinter } from './src/core/lint/defaultLinter'; export { clearSqlParseCache } from './src/core/lint/sql/parse';",
      resolveDir: root,
      loader: 'ts',
    },
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', '@electric-sql/pglite', 'libpg-query', '@ruby/prism', 'web-tree-sitter', 'tree-sitter-python'],
    logLevel: 'warning',
  });
  return require(out);
}

const engine = bundleEngine();
const createLinter = engine.createDefaultLinter;

void (async () => {
  const names = readdirSync(corpus).filter((f) => f.endsWith('.sql')).sort();
  const files = names.map((f) => path.join(corpus, f));
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  const lines = files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length - 1, 0);

  // Greenlight, in-process, from a bundle built like dist/cli.js.
  const linter = createLinter();
  const bin = squawkBinary();
  const args = ['--reporter', 'json', ...Array.from({ length: REPEAT }, () => files).flat()];
  const glPasses = async (passes: number): Promise<{ wall: number; cpu: number; findings: number }> => {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    let n = 0;
    for (let p = 0; p < passes; p++) {
      engine.clearSqlParseCache();
      n = 0;
      for (const f of files) n += (await linter.lint(f, readFileSync(f, 'utf8'))).findings.length;
    }
    return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0, findings: n };
  };
  const squawkRun = (): { wall: number; cpu: number; issues: number } => {
    const t0 = performance.now();
    const res = spawnSync('/usr/bin/time', ['-f', '%U %S', bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const wall = (performance.now() - t0) / 1000;
    if (res.error) throw res.error;
    const cpuLine = res.stderr.trim().split('\n').pop() ?? '';
    const [u, s] = cpuLine.split(' ').map(Number);
    let issues = NaN;
    try {
      issues = (JSON.parse(res.stdout) as unknown[]).length / REPEAT;
    } catch {
      // counted as unknown
    }
    return { wall, cpu: (u ?? 0) + (s ?? 0), issues };
  };

  await glPasses(WARMUP);
  squawkRun();
  const load0 = loadavg()[0]!;
  const gl: { wall: number; cpu: number }[] = [];
  const sq: { wall: number; cpu: number }[] = [];
  const wallRatios: number[] = [];
  const cpuRatios: number[] = [];
  let glFindings = 0;
  let sqIssues = NaN;
  for (let r = 0; r < ROUNDS; r++) {
    const g = await glPasses(REPEAT);
    const q = squawkRun();
    glFindings = g.findings;
    sqIssues = q.issues;
    gl.push(g);
    sq.push(q);
    // Same work on both sides (the corpus REPEAT times): the ratio of rates is the inverse ratio of times.
    wallRatios.push(q.wall / g.wall);
    cpuRatios.push(q.cpu / Math.max(1e-9, g.cpu));
  }
  const load1 = loadavg()[0]!;
  const work = files.length * REPEAT;
  const glRate = work / median(gl.map((g) => g.wall));
  const sqRate = work / median(sq.map((q) => q.wall));
  const glCpuRate = work / Math.max(1e-9, median(gl.map((g) => g.cpu)));
  const sqCpuRate = work / Math.max(1e-9, median(sq.map((q) => q.cpu)));
  const ratio = median(wallRatios);
  const cpuRatio = median(cpuRatios);

  const scores = await scoreCorpus();
  const env = `${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()}`;
  const throughput = [
    '## Lint throughput vs squawk',
    '',
    `Command: \`npm run bench -- lint\` (scripts/bench/lint.ts), ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Corpus: test/fixtures/lint-corpus/sql, ${files.length} files, ${lines} lines, ${(bytes / 1024).toFixed(0)} KiB. ${ROUNDS} alternating rounds, each the corpus ×${REPEAT} through Greenlight (in-process, the engine bundled like dist/cli.js, read + parse + all rules, SQL parse cache emptied before every pass; ${WARMUP} warm-up passes first) and then through one squawk process (\`--reporter json\`). Rates are medians over the rounds; the ratios are the medians of the per-round ratios (both sides of a round see the same machine load).`,
    '',
    '| linter | files/s (wall) | files/s (CPU) | findings per corpus pass |',
    '|---|---:|---:|---:|',
    `| Greenlight | ${glRate.toFixed(0)} | ${glCpuRate.toFixed(0)} | ${glFindings} |`,
    `| squawk | ${sqRate.toFixed(0)} | ${sqCpuRate.toFixed(0)} | ${Number.isNaN(sqIssues) ? '?' : sqIssues} |`,
    '',
    `**Ratio (Greenlight / squawk, wall clock): ${ratio.toFixed(2)}** (target ≥ 1.0: ${ratio >= 1 ? 'met' : 'not met'}; per-round ${[...wallRatios].sort((a, b) => a - b).map((x) => x.toFixed(2)).join(', ')}); CPU-time ratio ${cpuRatio.toFixed(2)} (per-round ${[...cpuRatios].sort((a, b) => a - b).map((x) => x.toFixed(2)).join(', ')}).`,
    '',
    `Environment: ${env}; 1-minute load average ${load0.toFixed(1)} → ${load1.toFixed(1)} during the rounds. The machine is shared, so figures vary from run to run.`,
  ].join('\n');
  const accuracy = [
    '## Lint accuracy',
    '',
    'Command: `npm run bench -- lint` (the same figures are asserted by `npx mocha --config test/.mocharc.unit.cjs --grep accuracy`, which fails below 0.95)',
    '',
    'File-level: a file is *flagged* when the linter reports any finding tagged `idempotency` (or a parse error); it is *positive* when its label says it is not idempotent. SQL labels come from the oracle (run, rerun, compare a schema+data fingerprint) where `source` is `oracle` in labels.json.',
    '',
    '| language (folder) | files | TP | FP | FN | TN | precision | recall |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...scores.map((s) => `| ${s.folder} | ${s.files} | ${s.tp} | ${s.fp} | ${s.fn} | ${s.tn} | ${s.precision.toFixed(3)} | ${s.recall.toFixed(3)} |`),
    `| **total** | ${scores.reduce((n, s) => n + s.files, 0)} | | | | | | |`,
    '',
    ...scores.flatMap((s) => s.misses.map((m) => `- ${m}`)),
    ...(scores.some((s) => s.misses.some((m) => m.includes('n046_update_touch_now')))
      ? ['', "n046 (`UPDATE … SET updated_at = now()`) is flagged, but the oracle labels it idempotent: the oracle runs both passes inside one transaction, where `now()` does not change. A real rerun is a new transaction and writes a new time (n073 shows the same with `clock_timestamp()`, and the oracle agrees there). The label is kept as the oracle gave it."]
      : []),
  ].join('\n');
  console.log(`${throughput}\n\n${accuracy}`);
  if (!opts['no-write']) {
    const docPath = path.join(root, 'docs', 'benchmarks.md');
    let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
    doc = replaceSection(doc, 'lint-throughput', throughput);
    doc = replaceSection(doc, 'lint-accuracy', accuracy);
    writeFileSync(docPath, doc);
    console.log('\nwrote docs/benchmarks.md (sections lint-throughput, lint-accuracy)');
  }
  process.exit(0);
})();
