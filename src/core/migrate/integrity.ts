// Checks on a migrated copy of production data: no rows lost, every foreign key satisfied, no
// index left invalid. Each check names the table or constraint it is about.
import { quoteIdent, type PgSession } from './session';
import type { Fingerprint, TableData } from './fingerprint';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
  readonly details?: readonly string[];
}

export function rowsNotLost(before: ReadonlyMap<string, TableData>, after: ReadonlyMap<string, TableData>): CheckResult {
  const lost: string[] = [];
  for (const [t, b] of before) {
    if (b.rows === 0) continue;
    const a = after.get(t);
    if (!a) lost.push(`${t}: the table (${b.rows} rows) no longer exists`);
    else if (a.rows < b.rows) lost.push(`${t}: ${b.rows} → ${a.rows} rows`);
  }
  return lost.length
    ? { name: 'rows not lost', ok: false, message: `${lost.length} table${lost.length === 1 ? '' : 's'} lost rows`, details: lost }
    : { name: 'rows not lost', ok: true, message: `row counts kept in ${[...before.values()].filter((b) => b.rows > 0).length} tables with data` };
}

export async function foreignKeysValid(db: PgSession): Promise<CheckResult> {
  const fks = await db.query(
    `select con.conname, n.nspname as s, c.relname as t, pn.nspname as ps, p.relname as pt,
            array(select a.attname::text from unnest(con.conkey) with ordinality k(num, ord) join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num order by k.ord) as cols,
            array(select a.attname::text from unnest(con.confkey) with ordinality k(num, ord) join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num order by k.ord) as pcols
       from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
       join pg_class p on p.oid = con.confrelid join pg_namespace pn on pn.oid = p.relnamespace
      where con.contype = 'f' order by 2, 3, 1`,
  );
  const bad: string[] = [];
  for (const fk of fks.rows) {
    const cols = fk.cols as string[];
    const pcols = fk.pcols as string[];
    const notNull = cols.map((c) => `c.${quoteIdent(c)} is not null`).join(' and ');
    const match = cols.map((c, i) => `p.${quoteIdent(pcols[i]!)} = c.${quoteIdent(c)}`).join(' and ');
    const r = await db.query(
      `select count(*)::int as n from ${quoteIdent(String(fk.s))}.${quoteIdent(String(fk.t))} c where ${notNull} and not exists (select 1 from ${quoteIdent(String(fk.ps))}.${quoteIdent(String(fk.pt))} p where ${match})`,
    );
    const n = Number(r.rows[0]?.n ?? 0);
    if (n > 0) bad.push(`${fk.s}.${fk.t}.${fk.conname}: ${n} row${n === 1 ? '' : 's'} without a matching ${fk.ps}.${fk.pt} row`);
  }
  return bad.length
    ? { name: 'foreign keys valid', ok: false, message: `${bad.length} foreign key${bad.length === 1 ? '' : 's'} violated`, details: bad }
    : { name: 'foreign keys valid', ok: true, message: `${fks.rows.length} foreign key${fks.rows.length === 1 ? '' : 's'} satisfied` };
}

export function indexesValid(fp: Fingerprint): CheckResult {
  const bad = [...fp.objects].filter(([k, v]) => k.startsWith('index ') && v.endsWith('(INVALID)')).map(([k]) => k);
  return bad.length
    ? { name: 'indexes valid', ok: false, message: `${bad.length} invalid index${bad.length === 1 ? '' : 'es'} (a failed CREATE INDEX CONCURRENTLY leaves one behind)`, details: bad }
    : { name: 'indexes valid', ok: true, message: 'no invalid indexes' };
}
