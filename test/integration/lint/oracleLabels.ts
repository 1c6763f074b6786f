// Labels the SQL corpus with the oracle (src/core/migrate/oracle.ts): run each file on a fresh
// PostgreSQL database, run it again on the resulting state, and call it non-idempotent when the
// rerun fails or changes the schema+data fingerprint. Used by the drift test and, with
// `npx tsx test/integration/lint/oracleLabels.ts --write`, to (re)write labels.json.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOracle } from '../../../src/core/migrate/oracle';

export const SQL_CORPUS = join(__dirname, '..', '..', 'fixtures', 'lint-corpus', 'sql');

export interface SqlLabel {
  idempotent: boolean;
  codes?: string[];
  source: 'oracle' | 'author';
  detail?: string;
}


export function corpusFiles(): string[] {
  return readdirSync(SQL_CORPUS).filter((f) => f.endsWith('.sql')).sort();
}

/**
 * One oracle (one prepared database on the server) checks every file; each check runs in a
 * transaction that is rolled back, or on a copy for no-transaction SQL, so files cannot see each
 * other. A file whose first run fails is a corpus bug, not a label: it throws.
 */
export async function labelWithOracle(databaseUrl: string, files = corpusFiles()): Promise<Record<string, SqlLabel>> {
  const oracle = await createOracle({ database: databaseUrl });
  const out: Record<string, SqlLabel> = {};
  const problems: string[] = [];
  try {
    for (const f of files) {
      const sql = readFileSync(join(SQL_CORPUS, f), 'utf8');
      // The oracle itself runs a file with its own BEGIN/COMMIT as written, on a throwaway copy.
      let r;
      try {
        r = await oracle.check(sql);
      } catch (e) {
        problems.push(`${f}: the oracle failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (r.phase !== 'rerun') {
        problems.push(`${f}: the oracle could not judge it (${r.phase}): ${r.reason ?? ''}`);
        continue;
      }
      const detail = [r.reason, ...(r.differences ?? [])].filter(Boolean).join('; ');
      out[f] = { idempotent: r.idempotent, source: 'oracle', ...(!r.idempotent && detail ? { detail: detail.slice(0, 300) } : {}) };
    }
  } finally {
    await oracle.close();
  }
  if (problems.length) throw new Error(`corpus files the oracle cannot label:\n${problems.join('\n')}`);
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
