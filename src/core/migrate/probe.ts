// Probe rows: a DML statement that runs on an empty table proves nothing about a second run
// (`UPDATE items SET price = price + 100` changes no rows twice). Before judging such a
// migration, the rerun check puts one plausible row into each empty table the statement touches:
// defaults where the column has one, a value of the column's type otherwise, an existing (or
// probed) parent row for a foreign key. Rows that cannot be made leave the check inconclusive.
import { quoteIdent, type PgSession } from './session';

interface ColumnInfo {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
  identity: boolean;
  generated: boolean;
  category: string;
  typeName: string;
  type: string;
  enumFirst: string | null;
  fkParent: string | null;
  fkColumn: string | null;
}

/** Resolves a table name as SQL text, quoted where needed (search_path applies), to "schema.table". */
export async function resolveTable(db: PgSession, name: string): Promise<string | undefined> {
  const r = await db.query(
    `select n.nspname as s, c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1) and c.relkind = 'r'`,
    [name],
  );
  const row = r.rows[0];
  return row ? `${row.s}.${row.t}` : undefined;
}

function qualified(table: string): string {
  const dot = table.indexOf('.');
  return `${quoteIdent(table.slice(0, dot))}.${quoteIdent(table.slice(dot + 1))}`;
}

async function columns(db: PgSession, table: string): Promise<ColumnInfo[]> {
  const r = await db.query(
    `select a.attname as name, a.attnotnull as not_null, a.atthasdef as has_default, a.attidentity <> '' as identity, a.attgenerated <> '' as generated,
            t.typcategory as category, t.typname as type_name, format_type(a.atttypid, a.atttypmod) as type,
            (select e.enumlabel from pg_enum e where e.enumtypid = a.atttypid order by e.enumsortorder limit 1) as enum_first,
            (select cn.nspname || '.' || cc.relname from pg_constraint k join pg_class cc on cc.oid = k.confrelid join pg_namespace cn on cn.oid = cc.relnamespace
              where k.conrelid = a.attrelid and k.contype = 'f' and k.conkey = array[a.attnum]::int2[] limit 1) as fk_parent,
            (select pa.attname from pg_constraint k join pg_attribute pa on pa.attrelid = k.confrelid and pa.attnum = k.confkey[1]
              where k.conrelid = a.attrelid and k.contype = 'f' and k.conkey = array[a.attnum]::int2[] limit 1) as fk_column
       from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [qualified(table)],
  );
  return r.rows.map((x) => ({
    name: String(x.name),
    notNull: x.not_null === true,
    hasDefault: x.has_default === true,
    identity: x.identity === true,
    generated: x.generated === true,
    category: String(x.category),
    typeName: String(x.type_name),
    type: String(x.type),
    enumFirst: x.enum_first == null ? null : String(x.enum_first),
    fkParent: x.fk_parent == null ? null : String(x.fk_parent),
    fkColumn: x.fk_column == null ? null : String(x.fk_column),
  }));
}

function literalFor(c: ColumnInfo): string | undefined {
  const cast = (v: string): string => `${v}::${c.type}`;
  if (c.typeName === 'uuid') return cast(`'00000000-0000-4000-8000-00000000a001'`);
  if (c.typeName === 'json' || c.typeName === 'jsonb') return cast(`'{}'`);
  switch (c.category) {
    case 'N':
      return cast(`'1'`);
    case 'S':
      return cast(`'probe'`);
    case 'B':
      return 'true';
    case 'D':
      return cast('now()');
    case 'T':
      return cast(`'1 day'`);
    case 'E':
      return c.enumFirst !== null ? cast(`'${c.enumFirst.replace(/'/g, "''")}'`) : undefined;
    case 'A':
      return cast(`'{}'`);
    case 'I':
      return cast(`'127.0.0.1'`);
    default:
      return undefined;
  }
}

export async function tableIsEmpty(db: PgSession, table: string): Promise<boolean> {
  return (await db.query(`select not exists (select 1 from ${qualified(table)}) as empty`)).rows[0]?.empty === true;
}

/**
 * Inserts one probe row into table (schema.table), and into empty parents it references, inside
 * a savepoint. Returns false, leaving nothing behind, when no valid row can be made.
 */
export async function insertProbeRow(db: PgSession, table: string, depth = 0): Promise<boolean> {
  if (depth > 3) return false;
  await db.exec('savepoint gl_probe');
  try {
    const names: string[] = [];
    const values: string[] = [];
    for (const c of await columns(db, table)) {
      if (c.identity || c.generated || c.hasDefault) continue;
      if (c.fkParent && c.fkColumn) {
        if ((await tableIsEmpty(db, c.fkParent)) && !(await insertProbeRow(db, c.fkParent, depth + 1))) {
          if (c.notNull) throw new Error('no parent row');
          continue;
        }
        names.push(quoteIdent(c.name));
        values.push(`(select ${quoteIdent(c.fkColumn)} from ${qualified(c.fkParent)} limit 1)`);
        continue;
      }
      const v = literalFor(c);
      if (v === undefined) {
        if (c.notNull) throw new Error(`no probe value for ${c.type}`);
        continue;
      }
      names.push(quoteIdent(c.name));
      values.push(v);
    }
    const sql = names.length ? `insert into ${qualified(table)} (${names.join(', ')}) values (${values.join(', ')})` : `insert into ${qualified(table)} default values`;
    await db.exec(sql);
    await db.exec('release savepoint gl_probe');
    return true;
  } catch {
    await db.exec('rollback to savepoint gl_probe; release savepoint gl_probe').catch(() => undefined);
    return false;
  }
}
