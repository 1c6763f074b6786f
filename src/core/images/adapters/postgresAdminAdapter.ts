// Server-level PostgreSQL operations for image tests: create a throwaway database (empty or as a
// copy of another through TEMPLATE), rename, drop. The only file of src/core/images that uses pg.
import pg from 'pg';
import type { Secret } from '../../common/secret';
import { quoteIdent } from '../../migrate/session';

export interface PgAdmin {
  databaseExists(name: string): Promise<boolean>;
  /** Creates name, as a copy of template when given (the template must have no other sessions). */
  createDatabase(name: string, template?: string): Promise<void>;
  /** Ends other sessions on the database, then drops it if it exists. */
  dropDatabase(name: string): Promise<void>;
  renameDatabase(from: string, to: string): Promise<void>;
  listDatabases(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Connects to the server's maintenance database (postgres) with the given URL's credentials. */
export async function connectPgAdmin(url: string, password: Secret | undefined): Promise<PgAdmin> {
  const u = new URL(url);
  u.pathname = '/postgres';
  // pg lets the connection string win over separate fields, so the password goes into the URL.
  if (password) u.password = encodeURIComponent(password.reveal());
  const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  const terminate = (name: string): Promise<unknown> =>
    client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
  return {
    async databaseExists(name) {
      const r = await client.query('select 1 from pg_database where datname = $1', [name]);
      return (r.rowCount ?? 0) > 0;
    },
    async createDatabase(name, template) {
      await client.query(`create database ${quoteIdent(name)}${template ? ` template ${quoteIdent(template)}` : ''}`);
    },
    async dropDatabase(name) {
      await terminate(name);
      await client.query(`drop database if exists ${quoteIdent(name)}`);
    },
    async renameDatabase(from, to) {
      await terminate(from);
      await client.query(`alter database ${quoteIdent(from)} rename to ${quoteIdent(to)}`);
    },
    async listDatabases(prefix) {
      const r = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1) order by datname', [prefix]);
      return r.rows.map((x) => x.datname);
    },
    async close() {
      await client.end();
    },
  };
}
