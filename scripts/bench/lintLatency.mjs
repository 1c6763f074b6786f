#!/usr/bin/env node
// Per-edit lint latency in the language server, as the editor sees it: the real background
// service (dist/service.js) is started over stdio and driven with LSP messages by
// vscode-languageserver-protocol's client connection. A 2,000-line file is opened, then edits are
// sent one at a time (textDocument/didChange, incremental) and each is timed until the
// publishDiagnostics for that document version arrives.
//
// Sessions:
//   every language (SQL, AQL, ArangoDB JSON, arangojs .ts, Rails seeds, Rails migrations, Django):
//                      quiet time 0 ms, edits at random places (a space typed at a word boundary of
//                      a random line, or one typed earlier deleted; seeded, so every run makes the
//                      same edits), --runs fresh services each, the figures are the medians
//   SQL, toggle        quiet time 0 ms, "IF NOT EXISTS " added to / removed from an unguarded CREATE
//                      TABLE, so the findings change with every edit (median of --runs)
//   SQL, typing        quiet time 150 ms — the default greenlight.lint.debounceMs, end to end
// The machine may be shared: the load average is listed, and so is the service process's CPU time
// per edit (all its threads, from /proc), which moves much less with the load than wall time does.
//
// usage: node scripts/bench/lintLatency.mjs [--edits N] [--lines N] [--runs N] [--only NAME] [--service dist/service.js] [--json] [--no-write] [--out FILE]
// Target: p95 < 50 ms for the work per edit on a 2,000-line file, for every language. The figures
// replace this benchmark's own section of docs/benchmarks.md (between its marker comments), or are
// written to --out as a file of their own, unless --no-write.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';
import { LATENCY_LANGUAGES, migrationOf, randomEdits } from './_lintLatencyFiles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: opts } = parseArgs({ options: { edits: { type: 'string', default: '300' }, lines: { type: 'string', default: '2000' }, runs: { type: 'string', default: '3' }, only: { type: 'string' }, service: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean', default: false }, 'no-write': { type: 'boolean', default: false } } });
const EDITS = Math.max(100, Number(opts.edits));
const RUNS = Math.max(1, Number(opts.runs));
const LINES = Number(opts.lines);
// --service: another build's dist/service.js (e.g. of the commit before a change), for a before/after.
const service = opts.service ? path.resolve(opts.service) : path.join(root, 'dist', 'service.js');
if (!existsSync(service)) {
  console.error('dist/service.js is missing: run `npm run build` first');
  process.exit(2);
}

const SECTION = 'lint-latency';

/** Replaces (or appends) this benchmark's section of docs/benchmarks.md. */
function writeSection(markdown) {
  if (opts.out) {
    const out = path.resolve(root, opts.out);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${markdown.trim()}\n`);
    return;
  }
  const file = path.join(root, 'docs', 'benchmarks.md');
  const begin = `<!-- bench:${SECTION} -->`;
  const end = `<!-- /bench:${SECTION} -->`;
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nFigures written by `npm run bench` (scripts/bench/*), each with the command that produced it.\n';
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  doc = a >= 0 && b > a ? doc.slice(0, a) + block + doc.slice(b + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, doc);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** CPU time (user + system, every thread) of a process so far, in ms, from /proc (undefined elsewhere). */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * One service session on `text`: open, a few uncounted warm-up edits, then `edits` timed edits.
 * `mode`: 'random' (edits at random places, LATENCY_LANGUAGES' randomEdits) or 'toggle' (the SQL
 * migration's "IF NOT EXISTS " toggled on unguarded CREATE TABLEs).
 */
async function session(debounceMs, text, edits, lang, mode) {
  const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-bench-'));
  mkdirSync(path.join(dir, 'migrations'));
  mkdirSync(path.join(dir, 'db', 'migrate'), { recursive: true });
  writeFileSync(path.join(dir, 'greenlight.yaml'), 'project: bench\nservices: []\ndatabase:\n  kind: postgres\n  migrations: migrations\n  seeds: [db/seeds.rb]\nenvironments: {}\nlint:\n  paths: [db/migrate]\n');
  const file = path.join(dir, lang.rel);
  writeFileSync(file, text);
  const uri = pathToFileURL(file).toString();
  const child = spawn(process.execPath, [service, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map();
  let lastFindings = 0;
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    if (p.uri !== uri) return;
    lastFindings = p.diagnostics.length;
    const w = waiting.get(p.version);
    if (w) {
      waiting.delete(p.version);
      w(performance.now());
    }
  });
  conn.onRequest('workspace/configuration', (p) => p.items.map((i) => (i.section === 'greenlight.lint' ? { debounceMs } : {})));
  conn.onRequest('client/registerCapability', () => null);
  conn.onNotification('window/logMessage', () => undefined);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).toString(),
    workspaceFolders: [{ uri: pathToFileURL(dir).toString(), name: 'bench' }],
    capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } }, textDocument: { publishDiagnostics: { versionSupport: true } } },
  });
  await conn.sendNotification('initialized', {});
  const published = (version) => new Promise((resolve) => waiting.set(version, resolve));

  // The open loads the language's parser; the first few edits are not counted either.
  let version = 1;
  const opened = published(version);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: lang.languageId, version, text } });
  const t0 = performance.now();
  await opened;
  const openMs = performance.now() - t0;

  const lines = text.split('\n');
  let nextEdit;
  if (mode === 'toggle') {
    // Each edit toggles "IF NOT EXISTS " on one unguarded CREATE TABLE somewhere in the file, so the
    // diagnostics really change, at a different line each time.
    const targets = lines.map((l, i) => (/^CREATE TABLE t\d+ \(id int\);$/.test(l) ? i : -1)).filter((i) => i >= 0);
    const guarded = new Set();
    let k = 0;
    nextEdit = () => {
      const line = targets[(k++ * 7919) % targets.length];
      const on = guarded.has(line);
      if (on) guarded.delete(line);
      else guarded.add(line);
      return on ? { range: { start: { line, character: 13 }, end: { line, character: 27 } }, text: '' } : { range: { start: { line, character: 13 }, end: { line, character: 13 } }, text: 'IF NOT EXISTS ' };
    };
  } else {
    const random = randomEdits(20261202);
    nextEdit = () => random(lines);
  }
  const WARMUP = 5;
  const samples = [];
  let cpuStart;
  for (let k = 0; k < edits + WARMUP; k++) {
    if (k === WARMUP) cpuStart = cpuMsOf(child.pid);
    const change = nextEdit();
    version++;
    const done = published(version);
    const start = performance.now();
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
    const end = await done;
    if (k >= WARMUP) samples.push(end - start);
  }
  const cpuEnd = cpuMsOf(child.pid);
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
  samples.sort((a, b) => a - b);
  const cpuPerEdit = cpuStart !== undefined && cpuEnd !== undefined ? (cpuEnd - cpuStart) / samples.length : undefined;
  return { debounceMs, edits: samples.length, openMs, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples[samples.length - 1], cpuPerEdit, findings: lastFindings };
}

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** `runs` sessions; the medians of their figures, and each run's. */
async function repeated(runs, debounceMs, text, edits, lang, mode) {
  const all = [];
  for (let r = 0; r < runs; r++) {
    const before = loadavg()[0];
    const s = await session(debounceMs, text, edits, lang, mode);
    all.push({ ...s, load: `${before.toFixed(1)}→${loadavg()[0].toFixed(1)}` });
  }
  const cpu = all.map((r) => r.cpuPerEdit).filter((c) => c !== undefined);
  return { ...all[0], openMs: mid(all.map((r) => r.openMs)), p50: mid(all.map((r) => r.p50)), p95: mid(all.map((r) => r.p95)), max: mid(all.map((r) => r.max)), cpuPerEdit: cpu.length ? mid(cpu) : undefined, runs: all };
}

const loadBefore = loadavg()[0];
const SQL = LATENCY_LANGUAGES[0];
const text = migrationOf(LINES);
const lineCount = text.split('\n').length - 1;
// For context: what PostgreSQL's own parser costs on this text in-process (the floor of a lint that
// parses the whole file on each edit).
async function parserFloor(sample) {
  const pg = await import('libpg-query');
  await pg.loadModule();
  const time = (f) => {
    f();
    const t = performance.now();
    for (let i = 0; i < 20; i++) f();
    return (performance.now() - t) / 20;
  };
  return { parseMs: time(() => pg.parseSync(sample)), scanMs: time(() => pg.scanSync(sample)) };
}

const only = opts.only?.toLowerCase();
const languages = [];
for (const lang of LATENCY_LANGUAGES) {
  if (only && !lang.name.toLowerCase().includes(only)) continue;
  const t = lang.make(LINES);
  const s = await repeated(RUNS, 0, t, EDITS, lang, 'random');
  languages.push({ ...s, name: lang.name, lines: t.split('\n').length - 1, bytes: Buffer.byteLength(t) });
  if (!opts.json) console.error(`  ${lang.name}: p50 ${s.p50.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms`);
}
const toggle = only && !'sql'.includes(only) ? undefined : await repeated(RUNS, 0, text, EDITS, SQL, 'toggle');
const typing = toggle ? await session(150, text, Math.min(EDITS, 60), SQL, 'toggle') : undefined;
const floor = toggle ? await parserFloor(text) : undefined;
const met = languages.every((o) => o.p95 < 50) && (!toggle || toggle.p95 < 50);
const result = {
  lines: lineCount,
  bytes: Buffer.byteLength(text),
  node: process.version,
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
  // The machine may be shared: the 1-minute load average before and after says how busy it was.
  load: `${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
  languages,
  toggle,
  typing,
  floor,
  target: { p95Ms: 50, met },
};
const f = (n) => (n === undefined ? '–' : n.toFixed(1));
const verdict = (p) => (p < 50 ? 'met' : 'not met');
if (opts.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`lint latency in the language server (dist/service.js over stdio), ${LINES}-line files, quiet time 0 ms, ${EDITS} edits at random places, median of ${RUNS} runs`);
  for (const o of languages) console.log(`  ${o.name.padEnd(26)} ${o.lines} lines, ${o.findings} findings: open ${f(o.openMs)} ms, per edit p50 ${f(o.p50)} ms  p95 ${f(o.p95)} ms  max ${f(o.max)} ms, service CPU ${f(o.cpuPerEdit)} ms/edit — ${verdict(o.p95)} (runs' p95: ${o.runs.map((r) => f(r.p95)).join(', ')}; load ${o.runs.map((r) => r.load).join(', ')})`);
  if (toggle) {
    console.log(`  SQL, IF NOT EXISTS toggled (findings change): p50 ${f(toggle.p50)} ms  p95 ${f(toggle.p95)} ms  max ${f(toggle.max)} ms — ${verdict(toggle.p95)}`);
    console.log(`  SQL, quiet time 150 ms (${typing.edits} edits): p50 ${f(typing.p50)} ms  p95 ${f(typing.p95)} ms (includes the 150 ms debounce)`);
    console.log(`  libpg-query alone on the SQL text, in-process: parseSync ${f(floor.parseMs)} ms, scanSync ${f(floor.scanMs)} ms`);
  }
  console.log(`  ${result.node}, ${result.cpus}, load average ${result.load}; target p95 < 50 ms for every language: ${met ? 'met' : 'NOT MET'}`);
}
if (!opts['no-write']) {
  const date = new Date().toISOString().slice(0, 10);
  const command = `node scripts/bench/lintLatency.mjs --edits ${EDITS} --lines ${LINES} --runs ${RUNS}${opts.only ? ` --only ${opts.only}` : ''}`;
  writeSection(`## Lint: per-edit diagnostics latency in the language server

Command: \`${command}\` (part of \`npm run bench -- lint\`), ${date}, ${result.node}, ${result.cpus}, 1-minute load average ${result.load} during the run.
The real service (\`dist/service.js\`) over stdio, driven by vscode-languageserver-protocol's client: a ${LINES}-line file of each
language is opened, then each edit (\`didChange\`, incremental, quiet time 0 ms) is timed until the \`publishDiagnostics\` for its version
arrives. Edits are at random places (seeded): a space typed at a word boundary of a random line, or one typed earlier deleted — inside
strings and queries too, so embedded SQL and AQL change. ${EDITS} timed edits after 5 warm-up edits, ${RUNS} fresh services per language;
the figures are the medians over the runs. "Service CPU" is the service process's CPU time per edit (every thread, from /proc): on a
shared machine it moves much less with the load than wall time does.

| file | lines | KiB | findings | first open | p50 | p95 (target < 50 ms) | max | service CPU / edit | each run's p95 (load before→after) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
${languages.map((o) => `| ${o.name} | ${o.lines} | ${(o.bytes / 1024).toFixed(0)} | ${o.findings} | ${f(o.openMs)} ms | ${f(o.p50)} ms | ${f(o.p95)} ms (${verdict(o.p95)}) | ${f(o.max)} ms | ${f(o.cpuPerEdit)} ms | ${o.runs.map((r) => `${f(r.p95)} (${r.load})`).join('; ')} |`).join('\n')}
${
  toggle
    ? `
SQL with findings that change on every edit ("IF NOT EXISTS " toggled on an unguarded CREATE TABLE, a different one each time):
p50 ${f(toggle.p50)} ms, p95 ${f(toggle.p95)} ms (${verdict(toggle.p95)}), max ${f(toggle.max)} ms, service CPU ${f(toggle.cpuPerEdit)} ms/edit (median of ${RUNS} runs).
With the default quiet time (\`greenlight.lint.debounceMs\` 150 ms), end to end: p50 ${f(typing.p50)} ms, p95 ${f(typing.p95)} ms over ${typing.edits} edits.
For scale, libpg-query alone on the same SQL text, in-process: \`parseSync\` ${f(floor.parseMs)} ms and \`scanSync\` ${f(floor.scanMs)} ms per call.
`
    : ''
}
How each language stays fast: SQL is split into statements, each parsed once and cached by its text, with rule findings reused for
unchanged statements; embedded SQL and AQL (RunSQL, \`execute\`, \`aql\` templates, JSON "query" strings) is re-checked only where its
text changed; the tree-sitter languages (Django, arangojs) keep each open document's last tree and reparse incrementally; Ruby (prism)
reparses the file but builds ancestor lists only for the calls and assignments the rules read.`);
}
// A run that measured is a success; whether the target is met is in the figures.
process.exit(0);
