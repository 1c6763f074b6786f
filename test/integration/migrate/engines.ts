// The two PostgreSQL engines every migrate integration test runs on: the test bed's PostgreSQL 15
// (a fresh database with a random name per test, dropped afterwards) and PGlite (a fresh embedded
// instance per test). A missing test bed fails the server tests with the reason, never skips them.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { createPglite, pgliteScratchProvider } from '../../../src/core/migrate/adapters/pgliteAdapter';
import { connectPg, serverScratchProvider } from '../../../src/core/migrate/adapters/pgAdapter';
import type { PgSession, ScratchProvider } from '../../../src/core/migrate/session';
import { testbed } from '../testbed';

export type EngineName = 'PostgreSQL 15' | 'PGlite';
export const ENGINES: readonly EngineName[] = ['PostgreSQL 15', 'PGlite'];

export interface TestDatabase {
  readonly engine: EngineName;
  /** A session on the fresh database. */
  readonly session: PgSession;
  /** Another, independent session on the same database (server: a second connection). */
  second(applicationName: string): Promise<PgSession>;
  /** The server URL with password (server only). */
  readonly url?: string;
  scratch(): Promise<ScratchProvider>;
  drop(): Promise<void>;
}

export async function freshDatabase(engine: EngineName): Promise<TestDatabase> {
  if (engine === 'PGlite') {
    const session = await createPglite();
    return {
      engine,
      session,
      second: async () => session,
      scratch: async () => pgliteScratchProvider(),
      drop: () => session.close(),
    };
  }
  const base = testbed().testDatabaseUrl;
  const name = `gl_mtest_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const url = u.toString();
  const session = await connectPg(url, { applicationName: 'greenlight test runner A' });
  const opened: PgSession[] = [session];
  return {
    engine,
    session,
    url,
    second: async (applicationName) => {
      const s = await connectPg(url, { applicationName });
      opened.push(s);
      return s;
    },
    scratch: () => serverScratchProvider(base),
    drop: async () => {
      for (const s of opened) await s.close();
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      await a.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      await a.query(`drop database if exists ${name}`);
      await a.end();
    },
  };
}

/** A private copy of a fixture migration set, so tests can edit files. */
export async function copyFixture(set: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gl-migrate-'));
  await cp(path.join(__dirname, '../../fixtures/migrate', set), dir, { recursive: true });
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export const FIXTURES = path.join(__dirname, '../../fixtures/migrate');
