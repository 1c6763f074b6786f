// Test helpers for the ArangoDB backup unit tests. Neither is a server nor an SSH connection, and
// the tests that use them say so in their suite names; the live tests are in
// test/integration/backup/arango.test.ts and run only when ARANGO_URL is set.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { ArangoDumpDriver } from '../../../src/core/backup/arangoBackup';
import type { ArangoIndexSpec } from '../../../src/core/backup/arangoFormat';
import type { RemoteHost, RunOptions } from '../../../src/core/ship/remoteHost';
import type { ExecResult } from '../../../src/core/ship/sshAdapter';

export type MemoryData = Record<string, { type: 'document' | 'edge'; docs: Record<string, unknown>[]; indexes: ArangoIndexSpec[] }>;

/**
 * An in-memory stand-in for arangojs, to test Greenlight's own export/restore steps (naming,
 * metadata, verification, refusal, confirmation). It is not ArangoDB: the live tests against a
 * server are in test/integration/backup/arango.test.ts and run when ARANGO_URL is set.
 */
export function memoryDriver(database: string, data: MemoryData): ArangoDumpDriver {
  return {
    description: `memory/${database}`,
    database,
    listCollections: async () => Object.entries(data).map(([name, c]) => ({ name, collectionType: c.type })),
    collectionInfo: async (name) => ({ indexes: data[name]!.indexes }),
    async *documents(name, batchSize) {
      const docs = data[name]!.docs;
      for (let i = 0; i < docs.length; i += batchSize) yield docs.slice(i, i + batchSize).map((d) => ({ ...d, _id: `${name}/${String(d._key)}`, _rev: 'r' }));
    },
    collectionExists: async (name) => name in data,
    count: async (name) => data[name]?.docs.length ?? 0,
    createCollection: async (name, o) => void (data[name] = { type: o.collectionType, docs: [], indexes: [] }),
    ensureIndex: async (name, spec) => void data[name]!.indexes.push(spec),
    truncate: async (name) => void (data[name]!.docs = []),
    importDocuments: async (name, docs) => {
      for (const d of docs) {
        if (data[name]!.docs.some((x) => x._key === d._key)) throw new Error(`unique constraint violated: ${String(d._key)}`);
        data[name]!.docs.push({ ...d });
      }
    },
    close: async () => undefined,
  };
}

/**
 * A stand-in for the production host that runs each argv on this machine (child_process, no
 * shell added), so Greenlight's host-side steps (copy in, sha256sum, stat, chmod, mv -n, find,
 * cat) run for real on real files. It is not SSH: a forwarded connection is a stream that goes
 * nowhere (the in-memory driver never uses it). The SSH path is covered by the live integration
 * test on the test bed.
 */
export function localCommandHost(): RemoteHost {
  const exec = (argv: readonly string[], opts: RunOptions = {}): Promise<ExecResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      if (opts.stdout) child.stdout.pipe(opts.stdout, { end: false });
      else child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal: signal ?? undefined, stdout: Buffer.concat(out), stderr: err }));
      const stdin = opts.stdin;
      if (stdin === undefined) child.stdin.end();
      else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) child.stdin.end(stdin);
      else stdin.pipe(child.stdin);
    });
  const host = {
    target: { host: 'local-commands' },
    where: 'local commands (not ssh)',
    connection: { closed: false, forwardTcp: async () => new PassThrough() },
    exec,
    async run(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
      const r = await exec(argv, opts);
      if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
      return r.stdout.toString('utf8');
    },
  };
  return host as unknown as RemoteHost;
}
