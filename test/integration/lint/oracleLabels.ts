// Labels the SQL corpus with the oracle (src/core/migrate/oracle.ts): run each file on a fresh
// PostgreSQL database, run it again on the resulting state, and call it non-idempotent when the
// rerun fails or changes the schema+data fingerprint. Used by the drift test and, with
// `npx tsx test/integration/lint/oracleLabels.ts --write`, to (re)write labels.json.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SQL_CORPUS = join(__dirname, '..', '..', 'fixtures', 'lint-corpus', 'sql');

export interface SqlLabel {
  idempotent: boolean;
  codes?: string[];
  source: 'oracle' | 'author';
  detail?: string;
}

interface OracleModule {
  checkIdempotent(sql: string, opts: Record<string, unknown>): Promise<{ idempotent: boolean; reason?: string; detail?: string; differences?: { text: string }[]; error?: string }>;
}

/** Loads the oracle; the path is computed so this file typechecks before the oracle exists. */
export async function loadOracle(): Promise<OracleModule> {
  const path = ['..', '..', '..', 'src', 'core', 'migrate', 'oracle'].join('/');
  try {
    return (await import(path)) as OracleModule;
  } catch (e) {
    throw new Error(`the oracle (src/core/migrate/oracle.ts) cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function corpusFiles(): string[] {
  return readdirSync(SQL_CORPUS).filter((f) => f.endsWith('.sql')).sort();
}

export async function labelWithOracle(databaseUrl: string, files = corpusFiles()): Promise<Record<string, SqlLabel>> {
  const oracle = await loadOracle();
  const out: Record<string, SqlLabel> = {};
  for (const f of files) {
    const sql = readFileSync(join(SQL_CORPUS, f), 'utf8');
    const r = await oracle.checkIdempotent(sql, { databaseUrl, url: databaseUrl, file: f });
    const detail = r.reason ?? r.detail ?? r.error ?? r.differences?.map((d) => d.text).join('; ');
    out[f] = { idempotent: r.idempotent, source: 'oracle', ...(detail && !r.idempotent ? { detail: detail.slice(0, 300) } : {}) };
  }
  return out;
}

if (process.argv.includes('--write')) {
  void (async () => {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL is not set: source /tmp/greenlight-testbed/env first');
    const labels = await labelWithOracle(url);
    writeFileSync(join(SQL_CORPUS, 'labels.json'), `${JSON.stringify(labels, null, 2)}\n`);
    console.log(`labelled ${Object.keys(labels).length} files: ${Object.values(labels).filter((l) => !l.idempotent).length} not idempotent`);
  })();
}
