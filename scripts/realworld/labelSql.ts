// Labels the SQL chains of the real-world corpus with the idempotency oracle's method, on a
// PostgreSQL server: each chain runs in order on a fresh database (after its `base` schema, if
// any), every file committed as a migration tool would apply it; right after a file ran, it is run
// a second time (rolled back, or on a throwaway copy when it cannot run in a transaction) and the
// schema+data fingerprints compared, with probe rows for DML on empty tables — exactly the checks
// of src/core/migrate/oracle.ts, on the state the real predecessors left. A file whose first run
// fails cannot be judged and is labelled `unjudged` (not scored).
//
// usage: TEST_DATABASE_URL=postgres://… npx tsx scripts/realworld/labelSql.ts [--set heldout] [chain-id …]
//        (the test bed's database: source /tmp/greenlight-testbed/env first; --set heldout labels
//        the held-out projects of test/fixtures/realworld/heldout/)
import { parseArgs } from 'node:util';
import { serverScratchProvider } from '../../src/core/migrate/adapters/pgAdapter';
import { hasNoTransactionDirective } from '../../src/core/migrate/files';
import { describePgError, runStatements } from '../../src/core/migrate/pgBackend';
import { rerunCheck } from '../../src/core/migrate/rerun';
import { splitSql, type SqlStatement } from '../../src/core/migrate/statements';
import { chainFiles, forwardPart, loadChains, loadLabels, missingMirrors, parseCorpusSet, readAt, saveLabels, type Chain, type RealWorldLabel } from './corpus';

const CANNOT_RUN_IN_TRANSACTION = '25001';

async function labelChain(url: string, c: Chain): Promise<RealWorldLabel[]> {
  const provider = await serverScratchProvider(url, { applicationName: 'greenlight realworld labels' });
  const out: RealWorldLabel[] = [];
  const base = { chain: c.id, repo: c.repo, commit: c.commit, language: 'sql' as const, source: 'oracle' as const };
  try {
    const scratch = await provider.create(c.id);
    const db = scratch.session;
    if (c.prelude) {
      const r = await runStatements(db, await splitSql(c.prelude, `${c.id} prelude`));
      if (!r.ok) throw new Error(`${c.id}: the prelude failed: ${describePgError(r.error!)}`);
    }
    if (c.base) {
      // Old schema files start by dropping what a previous install left (without IF EXISTS):
      // on a fresh database those DROPs fail, harmlessly, so each statement runs on its own.
      for (const s of await splitSql(readAt(c.repo, c.base.commit, c.base.path), c.base.path)) {
        const r = await runStatements(db, [s]);
        if (!r.ok && s.nodeType !== 'DropStmt') throw new Error(`${c.id}: the base schema ${c.base.path}@${c.base.commit} failed at line ${s.line}: ${describePgError(r.error!)}`);
      }
    }
    for (const file of chainFiles(c)) {
      const sql = forwardPart(readAt(c.repo, c.commit, file), c.sections);
      let statements: SqlStatement[];
      try {
        statements = await splitSql(sql, file);
      } catch (e) {
        out.push({ ...base, path: file, label: 'unjudged', reason: `does not parse: ${e instanceof Error ? e.message : String(e)}` });
        continue;
      }
      const lineOf = (i: number | undefined): number[] | undefined => (i === undefined ? undefined : [statements.find((s) => s.index === i)?.line ?? 1]);
      let direct = hasNoTransactionDirective(sql) || statements.some((s) => s.nodeType === 'TransactionStmt');
      if (!direct) {
        await db.exec('begin');
        const first = await runStatements(db, statements);
        await db.exec(first.ok ? 'commit' : 'rollback');
        if (!first.ok) {
          if (first.error?.code === CANNOT_RUN_IN_TRANSACTION) direct = true;
          else {
            out.push({ ...base, path: file, label: 'unjudged', reason: `the first run failed at statement ${first.failedIndex! + 1}: ${describePgError(first.error!)}`.slice(0, 300) });
            continue;
          }
        } else {
          const r = await rerunCheck(db, statements, { isolation: 'transaction' });
          const detail = [r.reason, ...(r.differences ?? []).map((d) => d.text)].filter(Boolean).join('; ');
          out.push({ ...base, path: file, label: r.idempotent ? 'idempotent' : 'not-idempotent', ...(r.idempotent ? {} : { lines: lineOf(r.statementIndex) }), reason: (r.idempotent ? 'the rerun left the fingerprint unchanged' : detail).slice(0, 300) });
          continue;
        }
      }
      // As written (its own BEGIN/COMMIT, or statements that refuse a transaction block).
      const first = await runStatements(db, statements);
      if (!first.ok) {
        out.push({ ...base, path: file, label: 'unjudged', reason: `the first run failed at statement ${first.failedIndex! + 1}: ${describePgError(first.error!)}`.slice(0, 300) });
        await db.exec('rollback').catch(() => undefined);
        continue;
      }
      const copy = await scratch.copy();
      try {
        const r = await rerunCheck(copy.session, statements, { isolation: 'direct' });
        const detail = [r.reason, ...(r.differences ?? []).map((d) => d.text)].filter(Boolean).join('; ');
        out.push({ ...base, path: file, label: r.idempotent ? 'idempotent' : 'not-idempotent', ...(r.idempotent ? {} : { lines: lineOf(r.statementIndex) }), reason: (r.idempotent ? 'the rerun (as written, on a copy) left the fingerprint unchanged' : detail).slice(0, 300) });
      } finally {
        await copy.dispose();
      }
    }
    await scratch.dispose();
  } finally {
    await provider.close();
  }
  return out;
}

void (async () => {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: source /tmp/greenlight-testbed/env first');
  const { values, positionals: only } = parseArgs({ options: { set: { type: 'string' } }, allowPositionals: true });
  const set = parseCorpusSet(values.set);
  const chains = loadChains(set).filter((c) => c.language === 'sql' && (!only.length || only.includes(c.id)));
  const missing = missingMirrors(chains);
  if (missing.length) throw new Error(`mirrors missing (fetch them into ${process.env.GREENLIGHT_MIRRORS ?? '/work/.mirror'}):\n${missing.join('\n')}`);
  let labels = loadLabels(set);
  for (const c of chains) {
    const t0 = Date.now();
    const fresh = await labelChain(url, c);
    labels = [...labels.filter((l) => l.chain !== c.id), ...fresh];
    saveLabels(labels, set);
    const n = (v: string): number => fresh.filter((l) => l.label === v).length;
    console.log(`${c.id}: ${fresh.length} files, ${n('not-idempotent')} not idempotent, ${n('idempotent')} idempotent, ${n('unjudged')} unjudged (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
})().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
