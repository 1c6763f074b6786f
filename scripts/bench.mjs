#!/usr/bin/env node
// `npm run bench`: runs every benchmark in scripts/bench/ in turn (or those named on the command
// line, e.g. `npm run bench -- lint migrate`). Each benchmark measures against the real engines,
// prints its figures and rewrites its own section of docs/benchmarks.md with the command used.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'scripts/bench');
const only = process.argv.slice(2);
const files = existsSync(dir)
  ? readdirSync(dir).filter((f) => /\.(mjs|ts)$/.test(f) && !f.startsWith('_')).filter((f) => !only.length || only.some((o) => f.startsWith(o))).sort()
  : [];
if (!files.length) {
  console.error(`no benchmarks found in scripts/bench${only.length ? ` matching ${only.join(', ')}` : ''}`);
  process.exit(2);
}
const failed = [];
for (const f of files) {
  console.log(`\n=== bench ${f}`);
  const args = f.endsWith('.ts') ? ['--import', 'tsx', path.join(dir, f)] : [path.join(dir, f)];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) failed.push(f);
}
console.log(failed.length ? `\nbenchmarks failed: ${failed.join(', ')}` : `\nall ${files.length} benchmarks ran; figures in docs/benchmarks.md`);
process.exit(failed.length ? 1 : 0);
