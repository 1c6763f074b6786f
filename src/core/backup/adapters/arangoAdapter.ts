// ArangoDB through arangojs for backups: the only file of src/core/backup that imports arangojs.
import { Database } from 'arangojs';
import { OperationError } from '../../common/errors';
import type { Secret } from '../../common/secret';
import type { ArangoDumpDriver } from '../arangoBackup';
import type { ArangoIndexSpec } from '../arangoFormat';

export interface ArangoBackupConnectOptions {
  /** Server URL without credentials, e.g. http://127.0.0.1:8529. */
  readonly url: string;
  readonly database: string;
  readonly username?: string;
  readonly password?: Secret;
  /** What errors and logs call the database (default: the URL and database name). */
  readonly description?: string;
}

// Index fields the server reports but does not take back when an index is created.
const SERVER_INDEX_FIELDS = new Set(['id', 'isNewlyCreated', 'selectivityEstimate', 'figures', 'code', 'error']);
// The type is a number in the server's collection description: 2 = document, 3 = edge.
const EDGE_COLLECTION = 3;

export function connectArangoBackup(o: ArangoBackupConnectOptions): ArangoDumpDriver {
  const db = new Database({ url: o.url, databaseName: o.database, auth: o.username ? { username: o.username, password: o.password?.reveal() ?? '' } : undefined });
  const description = o.description ?? `ArangoDB ${o.url}/${o.database}`;
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw new OperationError(`${description}: ${what}: ${(e as Error).message}`);
    }
  };
  return {
    description,
    database: o.database,
    listCollections: () =>
      wrap('list collections', async () => (await db.listCollections(true)).map((c) => ({ name: c.name, collectionType: (c.type as number) === EDGE_COLLECTION ? 'edge' : 'document' }) as const)),
    collectionInfo: (name) =>
      wrap(`read ${name}`, async () => {
        const col = db.collection(name);
        const props = (await col.properties()) as unknown as { schema?: unknown; keyOptions?: Record<string, unknown> };
        const indexes = (await col.indexes()) as unknown as Record<string, unknown>[];
        const user = indexes
          .filter((ix) => ix.type !== 'primary' && ix.type !== 'edge')
          .map((ix) => Object.fromEntries(Object.entries(ix).filter(([k]) => !SERVER_INDEX_FIELDS.has(k))) as ArangoIndexSpec);
        // lastValue changes with every insert; the key generator type and its options are what matters.
        const { lastValue: _lastValue, ...keyOptions } = props.keyOptions ?? {};
        return { schema: props.schema ?? undefined, keyOptions, indexes: user };
      }),
    async *documents(name, batchSize) {
      const cursor = await wrap(`read ${name}`, () => db.query({ query: 'FOR d IN @@c RETURN d', bindVars: { '@c': name } }, { batchSize, stream: true }));
      for await (const batch of cursor.batches) yield batch as Record<string, unknown>[];
    },
    collectionExists: (name) => wrap(`check ${name}`, () => db.collection(name).exists()),
    count: (name) => wrap(`count ${name}`, async () => (await db.collection(name).count()).count),
    createCollection: (name, opts) =>
      wrap(`create ${name}`, async () => {
        const options = { schema: opts.schema as never, keyOptions: opts.keyOptions as never };
        if (opts.collectionType === 'edge') await db.createEdgeCollection(name, options);
        else await db.createCollection(name, options);
      }),
    ensureIndex: (name, spec) => wrap(`index ${spec.name ?? spec.type} on ${name}`, async () => void (await db.collection(name).ensureIndex(spec as never))),
    truncate: (name) => wrap(`truncate ${name}`, async () => void (await db.collection(name).truncate())),
    importDocuments: (name, docs) =>
      wrap(`import into ${name}`, async () => {
        const r = await db.collection(name).import(docs as never, { onDuplicate: 'error', complete: true });
        if (r.errors > 0) throw new Error(`${r.errors} of ${docs.length} documents were refused`);
      }),
    close: async () => db.close(),
  };
}

/** Whether the database exists; connection and authentication failures are errors, not "no". */
export async function arangoDatabaseExists(o: ArangoBackupConnectOptions): Promise<boolean> {
  const db = new Database({ url: o.url, databaseName: o.database, auth: o.username ? { username: o.username, password: o.password?.reveal() ?? '' } : undefined });
  try {
    return await db.exists();
  } catch (e) {
    throw new OperationError(`${o.description ?? `ArangoDB ${o.url}/${o.database}`}: not reachable: ${(e as Error).message}`);
  } finally {
    db.close();
  }
}
