// Lint speed as a user runs it: whole processes, cold, the way CI and a terminal run them —
// `node dist/cli.js lint …` (after `node scripts/build.mjs`) against squawk (the native Rust
// linter of the squawk-cli npm package) on the same files, in one run. Plus the linter's accuracy
// on the labelled corpus (its own section).
//
// usage: npm run bench -- lint    (or: node --import tsx scripts/bench/lint.ts [--rounds N] [--rounds10k N] [--no-write | --write-to FILE])
//
// How: like hyperfine, each case runs the real processes again and again — one warm-up run each
// (the file system cache is warm, the process is not: nothing is kept between runs except what
// a user would keep, the --cache file in the cache case), then N rounds alternating Greenlight and
// squawk, so both see the same machine load (the machine is shared). Wall time is taken around
// the spawn, CPU time (user + system of the child and its threads) from /usr/bin/time. Figures
// are medians over the rounds; the ratio is squawk's median time over Greenlight's (above 1:
// Greenlight is faster), for wall clock and for CPU. Both write JSON reports to a pipe.
//
// Cases: one small file (start-up), the real corpus (PostgreSQL migrations of six public
// projects, gathered by scripts/bench/_lintRealCorpus.mjs from git mirrors at pinned commits),
// 10,000 files (the real files repeated under distinct paths), and a rerun with --cache. Beside
// the one-file case, `node -e 0` is timed the same way: the floor any Node.js program starts from.
//
// `--write-to <file>`: write the speed section to that file instead of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scoreCorpus } from '../../test/unit/lint/corpusScore';
import { median, replaceSection } from './_report';

const root = path.resolve(__dirname, '..', '..');
const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, rounds10k: { type: 'string', default: '3' }, 'no-write': { type: 'boolean', default: false }, 'write-to': { type: 'string' } } });
const ROUNDS = Number(opts.rounds);
const ROUNDS_10K = Number(opts.rounds10k);

function squawkBinary(): string {
  const candidates = [
    path.join(root, 'node_modules', '@squawk-cli', `${process.platform}-${process.arch}`, 'bin', 'squawk'),
    path.join(root, 'node_modules', '.bin', 'squawk'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('squawk is not installed: npm install (squawk-cli is a devDependency)');
  return found;
}

function listFiles(dir: string, ext = '.sql'): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

interface Run {
  readonly wall: number;
  readonly cpu: number;
  readonly status: number | null;
  readonly stdout: string;
}

/** One process, timed: wall around the spawn, CPU from /usr/bin/time (children and threads included). */
function timed(argv: readonly string[], cwd: string): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', ...argv], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = (performance.now() - t0) / 1000;
  if (r.error) throw r.error;
  const [u, s] = (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { wall, cpu: (u ?? 0) + (s ?? 0), status: r.status, stdout: r.stdout };
}

interface CaseResult {
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
  readonly gl: Run[];
  readonly sq: Run[];
  /** The parser floors timed in the same rounds (see _lintParseFloor.cjs), by label. */
  readonly floors: ReadonlyMap<string, Run[]>;
}

/** A process timed beside a case's rounds, as a floor for Greenlight's figure. */
interface Floor {
  readonly label: string;
  readonly argv: readonly string[];
}

/** `node -e 0` runs timed beside a case's rounds: Node.js's own start on this machine, at this load. */
const nodeFloor: Run[] = [];

function runCase(name: string, files: readonly string[], gl: readonly string[], sq: readonly string[], rounds: number, cwd: string, beforeGl?: () => void, floor = false, floors: readonly Floor[] = []): CaseResult {
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  beforeGl?.();
  const check = timed(gl, cwd);
  timed(sq, cwd);
  if (floor) timed([process.execPath, '-e', '0'], cwd);
  for (const f of floors) timed(f.argv, cwd);
  // A run that did not lint (a crash, a usage error) must not be timed as if it had.
  if (check.status !== 0 && check.status !== 1) throw new Error(`${name}: greenlight exited ${check.status}: ${check.stdout.slice(0, 500)}`);
  const g: Run[] = [];
  const q: Run[] = [];
  const floorRuns = new Map<string, Run[]>(floors.map((f) => [f.label, []]));
  for (let r = 0; r < rounds; r++) {
    beforeGl?.();
    g.push(timed(gl, cwd));
    q.push(timed(sq, cwd));
    if (floor) nodeFloor.push(timed([process.execPath, '-e', '0'], cwd));
    for (const f of floors) floorRuns.get(f.label)!.push(timed(f.argv, cwd));
  }
  console.log(`${name}: greenlight ${median(g.map((x) => x.wall)).toFixed(3)} s, squawk ${median(q.map((x) => x.wall)).toFixed(3)} s (wall, median of ${rounds})`);
  return { name, files: files.length, bytes, gl: g, sq: q, floors: floorRuns };
}

void (async () => {
  console.log('building dist/ (node scripts/build.mjs)');
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const cli = path.join(root, 'dist', 'cli.js');
  const squawk = squawkBinary();

  // The real corpus, and 10,000 files made of it under distinct paths.
  const gather = spawnSync(process.execPath, [path.join(root, 'scripts/bench/_lintRealCorpus.mjs')], { cwd: root, stdio: 'inherit' });
  if (gather.status !== 0) throw new Error('could not gather the real corpus (see scripts/bench/_lintRealCorpus.mjs)');
  const realDir = path.join(root, '.bench-corpus', 'lint-real');
  const real = listFiles(realDir);
  const tenKDir = path.join(root, '.bench-corpus', 'lint-10k');
  let tenK = existsSync(tenKDir) ? listFiles(tenKDir) : [];
  if (tenK.length !== 10_000) {
    rmSync(tenKDir, { recursive: true, force: true });
    for (let i = 0; i < 10_000; i++) {
      const dir = path.join(tenKDir, String(Math.floor(i / 1000)));
      mkdirSync(dir, { recursive: true });
      copyFileSync(real[i % real.length]!, path.join(dir, `${String(i).padStart(5, '0')}_${path.basename(real[i % real.length]!)}`));
    }
    tenK = listFiles(tenKDir);
  }
  const work = path.join(tmpdir(), 'greenlight-bench-lint');
  mkdirSync(work, { recursive: true });
  const one = path.join(work, '001_create.sql');
  writeFileSync(one, 'CREATE TABLE IF NOT EXISTS users (id bigserial PRIMARY KEY, email text NOT NULL);\nCREATE INDEX users_email ON users (email);\n');
  const cacheFile = path.join(work, 'lint-cache.json');

  const load0 = loadavg()[0]!;
  const node = process.execPath;
  // What PostgreSQL's parser alone costs in a Node.js process on these files, in one thread and
  // in one worker thread per core, timed in the same rounds.
  const parseFloor = path.join(root, 'scripts', 'bench', '_lintParseFloor.cjs');
  const parseFloors = (dir: string): Floor[] => [
    { label: 'one thread', argv: [node, parseFloor, dir, '1'] },
    { label: `${availableParallelism()} worker threads`, argv: [node, parseFloor, dir, String(availableParallelism())] },
  ];
  const cases = [
    // Start-up is short and noisy on a shared machine: three times the rounds.
    runCase('one small file (start-up)', [one], [node, cli, 'lint', '-f', 'json', one], [squawk, '--reporter', 'json', one], 3 * ROUNDS, work, undefined, true),
    runCase('real corpus', real, [node, cli, 'lint', '-f', 'json', realDir], [squawk, '--reporter', 'json', ...real], ROUNDS, work, undefined, false, parseFloors(realDir)),
    runCase('10,000 files', tenK, [node, cli, 'lint', '-f', 'json', tenKDir], [squawk, '--reporter', 'json', ...tenK], ROUNDS_10K, work, undefined, false, parseFloors(tenKDir)),
    // The cache of the previous run is there for every timed run (the warm-up writes it).
    runCase('real corpus, rerun with --cache', real, [node, cli, 'lint', '-f', 'json', '--cache', '--cache-location', cacheFile, realDir], [squawk, '--reporter', 'json', ...real], ROUNDS, work, () => undefined),
  ];
  const load1 = loadavg()[0]!;
  const findings = (r: Run): number => {
    try {
      return (JSON.parse(r.stdout) as { summary: { errors: number; warnings: number; infos: number } }).summary.errors + (JSON.parse(r.stdout) as { summary: { warnings: number } }).summary.warnings;
    } catch {
      return NaN;
    }
  };
  const squawkIssues = (r: Run): number => {
    try {
      return (JSON.parse(r.stdout) as unknown[]).length;
    } catch {
      return NaN;
    }
  };

  // /usr/bin/time counts in hundredths of a second: below that, a time is not a number to divide by.
  const cpuCell = (t: number): string => (t < 0.01 ? '< 0.01 s' : `${t.toFixed(2)} s`);
  const rows = cases.map((c) => {
    const gw = median(c.gl.map((r) => r.wall));
    const sw = median(c.sq.map((r) => r.wall));
    const gc = median(c.gl.map((r) => r.cpu));
    const sc = median(c.sq.map((r) => r.cpu));
    return { c, gw, sw, gc, sc, wallRatio: sw / gw, cpuRatio: sc / Math.max(1e-9, gc) };
  });
  const projects = readdirSync(realDir).filter((d) => statSync(path.join(realDir, d)).isDirectory());
  const env = `${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${spawnSync(squawk, ['--version'], { encoding: 'utf8' }).stdout.trim()}`;
  const speed = [
    '## Lint speed as a process vs squawk',
    '',
    `Command: \`npm run bench -- lint\` (scripts/bench/lint.ts; \`--rounds ${ROUNDS} --rounds10k ${ROUNDS_10K}\`), ${new Date().toISOString().slice(0, 10)}. Environment: ${env}; 1-minute load average ${load0.toFixed(1)} → ${load1.toFixed(1)} during the runs (the machine is shared: wall times move with it, CPU times much less).`,
    '',
    "How: whole processes, the way CI and a terminal run them — `node dist/cli.js lint -f json <dir>` (a fresh build) against `squawk --reporter json <files>`. Like hyperfine: one warm-up run of each (the file system cache is warm, no process is), then alternating rounds (Greenlight, then squawk) so both see the same load; the wall time is measured around the spawn, the CPU time (user + system, every thread) by /usr/bin/time; figures are medians, the fastest run in brackets (on a shared machine the one least disturbed by the others). **Ratio = squawk's median time / Greenlight's** (above 1.0: Greenlight is faster).",
    '',
    `Files: one small file; the real corpus — ${real.length} PostgreSQL migrations (${(real.reduce((n, f) => n + statSync(f).size, 0) / 1024).toFixed(0)} KiB) of ${projects.length} public projects (${projects.map((p) => p.replace('+', '/')).join(', ')}) at pinned commits, gathered by \`node scripts/bench/_lintRealCorpus.mjs\` from git mirrors into the git-ignored .bench-corpus/; 10,000 files — the real ones repeated under distinct paths; and a rerun of the real corpus with \`--cache\` (the previous run's cache present; squawk has no cache and runs as before).`,
    '',
    '| case | files | KiB | Greenlight wall (fastest) | squawk wall (fastest) | **ratio (wall)** | Greenlight CPU | squawk CPU | ratio (CPU) | findings: Greenlight / squawk |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.c.name} | ${r.c.files} | ${(r.c.bytes / 1024).toFixed(0)} | ${r.gw.toFixed(3)} s (${Math.min(...r.c.gl.map((x) => x.wall)).toFixed(3)}) | ${r.sw.toFixed(3)} s (${Math.min(...r.c.sq.map((x) => x.wall)).toFixed(3)}) | **${r.wallRatio.toFixed(2)}** | ${r.gc.toFixed(2)} s | ${cpuCell(r.sc)} | ${r.sc < 0.01 ? '—' : r.cpuRatio.toFixed(2)} | ${findings(r.c.gl[0]!)} / ${squawkIssues(r.c.sq[0]!)} |`),
    '',
    `Target ≥ 1.0 (wall): ${rows.map((r) => `${r.c.name}: ${r.wallRatio >= 1 ? 'met' : 'not met'}`).join('; ')}. Start-up (one small file, wall): ${(rows[0]!.gw * 1000).toFixed(0)} ms (target < 150 ms: ${rows[0]!.gw < 0.15 ? 'met' : 'not met'}). The floor: \`node -e 0\` (Node.js starting and doing nothing), timed in the same rounds, takes ${(median(nodeFloor.map((r) => r.wall)) * 1000).toFixed(0)} ms wall and ${(median(nodeFloor.map((r) => r.cpu)) * 1000).toFixed(0)} ms CPU — against squawk's whole run of ${(rows[0]!.sw * 1000).toFixed(0)} ms, no Node.js program can reach 1.0 on one file.`,
    '',
    `The floor for many files: a Node.js process that only finds the files and parses each with libpg-query, the parser Greenlight's SQL rules read (\`node scripts/bench/_lintParseFloor.cjs <dir> <threads>\`: no splitting, no rules, no report), timed in the same rounds. ${rows
      .filter((r) => r.c.floors.size > 0)
      .map((r) => `${r.c.name}: ${[...r.c.floors].map(([label, runs]) => { const w = median(runs.map((x) => x.wall)); return `${label} ${w.toFixed(3)} s wall, ${median(runs.map((x) => x.cpu)).toFixed(2)} s CPU (ratio ${(r.sw / w).toFixed(2)})`; }).join('; ')}`)
      .join('. ')}. A ratio below 1.0 here means that no linter built on this parser in Node.js, however cheap its rules, reaches squawk's time on these files on this machine.`,
    '',
    "What a run does: dist/cli.js picks the small lint-only bundle (no Docker, SSH, pg or ArangoDB code; greenlight.yaml's loader — YAML parser and schema — only when that file exists). A run of a few small SQL files (at most 4, 256 KiB) is linted on the main thread: a worker thread would cost its own Node.js bootstrap and parser load. Any other run starts its first worker thread at once (it loads while the files are found) and sends the workers the paths in batches (up to 64 files a message, shrinking towards the end so the workers finish together), one worker per core, a second only for a backlog; the workers read the files themselves, send one message back per batch and get their next batch while they run the current one, and each file stays under the time budget (10 s, watched through a shared progress cell) and the heap budget of its worker. Each worker loads only the parsers of the languages it meets, with V8's baseline WASM compiler. Squawk is one native process parsing each file once; what bounds Greenlight is the Node.js start (the floor above) and, for many files, the engine's CPU per file: PostgreSQL's parser compiled to WASM returning each statement's tree as JSON, and the rules in JavaScript.",
    '',
    'CPU ratio: squawk uses one thread; Greenlight one per core, so on a loaded machine its wall time depends on how much of the machine it gets.',
  ].join('\n');
  const scores = await scoreCorpus();
  const accuracy = [
    '## Lint accuracy',
    '',
    'Command: `npm run bench -- lint` (the same figures are asserted by `npx mocha --config test/.mocharc.unit.cjs --grep accuracy`, which fails below 0.97)',
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
  console.log(`${speed}\n\n${accuracy}`);
  if (opts['write-to']) {
    writeFileSync(path.resolve(opts['write-to']), `${speed}\n`);
    console.log(`\nwrote ${opts['write-to']} (the speed section)`);
  } else if (!opts['no-write']) {
    const docPath = path.join(root, 'docs', 'benchmarks.md');
    let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
    // This section replaces the old in-process "lint throughput" one (an engine timed after warm-up passes is not what a user runs).
    const oldStart = doc.indexOf('<!-- bench:lint-throughput -->');
    const oldEnd = doc.indexOf('<!-- /bench:lint-throughput -->');
    if (oldStart >= 0 && oldEnd > oldStart) doc = doc.slice(0, oldStart) + `<!-- bench:lint-speed -->\n<!-- /bench:lint-speed -->` + doc.slice(oldEnd + '<!-- /bench:lint-throughput -->'.length);
    doc = replaceSection(doc, 'lint-speed', speed);
    doc = replaceSection(doc, 'lint-accuracy', accuracy);
    writeFileSync(docPath, doc);
    console.log('\nwrote docs/benchmarks.md (sections lint-speed, lint-accuracy)');
  }
  process.exit(0);
})();
