// ArangoDB through arangojs: the few calls the migration backend makes. The only file of
// src/core/migrate that imports arangojs.
import { Database } from 'arangojs';
import { OperationError } from '../../common/errors';
import type { Secret } from '../../common/secret';
import type { SchemaOp } from '../arango/schemaOps';

export interface ArangoDriver {
  readonly description: string;
  collectionExists(name: string): Promise<boolean>;
  createCollection(name: string, opts: { edge?: boolean; isSystem?: boolean; schema?: unknown }): Promise<void>;
  /** Applies one schema operation idempotently (see arango/schemaOps.ts). */
  applySchemaOp(op: Exclude<SchemaOp, { type: 'aql' }>): Promise<void>;
  query(aql: string, bindVars?: Record<string, unknown>): Promise<unknown[]>;
  /** The collections an AQL query reads or writes, from the server's parser. */
  collectionsOf(aql: string): Promise<string[]>;
  /** Runs fn in a stream transaction over the given collections; aborted when fn throws. */
  transaction<T>(write: readonly string[], fn: (query: (aql: string, bindVars?: Record<string, unknown>) => Promise<unknown[]>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface ArangoConnectOptions {
  readonly url: string;
  readonly database: string;
  readonly username?: string;
  readonly password?: Secret;
}

export function connectArango(o: ArangoConnectOptions): ArangoDriver {
  const db = new Database({ url: o.url, databaseName: o.database, auth: o.username ? { username: o.username, password: o.password?.reveal() ?? '' } : undefined });
  const exists = async (name: string): Promise<boolean> => db.collection(name).exists();
  const run = async (aql: string, bindVars: Record<string, unknown> = {}): Promise<unknown[]> => (await db.query({ query: aql, bindVars })).all();
  return {
    description: `ArangoDB ${o.url}/${o.database}`,
    collectionExists: exists,
    async createCollection(name, opts) {
      if (await exists(name)) return;
      const options = { isSystem: opts.isSystem, schema: opts.schema as never };
      if (opts.edge) await db.createEdgeCollection(name, options);
      else await db.createCollection(name, options);
    },
    async applySchemaOp(op) {
      switch (op.type) {
        case 'create_collection':
          if (!(await exists(op.name))) await (op.edge ? db.createEdgeCollection(op.name, { schema: op.schema as never }) : db.createCollection(op.name, { schema: op.schema as never }));
          return;
        case 'drop_collection':
          if (await exists(op.name)) await db.collection(op.name).drop();
          return;
        case 'rename_collection':
          if ((await exists(op.name)) && !(await exists(op.to))) await db.collection(op.name).rename(op.to);
          else if (!(await exists(op.to))) throw new OperationError(`rename_collection: neither ${op.name} nor ${op.to} exists`);
          return;
        case 'truncate_collection':
          if (await exists(op.name)) await db.collection(op.name).truncate();
          return;
        case 'ensure_index':
          await db.collection(op.collection).ensureIndex(op.spec as never);
          return;
        case 'drop_index': {
          const indexes = await db.collection(op.collection).indexes();
          if (indexes.some((i) => i.name === op.name)) await db.collection(op.collection).dropIndex(op.name);
          return;
        }
        case 'create_view':
          if (!(await db.view(op.name).exists())) await db.createView(op.name, op.options as never);
          return;
        case 'drop_view':
          if (await db.view(op.name).exists()) await db.view(op.name).drop();
          return;
        case 'create_graph':
          if (!(await db.graph(op.name).exists())) await db.createGraph(op.name, (op.options.edgeDefinitions ?? []) as never, op.options as never);
          return;
        case 'drop_graph':
          if (await db.graph(op.name).exists()) await db.graph(op.name).drop();
          return;
        case 'create_analyzer':
          if (!(await db.analyzer(op.name).exists())) await db.createAnalyzer(op.name, op.options as never);
          return;
        case 'drop_analyzer':
          if (await db.analyzer(op.name).exists()) await db.analyzer(op.name).drop();
          return;
      }
    },
    query: run,
    async collectionsOf(aql) {
      const parsed = await db.parse(aql);
      return parsed.collections;
    },
    async transaction(write, fn) {
      const trx = await db.beginTransaction({ write: [...write] });
      try {
        const result = await fn((aql, bindVars = {}) => trx.step(() => db.query({ query: aql, bindVars })).then((c) => c.all()));
        await trx.commit();
        return result;
      } catch (e) {
        await trx.abort().catch(() => undefined);
        throw e;
      }
    },
    async close() {
      db.close();
    },
  };
}
