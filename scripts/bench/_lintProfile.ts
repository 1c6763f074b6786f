// In-process per-edit lint timing for the latency benchmark's files and edits (no service, no
// worker): the Linter of one thread linting each edited text in turn, as a lint worker does. For
// profiling (`node --cpu-prof --import tsx scripts/bench/_lintProfile.ts --only seed`), not for
// the published figures, which lintLatency.mjs takes from the real service.
// usage: node --import tsx scripts/bench/_lintProfile.ts [--only NAME] [--edits N] [--lines N]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDefaultLinter } from '../../src/core/lint/defaultLinter';
// @ts-expect-error: a JavaScript module of the benchmark, without types.
import { LATENCY_LANGUAGES, randomEdits } from './_lintLatencyFiles.mjs';

interface LatencyLanguage {
  name: string;
  rel: string;
  make(lines: number): string;
}
interface Change {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

const { values: opts } = parseArgs({ options: { only: { type: 'string' }, edits: { type: 'string', default: '300' }, lines: { type: 'string', default: '2000' } } });
const only = opts.only?.toLowerCase();
async function main(): Promise<void> {
for (const lang of LATENCY_LANGUAGES as LatencyLanguage[]) {
  if (only && !lang.name.toLowerCase().includes(only)) continue;
  const linter = createDefaultLinter();
  const file = path.join('/tmp/greenlight-profile', lang.rel);
  const lines = lang.make(Number(opts.lines)).split('\n');
  const first = await linter.lint(file, lines.join('\n'));
  const next = (randomEdits as (seed: number) => (l: string[]) => Change)(20261202);
  const samples: number[] = [];
  let findings = first.findings.length;
  let cpu = process.cpuUsage();
  for (let k = 0; k < Number(opts.edits) + 5; k++) {
    next(lines);
    const text = lines.join('\n');
    const t = performance.now();
    const r = await linter.lint(file, text);
    if (k >= 5) samples.push(performance.now() - t);
    if (k === 4) cpu = process.cpuUsage();
    findings = r.findings.length;
  }
  const used = process.cpuUsage(cpu);
  samples.sort((a, b) => a - b);
  const p = (q: number): string => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)]!.toFixed(1);
  console.log(`${lang.name}: ${findings} findings (first lint ${first.findings.length}), per edit p50 ${p(0.5)} ms p95 ${p(0.95)} ms max ${p(1)} ms, process CPU ${((used.user + used.system) / 1000 / samples.length).toFixed(1)} ms/edit`);
}
}

void main();
