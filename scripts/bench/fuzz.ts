// The long fuzz run: generated and mutated inputs for every parser Greenlight runs on text it did
// not write — SQL, AQL (and ArangoDB JSON), Ruby seeds, Python (Django) migrations, and
// greenlight.yaml. Lint inputs go through the same worker pool the CLI and the editor use (each file
// under the time budget), greenlight.yaml through the config loader. It reports:
//   crashes: an exception, an internal-error finding, a finding outside the text, or a file the
//     pool gave up on for its time budget (target 0);
//   the slowest input, in ms per 100 KB (target under 1,000 ms per 100 KB);
//   the peak resident memory of this process and the workers' heap limit.
// Seeded, so a run can be repeated; FUZZ_INPUTS (default 1,000,000) sets the count, FUZZ_SEED the seed.
// Writes the "fuzz" section of docs/benchmarks.md. Run: npm run bench -- fuzz   (--no-write)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseConfig } from '../../src/core/config/load';
import { LintPool } from '../../src/core/lint/pool/lintPool';
import { replaceSection } from './_report';

const root = path.resolve(__dirname, '../..');
const TOTAL = Number(process.env.FUZZ_INPUTS ?? 1_000_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const CORPUS = path.join(root, 'test/fixtures/lint-corpus');

function corpus(folder: string, ext: RegExp): string[] {
  const dir = path.join(CORPUS, folder);
  return readdirSync(dir)
    .filter((f) => ext.test(f) && f !== 'labels.json')
    .map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

const noise = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('"', "'", '`', '$$', '(', ')', '{', '}', '[', ']', ',', ';', '\n', '--', '/*', '*/', '#', '\\', '@', ' BEGIN ', ' END ', ' DO ', ' FOR ', ' IN ', ' UPDATE ', ' INSERT ', ' CREATE ', ' DROP ', ' IF NOT EXISTS ', ' do ', ' end ', 'begin\n', 'def ', ':', '"""', '&a', '*a', '<<: *a', '- ', 'é', '😀', '\u0000'),
);

function mutated(texts: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 40 }), noise, fc.constantFrom('insert', 'delete', 'duplicate', 'truncate'));
  return fc.tuple(fc.constantFrom(...texts), fc.array(edit, { minLength: 1, maxLength: 8 })).map(([text, edits]) => {
    let t = text;
    for (const [at, len, s, op] of edits) {
      const i = t.length ? at % (t.length + 1) : 0;
      if (op === 'insert') t = t.slice(0, i) + s + t.slice(i);
      else if (op === 'delete') t = t.slice(0, i) + t.slice(i + len);
      else if (op === 'duplicate') t = t.slice(0, i + len) + t.slice(i, i + len) + t.slice(i + len);
      else t = t.slice(0, i);
    }
    return t;
  });
}

/** Inputs of one kind: mutated real files, and text generated from the kind's own tokens. */
function inputs(texts: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: mutated(texts) }, { weight: 1, arbitrary: fc.array(noise, { maxLength: 60 }).map((xs) => xs.join('')) });
}

interface Kind {
  readonly name: string;
  readonly file: string;
  readonly share: number;
  readonly gen: fc.Arbitrary<string>;
}

const yamlSeeds = [readFileSync(path.join(root, 'greenlight.yaml'), 'utf8'), ...readdirSync(path.join(root, 'test/acceptance/apps')).flatMap((d) => {
  try {
    return [readFileSync(path.join(root, 'test/acceptance/apps', d, 'greenlight.yaml'), 'utf8')];
  } catch {
    return [];
  }
})];

const KINDS: readonly Kind[] = [
  { name: 'SQL', file: '/fuzz/migrations/001_x.sql', share: 0.3, gen: inputs(corpus('sql', /\.sql$/)) },
  { name: 'AQL / ArangoDB JSON', file: '/fuzz/migrations/001_x.aql', share: 0.15, gen: inputs(corpus('aql', /\.aql$/)) },
  { name: 'Ruby seeds', file: '/fuzz/db/seeds.rb', share: 0.2, gen: inputs(corpus('seed', /\.rb$/)) },
  { name: 'Python (Django)', file: '/fuzz/app/migrations/0001_x.py', share: 0.2, gen: inputs(corpus('django', /\.py$/)) },
  { name: 'greenlight.yaml', file: '/fuzz/greenlight.yaml', share: 0.15, gen: inputs(yamlSeeds) },
];

interface Tally {
  count: number;
  crashes: number;
  firstCrash?: string;
  slowest: { msPer100k: number; ms: number; bytes: number };
  totalMs: number;
}

void (async () => {
  const pool = new LintPool({ size: 2, budget: { timeMs: 10_000, memoryMb: 1024 } });
  const started = performance.now();
  let peakRss = 0;
  const results: { kind: Kind; tally: Tally }[] = [];
  try {
    for (const [k, kind] of KINDS.entries()) {
      const n = Math.round(TOTAL * kind.share);
      const tally: Tally = { count: 0, crashes: 0, slowest: { msPer100k: 0, ms: 0, bytes: 0 }, totalMs: 0 };
      // Generated in chunks (a seed each), so a million inputs never sit in memory at once.
      const CHUNK = 5000;
      for (let c = 0; c * CHUNK < n; c++) {
        const samples = fc.sample(kind.gen, { numRuns: Math.min(CHUNK, n - c * CHUNK), seed: SEED + k * 100_000 + c });
        // A few in flight at once keeps both workers busy.
        const BATCH = 16;
        for (let i = 0; i < samples.length; i += BATCH) {
          await Promise.all(
            samples.slice(i, i + BATCH).map(async (text) => {
              const t0 = performance.now();
              let crash: string | undefined;
              try {
                if (kind.name === 'greenlight.yaml') {
                  parseConfig(text, kind.file);
                } else {
                  const r = await pool.lint(kind.file, text);
                  for (const f of r.findings) {
                    if (f.code === 'internal-error' || f.code === 'not-linted') crash = `${f.code}: ${f.message}`;
                    else if (f.start < 0 || f.end > text.length || f.start > f.end) crash = `${f.code} outside the text`;
                  }
                }
              } catch (e) {
                crash = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
              }
              const ms = performance.now() - t0;
              const bytes = Buffer.byteLength(text);
              const per100k = ms / Math.max(1, bytes / 100_000);
              tally.count++;
              tally.totalMs += ms;
              if (per100k > tally.slowest.msPer100k) tally.slowest = { msPer100k: per100k, ms, bytes };
              if (crash) {
                tally.crashes++;
                tally.firstCrash ??= `${crash} on ${JSON.stringify(text.slice(0, 160))}`;
              }
            }),
          );
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
        }
      }
      results.push({ kind, tally });
      console.log(`fuzz ${kind.name}: ${tally.count} inputs, ${tally.crashes} crashes, slowest ${tally.slowest.ms.toFixed(0)} ms for ${tally.slowest.bytes} bytes${tally.firstCrash ? `; first crash: ${tally.firstCrash}` : ''}`);
    }
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const total = results.reduce((a, r) => a + r.tally.count, 0);
  const crashes = results.reduce((a, r) => a + r.tally.crashes, 0);
  const slowest = Math.max(...results.map((r) => r.tally.slowest.msPer100k));
  console.log(`fuzz: ${total} inputs in ${seconds.toFixed(0)} s, ${crashes} crashes, slowest ${slowest.toFixed(0)} ms per 100 KB, peak RSS ${(peakRss / 1e6).toFixed(0)} MB`);
  if (!process.argv.includes('--no-write')) {
    const doc = path.join(root, 'docs/benchmarks.md');
    const body = [
      '## Fuzz: generated and mutated inputs for every parser',
      '',
      `Command: \`npm run bench -- fuzz\` (scripts/bench/fuzz.ts; FUZZ_INPUTS=${TOTAL}, FUZZ_SEED=${SEED}). Mutated corpus files and text`,
      'generated from each language\'s own tokens; lint inputs go through the worker pool the CLI and editor use (10 s budget a',
      'file), greenlight.yaml through the config loader. A crash is an exception, an internal-error or out-of-range finding, or',
      'a file given up for its time budget. Short bounded runs of the same properties are in the unit suite (fast-check).',
      '',
      '| kind | inputs | crashes | slowest input | mean |',
      '|---|---|---|---|---|',
      ...results.map((r) => `| ${r.kind.name} | ${r.tally.count.toLocaleString('en')} | ${r.tally.crashes} | ${r.tally.slowest.ms.toFixed(0)} ms (${r.tally.slowest.bytes} bytes; ${r.tally.slowest.msPer100k.toFixed(0)} ms per 100 KB) | ${(r.tally.totalMs / Math.max(1, r.tally.count)).toFixed(2)} ms |`),
      '',
      `${total.toLocaleString('en')} inputs in ${seconds.toFixed(0)} s; **${crashes} crashes** (target 0); slowest ${slowest.toFixed(0)} ms per 100 KB (target under 1,000); peak resident memory of the driving process ${(peakRss / 1e6).toFixed(0)} MB (each of the two lint workers is capped at 1,024 MB heap). Node ${process.version}, 2 CPU, ${new Date().toISOString().slice(0, 10)}.`,
      ...results.filter((r) => r.tally.firstCrash).map((r) => `\nFirst crash (${r.kind.name}): ${r.tally.firstCrash}`),
    ].join('\n');
    writeFileSync(doc, replaceSection(readFileSync(doc, 'utf8'), 'fuzz', body));
  }
  process.exit(crashes > 0 ? 1 : 0);
})().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(2);
});
