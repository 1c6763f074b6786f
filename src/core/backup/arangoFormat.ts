// The ArangoDB export file: gzip-compressed JSON lines, one record per line, in this order:
//   {"type":"header", format, version, database, createdAt, collections: [names]}
//   per collection: {"type":"collection", name, collectionType, schema, keyOptions, indexes}
//                   {"type":"doc", "c": name, "d": {...}}   (one per document, _key kept, _id/_rev dropped)
//                   {"type":"end", "c": name, "count": n}
//   {"type":"footer", collections, documents}
// The footer is written last, so a file cut short (a full disk, a killed process) has none and is
// refused. The writer streams (memory stays flat whatever the size), writes under a .partial
// name with mode 0600, hashes the compressed bytes as they are written, and renames only after
// everything was flushed. The reader streams too; verification reads the whole file back.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { link, rm } from 'node:fs/promises';
import * as readline from 'node:readline';
import { once } from 'node:events';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { OperationError } from '../common/errors';
import { HashingStream } from '../images/checksum';

export const ARANGO_EXPORT_FORMAT = 'greenlight-arangodb-export';
export const ARANGO_EXPORT_VERSION = 1;

export interface ArangoIndexSpec {
  readonly type: string;
  readonly fields?: readonly string[];
  readonly name?: string;
  readonly unique?: boolean;
  readonly sparse?: boolean;
  /** Other index options (expireAfter, geoJson, minLength, …), kept as the server reported them. */
  readonly [option: string]: unknown;
}

export interface HeaderRecord {
  readonly type: 'header';
  readonly format: typeof ARANGO_EXPORT_FORMAT;
  readonly version: number;
  readonly database: string;
  readonly createdAt: string;
  readonly collections: readonly string[];
}
export interface CollectionRecord {
  readonly type: 'collection';
  readonly name: string;
  readonly collectionType: 'document' | 'edge';
  readonly schema?: unknown;
  readonly keyOptions?: unknown;
  readonly indexes: readonly ArangoIndexSpec[];
}
export interface DocRecord {
  readonly type: 'doc';
  readonly c: string;
  readonly d: Record<string, unknown>;
}
export interface EndRecord {
  readonly type: 'end';
  readonly c: string;
  readonly count: number;
}
export interface FooterRecord {
  readonly type: 'footer';
  readonly collections: number;
  readonly documents: number;
}
export type ExportRecord = HeaderRecord | CollectionRecord | DocRecord | EndRecord | FooterRecord;

/** What an export holds, per collection, as found by reading it. */
export interface ExportSummary {
  readonly database: string;
  readonly createdAt: string;
  readonly collections: readonly { readonly name: string; readonly collectionType: 'document' | 'edge'; readonly indexes: number; readonly documents: number }[];
  readonly documents: number;
}

/** Drops the server-made fields a restore must not replay: _id follows from the collection, _rev is new. */
export function exportableDocument(doc: Record<string, unknown>): Record<string, unknown> {
  const { _id: _ignoredId, _rev: _ignoredRev, ...rest } = doc;
  return rest;
}

/**
 * Writes an export record by record, checking the order as it goes (a writer bug must not
 * produce a file the reader would refuse later). Call finish() for the footer and the rename,
 * or abort() to remove the partial file.
 */
export class ArangoExportWriter {
  readonly partial: string;
  #gzip: Gzip;
  #counter = new HashingStream();
  #out: WriteStream;
  #failed: Error | undefined;
  #state: 'start' | 'between' | 'in-collection' | 'done' = 'start';
  #current: string | undefined;
  #count = 0;
  #collections = 0;
  #documents = 0;
  #expected: readonly string[] = [];

  constructor(readonly file: string) {
    this.partial = `${file}.partial`;
    // flags 'wx': never overwrite an existing backup, not even a partial one.
    this.#out = createWriteStream(this.partial, { mode: 0o600, flags: 'wx' });
    this.#gzip = createGzip({ level: 6 });
    const fail = (e: Error): void => void (this.#failed ??= e);
    this.#gzip.on('error', fail);
    this.#counter.on('error', fail);
    this.#out.on('error', fail);
    this.#gzip.pipe(this.#counter).pipe(this.#out);
  }

  async #line(rec: ExportRecord): Promise<void> {
    if (this.#failed) throw new OperationError(`writing ${this.partial}: ${this.#failed.message}`);
    if (!this.#gzip.write(`${JSON.stringify(rec)}\n`)) await once(this.#gzip, 'drain');
  }

  async header(database: string, collections: readonly string[], createdAt = new Date()): Promise<void> {
    if (this.#state !== 'start') throw new Error('export writer: header written twice');
    // The file is opened asynchronously: wait for it, so an existing .partial (never overwritten)
    // or an unwritable directory fails here, before any data is read from the database.
    if (this.#out.pending) {
      try {
        await once(this.#out, 'ready');
      } catch (e) {
        throw new OperationError(`cannot write ${this.partial}: ${(e as Error).message}`);
      }
    }
    this.#expected = collections;
    this.#state = 'between';
    await this.#line({ type: 'header', format: ARANGO_EXPORT_FORMAT, version: ARANGO_EXPORT_VERSION, database, createdAt: createdAt.toISOString(), collections: [...collections] });
  }

  async collection(rec: Omit<CollectionRecord, 'type'>): Promise<void> {
    if (this.#state !== 'between') throw new Error(`export writer: collection ${rec.name} started in state ${this.#state}`);
    this.#state = 'in-collection';
    this.#current = rec.name;
    this.#count = 0;
    await this.#line({ type: 'collection', ...rec });
  }

  async document(doc: Record<string, unknown>): Promise<void> {
    if (this.#state !== 'in-collection') throw new Error('export writer: a document outside a collection');
    this.#count++;
    this.#documents++;
    await this.#line({ type: 'doc', c: this.#current!, d: exportableDocument(doc) });
  }

  async endCollection(): Promise<number> {
    if (this.#state !== 'in-collection') throw new Error('export writer: no collection to end');
    this.#state = 'between';
    this.#collections++;
    await this.#line({ type: 'end', c: this.#current!, count: this.#count });
    return this.#count;
  }

  /** Writes the footer, flushes, renames the partial file to its name; returns size and sha256. */
  async finish(): Promise<{ file: string; bytes: number; sha256: string; collections: number; documents: number }> {
    if (this.#state !== 'between') throw new Error(`export writer: finish in state ${this.#state}`);
    if (this.#collections !== this.#expected.length) throw new Error(`export writer: the header announced ${this.#expected.length} collections, ${this.#collections} were written`);
    await this.#line({ type: 'footer', collections: this.#collections, documents: this.#documents });
    this.#state = 'done';
    this.#gzip.end();
    await once(this.#out, 'close');
    if (this.#failed) throw new OperationError(`writing ${this.partial}: ${this.#failed.message}`);
    // link() fails when the name exists, so a finished export never replaces another backup.
    try {
      await link(this.partial, this.file);
    } catch (e) {
      throw new OperationError(`cannot name the export ${this.file}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? 'a file of that name exists (never overwritten)' : String(e)}; the data stays in ${this.partial}`);
    }
    await rm(this.partial, { force: true });
    return { file: this.file, bytes: this.#counter.bytes, sha256: this.#counter.digest(), collections: this.#collections, documents: this.#documents };
  }

  async abort(): Promise<void> {
    this.#state = 'done';
    this.#gzip.destroy();
    this.#out.destroy();
    await rm(this.partial, { force: true });
  }
}

/** A record that breaks the format, with the line it is on. */
export class ExportFormatError extends OperationError {
  constructor(file: string, line: number, why: string) {
    super(`${file}:${line}: ${why}`);
    this.name = 'ExportFormatError';
  }
}

/**
 * Reads an export record by record and checks the format as it goes: header first, documents
 * only inside their collection, every count as written, the footer last and nothing after it.
 * A damaged gzip stream or a missing footer fails with the line where reading stopped.
 */
export async function* readArangoExport(file: string): AsyncGenerator<ExportRecord & { line: number }> {
  const input = createReadStream(file);
  const gunzip = createGunzip();
  let streamError: Error | undefined;
  input.on('error', (e) => (streamError = e));
  gunzip.on('error', (e) => (streamError = e));
  const lines = readline.createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  let n = 0;
  let header: HeaderRecord | undefined;
  let current: CollectionRecord | undefined;
  let count = 0;
  const seen = new Set<string>();
  let documents = 0;
  let footer = false;
  try {
    for await (const text of lines) {
      n++;
      if (footer) throw new ExportFormatError(file, n, 'data after the footer');
      let rec: ExportRecord;
      try {
        rec = JSON.parse(text) as ExportRecord;
      } catch (e) {
        throw new ExportFormatError(file, n, `not a JSON line (${(e as Error).message})`);
      }
      if (!rec || typeof rec !== 'object' || typeof rec.type !== 'string') throw new ExportFormatError(file, n, 'a record without a type');
      if (!header && rec.type !== 'header') throw new ExportFormatError(file, n, `the file does not start with a ${ARANGO_EXPORT_FORMAT} header`);
      switch (rec.type) {
        case 'header':
          if (header) throw new ExportFormatError(file, n, 'a second header');
          if (rec.format !== ARANGO_EXPORT_FORMAT) throw new ExportFormatError(file, n, `format "${String(rec.format)}" is not ${ARANGO_EXPORT_FORMAT}`);
          if (rec.version !== ARANGO_EXPORT_VERSION) throw new ExportFormatError(file, n, `format version ${rec.version} is not supported (this Greenlight reads version ${ARANGO_EXPORT_VERSION})`);
          if (!Array.isArray(rec.collections)) throw new ExportFormatError(file, n, 'the header lists no collections');
          header = rec;
          break;
        case 'collection':
          if (current) throw new ExportFormatError(file, n, `collection ${rec.name} starts before ${current.name} ended`);
          if (typeof rec.name !== 'string' || !header!.collections.includes(rec.name)) throw new ExportFormatError(file, n, `collection ${String(rec.name)} is not in the header`);
          if (seen.has(rec.name)) throw new ExportFormatError(file, n, `collection ${rec.name} appears twice`);
          if (rec.collectionType !== 'document' && rec.collectionType !== 'edge') throw new ExportFormatError(file, n, `collection ${rec.name}: unknown type ${String(rec.collectionType)}`);
          if (!Array.isArray(rec.indexes)) throw new ExportFormatError(file, n, `collection ${rec.name}: no index list`);
          seen.add(rec.name);
          current = rec;
          count = 0;
          break;
        case 'doc':
          if (!current || rec.c !== current.name) throw new ExportFormatError(file, n, `a document of ${String(rec.c)} outside its collection`);
          if (!rec.d || typeof rec.d !== 'object' || typeof rec.d._key !== 'string') throw new ExportFormatError(file, n, `a document of ${rec.c} without a _key`);
          if (current.collectionType === 'edge' && (typeof rec.d._from !== 'string' || typeof rec.d._to !== 'string')) throw new ExportFormatError(file, n, `an edge of ${rec.c} without _from/_to`);
          count++;
          documents++;
          break;
        case 'end':
          if (!current || rec.c !== current.name) throw new ExportFormatError(file, n, `end of ${String(rec.c)} without its start`);
          if (rec.count !== count) throw new ExportFormatError(file, n, `collection ${rec.c}: ${count} documents read, ${rec.count} written`);
          current = undefined;
          break;
        case 'footer':
          if (current) throw new ExportFormatError(file, n, `footer before collection ${current.name} ended`);
          if (rec.collections !== seen.size || seen.size !== header!.collections.length) throw new ExportFormatError(file, n, `footer says ${rec.collections} collections; ${seen.size} read, ${header!.collections.length} announced`);
          if (rec.documents !== documents) throw new ExportFormatError(file, n, `footer says ${rec.documents} documents; ${documents} read`);
          footer = true;
          break;
        default:
          throw new ExportFormatError(file, n, `unknown record type "${(rec as { type: string }).type}"`);
      }
      yield { ...rec, line: n };
    }
  } catch (e) {
    if (streamError) throw new ExportFormatError(file, n + 1, `unreadable (${streamError.message}): the file is damaged or cut short`);
    throw e;
  } finally {
    lines.close();
    input.destroy();
  }
  if (streamError) throw new ExportFormatError(file, n + 1, `unreadable (${(streamError as Error).message}): the file is damaged or cut short`);
  if (!header) throw new ExportFormatError(file, 1, 'empty export');
  if (!footer) throw new ExportFormatError(file, n + 1, 'no footer: the export is incomplete (cut short while it was written?)');
}

export interface ExportVerification {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly sha256: string;
  readonly bytes: number;
  readonly summary?: ExportSummary;
}

async function sha256Of(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Reads the whole export back: sha256 against the recorded one, then every record. */
export async function verifyArangoExport(file: string, expectedSha256?: string): Promise<ExportVerification> {
  const problems: string[] = [];
  let hashed: { sha256: string; bytes: number };
  try {
    hashed = await sha256Of(file);
  } catch (e) {
    return { ok: false, problems: [`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`], sha256: '', bytes: 0 };
  }
  if (hashed.bytes === 0) problems.push(`${file} is empty`);
  if (expectedSha256 && expectedSha256 !== hashed.sha256) problems.push(`sha256 is ${hashed.sha256}, but ${expectedSha256} was recorded when the export was taken: the file changed or is corrupt`);
  let summary: ExportSummary | undefined;
  if (hashed.bytes > 0) {
    try {
      summary = await summarize(file);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { ok: problems.length === 0, problems, sha256: hashed.sha256, bytes: hashed.bytes, summary };
}

async function summarize(file: string): Promise<ExportSummary> {
  let database = '';
  let createdAt = '';
  let documents = 0;
  const collections: { name: string; collectionType: 'document' | 'edge'; indexes: number; documents: number }[] = [];
  for await (const rec of readArangoExport(file)) {
    if (rec.type === 'header') {
      database = rec.database;
      createdAt = rec.createdAt;
    } else if (rec.type === 'collection') collections.push({ name: rec.name, collectionType: rec.collectionType, indexes: rec.indexes.length, documents: 0 });
    else if (rec.type === 'end') {
      collections[collections.length - 1]!.documents = rec.count;
      documents += rec.count;
    }
  }
  return { database, createdAt, collections, documents };
}
