// PGlite (PostgreSQL compiled to WebAssembly, in this process): the default engine when no server
// is configured. A cold start runs initdb and takes seconds, so a freshly initialized data
// directory is made once, kept as a tarball in memory and in the OS temp directory, and every
// scratch database starts from it (about half a second). Copies load a dump of the original into a new instance.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { InputError } from '../../common/errors';
import { isCustomFormatDump, splitPlainDump } from '../restore';
import type { LockHolder, LockProvider, PgResult, PgSession, ScratchDatabase, ScratchProvider } from '../session';
import { customDumpToSql } from './pgAdapter';

// One PGlite instance is one backend: two runners in this process that share an instance would
// share its advisory locks, so the lock is kept here, per instance.
const heldLocks = new WeakMap<PGlite, { holder: string; since: Date }>();

class PgliteSession implements PgSession {
  readonly engine = 'pglite' as const;
  readonly database = 'postgres';
  readonly locks: LockProvider;
  #owned = false;

  constructor(
    readonly db: PGlite,
    readonly description: string,
  ) {
    const self = this;
    this.locks = {
      async tryAcquire(holder: string) {
        if (heldLocks.has(db)) return false;
        heldLocks.set(db, { holder, since: new Date() });
        self.#owned = true;
        return true;
      },
      async release() {
        if (self.#owned) heldLocks.delete(db);
        self.#owned = false;
      },
      async holder(): Promise<LockHolder | undefined> {
        const h = heldLocks.get(db);
        return h && !self.#owned ? { description: h.holder, since: h.since } : undefined;
      },
    };
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<PgResult> {
    const r = await this.db.query<Record<string, unknown>>(sql, params as unknown[]);
    return { rows: r.rows, rowCount: r.affectedRows };
  }

  async exec(sql: string): Promise<PgResult[]> {
    const rs = await this.db.exec(sql);
    return rs.map((r) => ({ rows: r.rows as Record<string, unknown>[], rowCount: r.command && /^(INSERT|UPDATE|DELETE|MERGE)$/.test(r.command) ? (r.affectedRows ?? 0) : undefined }));
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

let template: Promise<Blob> | undefined;

function templateCacheFile(): string {
  let version = 'unknown';
  try {
    const main = require.resolve('@electric-sql/pglite');
    version = (JSON.parse(readFileSync(path.join(path.dirname(main), '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Without a version the cache key is still per machine and per user.
  }
  return path.join(os.tmpdir(), `greenlight-pglite-${version}-${os.userInfo().uid}.tar`);
}

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * PGlite's compiled WebAssembly module, compiled once and shared by every instance until
 * releasePgliteCaches(). Passing it to PGlite.create() keeps it out of PGlite's own module cache,
 * which holds the compiled code (tens of MB) for the life of the process.
 */
function pgliteWasm(): Promise<WebAssembly.Module> {
  compiled ??= (async () => WebAssembly.compile(await readFile(path.join(path.dirname(require.resolve('@electric-sql/pglite')), 'pglite.wasm'))))();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

/**
 * Lets go of what starting PGlite keeps for the next start: the compiled module and the template
 * data directory (40 MB; the copy in the OS temp directory stays). A long-lived process (the
 * editor's service) calls it once no PGlite job has run for a while; the next start reads the
 * template from disk and compiles again (about a second).
 */
export function releasePgliteCaches(): void {
  template = undefined;
  compiled = undefined;
}

/** A new PGlite instance on the shared compiled module. */
async function startPglite(options: { loadDataDir?: Blob; dataDir?: string }): Promise<PGlite> {
  return await PGlite.create({ ...options, pgliteWasmModule: await pgliteWasm() });
}

/** The data directory of a freshly initialized PGlite, made once per process (and cached on disk). */
export function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const file = templateCacheFile();
    if (existsSync(file)) {
      try {
        const bytes = await readFile(file);
        return new Blob([bytes]);
      } catch {
        // A broken cache file is rebuilt below.
      }
    }
    const db = await startPglite({});
    const blob = await db.dumpDataDir('none');
    await db.close();
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, Buffer.from(await blob.arrayBuffer()), { mode: 0o600 });
      await rename(tmp, file);
    } catch {
      // The cache only saves time; failing to write it is not an error.
    }
    return blob;
  })();
  return template;
}

export async function createPglite(): Promise<PgSession> {
  const db = await startPglite({ loadDataDir: await pgliteTemplate() });
  return new PgliteSession(db, 'PGlite (embedded PostgreSQL)');
}

/** A persistent PGlite database in a directory (the project's local database). */
export async function openPgliteDir(dataDir: string): Promise<PgSession> {
  await mkdir(dataDir, { recursive: true });
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  const db = fresh ? await startPglite({ dataDir, loadDataDir: await pgliteTemplate() }) : await startPglite({ dataDir });
  return new PgliteSession(db, `PGlite ${dataDir}`);
}

function scratch(session: PgliteSession): ScratchDatabase {
  return {
    session,
    // PGlite's clone() (dump, then create from the dump) without its own module cache.
    copy: async () => scratch(new PgliteSession(await startPglite({ loadDataDir: await session.db.dumpDataDir('none') }), `${session.description} (copy)`)),
    dispose: () => session.close(),
  };
}

export function pgliteScratchProvider(): ScratchProvider {
  return {
    engine: 'pglite',
    description: 'PGlite (embedded PostgreSQL)',
    create: async () => scratch((await createPglite()) as PgliteSession),
    restore: async (_label, dumpFile) => {
      const session = (await createPglite()) as PgliteSession;
      try {
        await loadDump(session, dumpFile);
      } catch (e) {
        await session.close();
        throw e;
      }
      return scratch(session);
    },
    close: async () => undefined,
  };
}

async function loadDump(session: PgliteSession, dumpFile: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(dumpFile);
  } catch (e) {
    throw new InputError(`${dumpFile}: cannot read the dump (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const text = isCustomFormatDump(bytes) ? await customDumpToSql(dumpFile) : bytes.toString('utf8');
  for (const part of splitPlainDump(text, dumpFile)) {
    try {
      if (part.kind === 'sql') await session.db.exec(part.text);
      else await session.db.query(`${part.statement} FROM '/dev/blob'`, [], { blob: new Blob([part.data]) });
    } catch (e) {
      throw new InputError(`restoring into PGlite failed: ${(e as Error).message}`, { file: dumpFile, line: part.line, column: 1 });
    }
  }
  // pg_dump empties search_path and sets other session options; the migrations expect defaults.
  await session.db.exec('RESET ALL');
}

/**
 * Another session object on the same PGlite instance, as a second runner elsewhere in this
 * process would hold it: it shares the data but not the lock ownership.
 */
export function pgliteSecondView(s: PgSession): PgSession {
  if (!(s instanceof PgliteSession)) throw new Error('not a PGlite session');
  return new PgliteSession(s.db, s.description);
}
