#!/usr/bin/env node
// `npm run bench -- memory`: the background service's resident memory after a Verify, measured on
// the real process a user's editor starts (dist/service.js over stdio, spoken to as the language
// client does). A two-migration project is opened (both files, so the SQL linter loads as it does
// in the editor), migrate.verify runs on PGlite (fresh run and rerun of each migration), and the
// process's VmRSS is read from /proc at each point: idle after start, just after the verify, and
// after the idle time in which the service lets go of what the verify loaded. Target: < 200 MB.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: opts } = parseArgs({
  options: {
    service: { type: 'string', default: path.join(root, 'dist', 'service.js') },
    idle: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    smaps: { type: 'boolean', default: false },
    'plain-env': { type: 'boolean', default: false },
  },
});
const IDLE_S = Number(opts.idle);
const ROUNDS = Math.max(1, Number(opts.rounds));
if (!existsSync(opts.service)) {
  console.error(`${opts.service} is missing: run \`npm run build\` (or \`npm run vscode:prepublish\` for the production build) first`);
  process.exit(2);
}

const MIGRATIONS = {
  '001_create_items.sql': `CREATE TABLE IF NOT EXISTS items (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS items_name_idx ON items (name);
INSERT INTO items (id, name) VALUES (1, 'first') ON CONFLICT (id) DO NOTHING;
`,
  '002_add_price.sql': `ALTER TABLE items ADD COLUMN IF NOT EXISTS price_cents integer NOT NULL DEFAULT 0;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'items_price_nonneg') THEN
    ALTER TABLE items ADD CONSTRAINT items_price_nonneg CHECK (price_cents >= 0);
  END IF;
END
$$;
UPDATE items SET price_cents = 100 WHERE id = 1 AND price_cents = 0;
`,
};

/** Resident and peak memory of a process, in MiB, from /proc (Linux). */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The largest resident regions of a process (--smaps: where the memory is). */
function regionsOf(pid) {
  const regions = [];
  let cur;
  for (const l of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(l);
    if (m) {
      cur = { name: m[3] || '[anon]', size: (parseInt(m[2], 16) - parseInt(m[1], 16)) / 1048576, rss: 0 };
      regions.push(cur);
    } else if (cur && /^Rss:/.test(l)) cur.rss = Number(/(\d+) kB/.exec(l)[1]) / 1024;
  }
  return regions.sort((a, b) => b.rss - a.rss).slice(0, 10).map((r) => `${r.rss.toFixed(1)} of ${r.size.toFixed(1)} MiB ${r.name}`).join('; ');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function round() {
  const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-bench-memory-'));
  mkdirSync(path.join(dir, 'migrations'));
  writeFileSync(path.join(dir, 'greenlight.yaml'), 'project: bench\nservices: []\ndatabase:\n  kind: postgres\n  migrations: migrations\nenvironments: {}\n');
  for (const [f, text] of Object.entries(MIGRATIONS)) writeFileSync(path.join(dir, 'migrations', f), text);
  // The environment the editor starts the service with (SERVICE_PROCESS_ENV in src/service/protocol.ts).
  const env = opts['plain-env'] ? process.env : { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768', MALLOC_TRIM_THRESHOLD_: '131072' };
  const child = spawn(process.execPath, [opts.service, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const diagnostics = new Set();
  conn.onNotification('textDocument/publishDiagnostics', (p) => diagnostics.add(p.uri));
  conn.onRequest('workspace/configuration', (p) => p.items.map(() => ({})));
  conn.onRequest('client/registerCapability', () => null);
  conn.onNotification('window/logMessage', () => undefined);
  conn.onNotification('greenlight/job/log', () => undefined);
  conn.onNotification('greenlight/job/progress', () => undefined);
  conn.onNotification('greenlight/stateChanged', () => undefined);
  conn.listen();
  try {
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(dir).toString(),
      workspaceFolders: [{ uri: pathToFileURL(dir).toString(), name: 'bench' }],
      capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: { versionSupport: true } } },
    });
    await conn.sendNotification('initialized', {});
    for (const [f, text] of Object.entries(MIGRATIONS)) {
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: pathToFileURL(path.join(dir, 'migrations', f)).toString(), languageId: 'sql', version: 1, text } });
    }
    const t0 = Date.now();
    while (diagnostics.size < 2 && Date.now() - t0 < 60_000) await sleep(100);
    await sleep(3000);
    const started = memoryOf(child.pid);
    if (opts.smaps) console.log(`largest regions after start: ${regionsOf(child.pid)}`);
    const v0 = Date.now();
    const outcome = await conn.sendRequest('greenlight/job/run', { jobId: 'bench-verify', kind: 'migrate.verify', params: { workspaceRoot: dir, rerun: true } });
    const verifyMs = Date.now() - v0;
    if (!outcome.ok || !outcome.result.ok) throw new Error(`the verify did not pass: ${JSON.stringify(outcome).slice(0, 500)}`);
    const after = memoryOf(child.pid);
    await sleep(IDLE_S * 1000);
    const idle = memoryOf(child.pid);
    if (opts.smaps) console.log(`largest regions after idle: ${regionsOf(child.pid)}`);
    return { started: started.rss, afterVerify: after.rss, afterIdle: idle.rss, peak: idle.peak, verifyMs, migrations: outcome.result.migrations.length };
  } finally {
    await conn.sendRequest('shutdown').catch(() => undefined);
    await conn.sendNotification('exit').catch(() => undefined);
    conn.dispose();
    await sleep(500);
    if (child.exitCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = [];
for (let i = 0; i < ROUNDS; i++) {
  const load = loadavg()[0];
  const r = await round();
  runs.push({ ...r, load });
  if (!opts.json) console.log(`round ${i + 1}: idle after start ${r.started.toFixed(0)} MiB, just after the verify ${r.afterVerify.toFixed(0)} MiB, after ${IDLE_S} s idle ${r.afterIdle.toFixed(0)} MiB, peak ${r.peak.toFixed(0)} MiB (verify ${r.verifyMs} ms, load ${load.toFixed(1)})`);
}
const median = (k) => [...runs.map((r) => r[k])].sort((a, b) => a - b)[Math.floor(runs.length / 2)];
const summary = { service: path.relative(root, opts.service), idleSeconds: IDLE_S, rounds: ROUNDS, started: median('started'), afterVerify: median('afterVerify'), afterIdle: median('afterIdle'), peak: median('peak'), runs, node: process.version, cpus: cpus().length };
if (opts.json) console.log(JSON.stringify(summary, null, 2));
else console.log(`median: after start ${summary.started.toFixed(0)} MiB, after the verify ${summary.afterVerify.toFixed(0)} MiB, after ${IDLE_S} s idle ${summary.afterIdle.toFixed(0)} MiB (target < 200 MB: ${summary.afterIdle * 1.048576 < 200 ? 'met' : 'not met'}), peak ${summary.peak.toFixed(0)} MiB`);
