// `npm run bench -- migrate`: verify (fresh + rerun) of a generated 200-migration chain on PGlite
// and on the test bed's PostgreSQL 15 (TEST_DATABASE_URL, or the test bed's env file). Target:
// under 30 s each. Rewrites the migrate-verify section of docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { quietContext } from '../../src/core/common/job';
import { pgliteScratchProvider } from '../../src/core/migrate/adapters/pgliteAdapter';
import { serverScratchProvider } from '../../src/core/migrate/adapters/pgAdapter';
import { loadMigrations } from '../../src/core/migrate/files';
import type { ScratchProvider } from '../../src/core/migrate/session';
import { verifyMigrations } from '../../src/core/migrate/verify';
import { replaceSection } from './_report';

const COUNT = Number(process.env.BENCH_MIGRATIONS ?? 200);
// Several rounds per engine; the table shows the median (a shared machine's load moves single runs).
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const TARGET_S = 30;

/** A realistic chain: tables with foreign keys, added columns, indexes, guarded data changes. */
function chain(n: number): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const stamp = (i: number): string => `2025${String(1 + Math.floor(i / 28) % 12).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}0000_${String(i).padStart(3, '0')}`;
  let tables = 0;
  for (let i = 0; i < n; i++) {
    const kind = i === 0 ? 0 : i % 5;
    const t = `t${Math.max(0, tables - 1)}`;
    let text: string;
    switch (kind) {
      case 0:
        text = `CREATE TABLE IF NOT EXISTS t${tables} (\n  id bigserial PRIMARY KEY,\n  ${tables ? `parent_id bigint REFERENCES t${tables - 1} (id),\n  ` : ''}name text NOT NULL,\n  created_at timestamptz NOT NULL DEFAULT now()\n);\n`;
        tables++;
        break;
      case 1:
        text = `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS c${i} integer NOT NULL DEFAULT 0;\nCOMMENT ON COLUMN ${t}.c${i} IS 'added by migration ${i}';\n`;
        break;
      case 2:
        text = `CREATE INDEX IF NOT EXISTS ${t}_name_${i}_idx ON ${t} (name);\n`;
        break;
      case 3:
        text = `INSERT INTO ${t} (name) SELECT 'row ${i}' WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE name = 'row ${i}');\n`;
        break;
      default:
        text = `UPDATE ${t} SET name = upper(name) WHERE name <> upper(name);\n`;
    }
    out.push({ name: `${stamp(i)}_m.sql`, text });
  }
  return out;
}

function serverUrl(): string | undefined {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  const env = '/tmp/greenlight-testbed/env';
  if (!existsSync(env)) return undefined;
  const m = /TEST_DATABASE_URL=['"]?([^'"\n]+)/.exec(readFileSync(env, 'utf8'));
  return m?.[1];
}

interface Round {
  readonly wall: number;
  readonly cpu: number;
  readonly version: string;
  readonly probed: number;
}

async function round(label: string, provider: ScratchProvider, dir: string): Promise<Round> {
  const files = await loadMigrations(dir, { kinds: ['sql'] });
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const report = await verifyMigrations(files, provider, quietContext(), { fresh: true, rerun: true });
  const wall = (performance.now() - started) / 1000;
  const c = process.cpuUsage(cpu0);
  if (!report.ok) throw new Error(`${label}: the generated chain did not verify`);
  return { wall, cpu: (c.user + c.system) / 1e6, version: report.serverVersion, probed: report.runs[0]!.migrations.filter((m) => m.rerun?.idempotent).length };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function run(label: string, provider: ScratchProvider, dir: string): Promise<string> {
  const rounds: Round[] = [];
  const loads: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      loads.push(os.loadavg()[0]!);
      const r = await round(label, provider, dir);
      rounds.push(r);
      console.log(`${label} round ${i + 1}/${ROUNDS}: ${COUNT} migrations verified (fresh + rerun, ${r.probed} judged idempotent) in ${r.wall.toFixed(1)} s (this process used ${r.cpu.toFixed(1)} s of CPU; 1-minute load average ${loads.at(-1)!.toFixed(1)})`);
    }
  } finally {
    await provider.close();
  }
  const walls = rounds.map((r) => r.wall);
  const s = median(walls);
  const cpu = median(rounds.map((r) => r.cpu));
  const range = rounds.length > 1 ? ` (${Math.min(...walls).toFixed(1)}–${Math.max(...walls).toFixed(1)})` : '';
  return `| ${label} | ${rounds[0]!.version} | ${COUNT} | ${s.toFixed(1)} s${range} | ${((s * 1000) / COUNT).toFixed(0)} ms | ${cpu.toFixed(1)} s | ${loads.map((l) => l.toFixed(1)).join(', ')} | ${s < TARGET_S ? 'yes' : 'NO'} |`;
}

void (async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gl-bench-migrate-'));
  try {
    for (const m of chain(COUNT)) await writeFile(path.join(dir, m.name), m.text);
    const rows: string[] = [];
    rows.push(await run('PGlite (in process)', pgliteScratchProvider(), dir));
    const url = serverUrl();
    if (!url) throw new Error('no PostgreSQL server: start the test bed (bash test/testbed/up.sh) or set TEST_DATABASE_URL');
    rows.push(await run('PostgreSQL 15 server (test bed)', await serverScratchProvider(url), dir));
    const body = [
      '## Migrate: verify (fresh + rerun) of a 200-migration chain',
      '',
      `Command: \`npm run bench -- migrate\` (scripts/bench/migrate.ts), ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}; ${ROUNDS} rounds per engine (BENCH_ROUNDS), median shown with the range.`,
      `A generated chain of ${COUNT} migrations (tables with foreign keys, added columns, indexes, guarded inserts and updates) on an empty database: each`,
      'migration applied with its ledger row, then run a second time in a rolled-back transaction with schema and data fingerprints compared before and after',
      '(probe rows added where DML meets an empty table). The PGlite figure includes starting the embedded PostgreSQL from the cached data directory. Target: < 30 s.',
      'The rerun reads the transaction\'s write counters first and fingerprints only what the second run wrote: nothing, the written tables\' rows, or (when it wrote a',
      'catalog the fingerprint reads) schema and data; a run that only rewrote comments (COMMENT ON) costs no fingerprint.',
      'The CPU column is this process only (for PGlite that is the database too); wall time on a shared machine grows with the 1-minute load average, shown per round.',
      '',
      '| engine | server version | migrations | total (wall, median (min–max)) | per migration | CPU of this process (median) | load average per round | < 30 s |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
    const docPath = path.join(__dirname, '../../docs/benchmarks.md');
    writeFileSync(docPath, replaceSection(readFileSync(docPath, 'utf8'), 'migrate-verify', body));
    console.log('wrote docs/benchmarks.md (section migrate-verify)');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
