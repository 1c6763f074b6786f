// Lint throughput on the SQL corpus, Greenlight against squawk (the native Rust linter, from
// the squawk-cli npm package), on the same files in one run; plus the linter's accuracy on the
// labelled corpus. Prints the figures and rewrites the "Lint throughput" and "Lint accuracy"
// sections of docs/benchmarks.md.
//
// usage: npm run bench -- lint      (or: node --import tsx scripts/bench/lint.ts [--rounds N] [--no-write])
//
// Greenlight runs in-process (as in the language server and the CLI): every round reads and
// lints all corpus files; the first rounds warm up the WASM parser and are not counted. squawk
// runs as one process over the corpus repeated K times (so its process start is amortized),
// with its JSON reporter. Both figures are files per second of wall-clock time; CPU time is shown
// too, because squawk's wall time includes waiting that its CPU time does not.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDefaultLinter } from '../../src/core/lint/defaultLinter';
import { scoreCorpus } from '../../test/unit/lint/corpusScore';

const root = path.resolve(__dirname, '..', '..');
const corpus = path.join(root, 'test', 'fixtures', 'lint-corpus', 'sql');
const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, warmup: { type: 'string', default: '8' }, repeat: { type: 'string', default: '10' }, 'no-write': { type: 'boolean', default: false } } });
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

function replaceSection(doc: string, id: string, body: string): string {
  const start = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

void (async () => {
  const names = readdirSync(corpus).filter((f) => f.endsWith('.sql')).sort();
  const files = names.map((f) => path.join(corpus, f));
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  const lines = files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').length - 1, 0);

  // Greenlight, in-process.
  const linter = createDefaultLinter();
  let glFindings = 0;
  const glWall: number[] = [];
  const glCpu: number[] = [];
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    let n = 0;
    for (const f of files) n += (await linter.lint(f, readFileSync(f, 'utf8'))).findings.length;
    const wall = (performance.now() - t0) / 1000;
    if (r >= WARMUP) {
      glWall.push(wall);
      glCpu.push(cpuSeconds() - c0);
    }
    glFindings = n;
  }

  // squawk, one process over the corpus repeated REPEAT times, a few runs.
  const bin = squawkBinary();
  const args = ['--reporter', 'json', ...Array.from({ length: REPEAT }, () => files).flat()];
  const sqWall: number[] = [];
  const sqCpu: number[] = [];
  let sqIssues = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const res = spawnSync('/usr/bin/time', ['-f', '%U %S', bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const wall = (performance.now() - t0) / 1000;
    if (res.error) throw res.error;
    const cpuLine = res.stderr.trim().split('\n').pop() ?? '';
    const [u, s] = cpuLine.split(' ').map(Number);
    sqWall.push(wall);
    sqCpu.push((u ?? 0) + (s ?? 0));
    try {
      sqIssues = (JSON.parse(res.stdout) as unknown[]).length / REPEAT;
    } catch {
      sqIssues = NaN;
    }
  }

  const glRate = files.length / median(glWall);
  const sqRate = (files.length * REPEAT) / median(sqWall);
  const glCpuRate = files.length / Math.max(1e-9, median(glCpu));
  const sqCpuRate = (files.length * REPEAT) / Math.max(1e-9, median(sqCpu));
  const ratio = glRate / sqRate;
  const cpuRatio = glCpuRate / sqCpuRate;

  const scores = await scoreCorpus();
  const env = `${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim()}`;
  const throughput = [
    '## Lint throughput vs squawk',
    '',
    'Command: `npm run bench -- lint` (scripts/bench/lint.ts)',
    '',
    `Corpus: test/fixtures/lint-corpus/sql, ${files.length} files, ${lines} lines, ${(bytes / 1024).toFixed(0)} KiB. Greenlight lints in-process (read + parse + all rules; ${WARMUP} warm-up rounds, median of ${ROUNDS}); squawk runs as one process over the corpus ×${REPEAT} with \`--reporter json\` (median of 5).`,
    '',
    '| linter | files/s (wall) | files/s (CPU) | findings per corpus pass |',
    '|---|---:|---:|---:|',
    `| Greenlight | ${glRate.toFixed(0)} | ${glCpuRate.toFixed(0)} | ${glFindings} |`,
    `| squawk | ${sqRate.toFixed(0)} | ${sqCpuRate.toFixed(0)} | ${Number.isNaN(sqIssues) ? '?' : sqIssues} |`,
    '',
    `**Ratio (Greenlight / squawk, wall clock): ${ratio.toFixed(2)}** (target ≥ 1.0: ${ratio >= 1 ? 'met' : 'not met'}); CPU-time ratio ${cpuRatio.toFixed(2)}.`,
    '',
    `Environment: ${env}. The machine is shared, so figures vary from run to run.`,
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
