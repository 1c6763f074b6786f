// Only the layers the host lacks, with no registry. An image's layers form a chain; an engine
// that already holds a prefix of that chain (the base layers of an earlier version: the runtime,
// the system libraries) needs only the rest. `docker load` looks up every layer of the archive by
// its chain ID in the engine's layer store and reads the layer's tar only when it is missing, so
// an archive without the tars of layers the host has loads to the very same image, whose ID and
// layer digests the ship then compares with the local ones as always.
//
// The archive `docker save` writes is filtered as it streams, with no copy on disk: an OCI
// archive (Docker 25+) names each layer blob by its digest, which for these uncompressed layers
// is the diff ID; the legacy archive (Docker ≤ 24) keeps each layer in a folder whose `json`
// (read before the folder's `layer.tar`) names its parent folder, so a layer's depth in the chain
// is known once its ancestors were seen. A layer tar whose depth is not known yet (its folder
// sorts before its parent's) is set aside in a temporary file until the end, then sent or dropped.
// The engine unpacks the whole archive before it reads the manifest, so the order does not matter.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { extract, pack, type Header } from 'tar-stream';

/** The chain IDs of an image's layers (ChainID(L1..Li) for each i), as the engine keys its layer store. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let chain = '';
  for (const d of diffIds) {
    chain = chain ? `sha256:${createHash('sha256').update(`${chain} ${d}`).digest('hex')}` : d;
    out.push(chain);
  }
  return out;
}

/** How many leading layers of `diffIds` the host already has, given the layer lists of its images. */
export function sharedPrefix(diffIds: readonly string[], remoteImages: readonly (readonly string[])[]): number {
  const have = new Set(remoteImages.flatMap((layers) => chainIds(layers)));
  let n = 0;
  for (const c of chainIds(diffIds)) {
    if (!have.has(c)) break;
    n++;
  }
  return n;
}

export interface DeltaFilter {
  readonly body: Readable;
  readonly result: Promise<DeltaFilterResult>;
  /** Why the filter failed on its own (an archive it cannot read as expected), if it did. */
  failure(): Error | undefined;
  /** Stops reading the saved archive (the load failed): `result` rejects, nothing stays open. */
  abort(why: Error): void;
}

/** What the filter left out, known once its output ended. */
export interface DeltaFilterResult {
  /** Layer tars left out (the host has them). */
  readonly skipped: number;
  /** Layer tars that went into the output. */
  readonly sent: number;
}

interface Manifest {
  readonly Config: string;
  readonly Layers: readonly string[];
}

/**
 * The `docker save` archive `save` as it streams, without the tars of the image's first `shared`
 * layers (`diffIds` base first). Everything else passes unchanged. `result` settles when the
 * output ends; it rejects (and the output fails, so the engine discards the load) when the
 * archive's manifest contradicts a choice made on the way.
 */
export function withoutSharedLayers(save: Readable, diffIds: readonly string[], shared: number): DeltaFilter {
  const sharedDigests = new Set(diffIds.slice(0, shared).map((d) => d.replace(/^sha256:/, '')));
  const x = extract();
  const p = pack();
  const out = new PassThrough();
  const parentOf = new Map<string, string | null>();
  const decided = new Map<string, 'sent' | 'skipped'>();
  const pending: { header: Header; file: string }[] = [];
  let manifest: Manifest | undefined;
  let tmp: string | undefined;
  let settle!: { resolve: (r: DeltaFilterResult) => void; reject: (e: Error) => void };
  const result = new Promise<DeltaFilterResult>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => undefined);

  let failed: Error | undefined;
  let settled = false;
  const fail = (e: Error): void => {
    if (!settled) failed = e;
    settled = true;
    settle.reject(e);
    out.destroy(e);
    save.destroy();
    x.destroy();
  };
  const depth = (dir: string): number | undefined => {
    let d = 0;
    for (let at: string | null | undefined = parentOf.get(dir); at !== null; at = parentOf.get(at), d++) if (at === undefined || d > diffIds.length) return undefined;
    return d;
  };
  const passEntry = (header: Header, stream: Readable, next: () => void): void => {
    const entry = p.entry(header, (err) => (err ? fail(err) : next()));
    entry.on('error', (e: Error) => fail(e));
    stream.pipe(entry as unknown as NodeJS.WritableStream);
  };
  const readSmall = (stream: Readable): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => void chunks.push(c));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
      stream.on('error', reject);
    });

  x.on('entry', (header, source, next) => {
    // tar-stream hands a streamx stream; its Node-compatible surface is all that is used here.
    const stream = source as unknown as Readable;
    // When the load stops early (a dropped connection), the entry being copied is torn down with
    // the rest; the reason is reported once, through `result`, never as a stray stream error.
    stream.on('error', () => undefined);
    void (async () => {
      const name = header.name.replace(/^\.\//, '');
      const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
      const legacyJson = /^([0-9a-f]{64})\/json$/.exec(name);
      const legacyLayer = /^([0-9a-f]{64})\/layer\.tar$/.exec(name);
      if (blob && sharedDigests.has(blob[1]!)) {
        decided.set(name, 'skipped');
        stream.on('end', () => next());
        stream.resume();
      } else if (legacyJson || name === 'manifest.json') {
        const text = await readSmall(stream);
        if (legacyJson) parentOf.set(legacyJson[1]!, (JSON.parse(text.toString('utf8')) as { parent?: string }).parent ?? null);
        else manifest = (JSON.parse(text.toString('utf8')) as Manifest[])[0];
        p.entry(header, text, (err) => (err ? fail(err) : next()));
      } else if (legacyLayer) {
        const d = depth(legacyLayer[1]!);
        if (d === undefined) {
          // Its ancestors are further on in the archive: set aside until the chain is known.
          tmp ??= await mkdtemp(path.join(os.tmpdir(), 'greenlight-ship-'));
          const file = path.join(tmp, `${pending.length}.tar`);
          await new Promise<void>((resolve, reject) => {
            const w = createWriteStream(file, { mode: 0o600 });
            w.on('finish', () => resolve());
            w.on('error', reject);
            stream.on('error', reject);
            stream.pipe(w);
          });
          pending.push({ header, file });
          next();
        } else if (d < shared) {
          decided.set(name, 'skipped');
          stream.on('end', () => next());
          stream.resume();
        } else {
          decided.set(name, 'sent');
          passEntry(header, stream, next);
        }
      } else {
        if (blob) decided.set(name, 'sent');
        passEntry(header, stream, next);
      }
    })().catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))));
  });
  x.on('finish', () => {
    void (async () => {
      for (const { header, file } of pending) {
        const dir = header.name.replace(/^\.\//, '').split('/')[0]!;
        const d = depth(dir);
        // A chain that never resolves is sent: more bytes, never a missing layer.
        if (d !== undefined && d < shared) decided.set(header.name, 'skipped');
        else {
          decided.set(header.name, 'sent');
          await new Promise<void>((resolve, reject) => {
            const entry = p.entry(header, (err) => (err ? reject(err) : resolve()));
            entry.on('error', reject);
            createReadStream(file).on('error', reject).pipe(entry as unknown as NodeJS.WritableStream);
          });
        }
      }
      if (!manifest) throw new Error('the saved archive has no manifest.json');
      // The manifest lists the layers base first: every choice must agree with it.
      manifest.Layers.forEach((l, i) => {
        const want = i < shared ? 'skipped' : 'sent';
        const got = decided.get(l) ?? decided.get(`./${l}`);
        if (got !== undefined && got !== want) throw new Error(`layer ${i + 1} (${l}) was ${got} although the host ${i < shared ? 'has' : 'lacks'} it`);
      });
      const skipped = [...decided.values()].filter((v) => v === 'skipped').length;
      p.finalize();
      settled = true;
      settle.resolve({ skipped, sent: manifest.Layers.length - skipped });
    })()
      .catch((e: unknown) => fail(e instanceof Error ? e : new Error(String(e))))
      .finally(() => (tmp ? rm(tmp, { recursive: true, force: true }) : undefined));
  });
  x.on('error', (e: Error) => fail(e));
  p.on('error', (e: Error) => fail(e));
  save.on('error', (e: Error) => fail(e));
  save.pipe(x as unknown as NodeJS.WritableStream);
  // tar-stream's pack is a streamx Readable; piping it into a Node PassThrough gives the callers
  // (the engine client) an ordinary Node stream.
  (p as unknown as Readable).pipe(out);
  return {
    body: out,
    result,
    failure: () => failed,
    abort: (why) => {
      if (settled) return;
      settled = true;
      settle.reject(why);
      out.destroy();
      save.destroy();
      x.destroy();
    },
  };
}
