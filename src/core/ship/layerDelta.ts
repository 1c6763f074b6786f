// Only the layers the host lacks, with no registry. An image's layers form a chain; an engine
// that already holds a prefix of that chain (the base layers of an earlier version: the runtime,
// the system libraries) needs only the rest. `docker load` looks up every layer of the archive by
// its chain ID in the engine's layer store and reads the layer's tar only when it is missing, so
// an archive without the tars of layers the host has loads to the very same image, whose ID the
// ship then compares with the local one as always.
//
// The archive `docker save` writes names its manifest last, so the local save goes to a
// temporary file first (local disk, quick), its manifest and config are read from it, and the
// archive is streamed again without the tars of the shared prefix.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';

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

export interface SavedArchive {
  readonly file: string;
  /** The archive's layer tar paths, in the image's layer order. */
  readonly layerPaths: readonly string[];
  readonly diffIds: readonly string[];
  readonly bytes: number;
  close(): Promise<void>;
}

interface Manifest {
  readonly Config: string;
  readonly Layers: readonly string[];
}

/** Writes a `docker save` stream to a temporary file and reads its manifest and config from it. */
export async function spoolArchive(save: Readable): Promise<SavedArchive> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'greenlight-ship-'));
  const file = path.join(dir, 'image.tar');
  const close = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    let bytes = 0;
    save.on('data', (d: Buffer) => (bytes += d.length));
    await pipeline(save, createWriteStream(file, { mode: 0o600 }));
    const small = await readEntries(file, (name) => name === 'manifest.json' || /^[^/]+\.json$/.test(name));
    const manifestText = small.get('manifest.json');
    if (!manifestText) throw new Error('the saved archive has no manifest.json');
    const manifest = (JSON.parse(manifestText) as Manifest[])[0];
    if (!manifest) throw new Error('the saved archive names no image');
    const configText = small.get(manifest.Config) ?? (await readEntries(file, (n) => n === manifest.Config)).get(manifest.Config);
    if (!configText) throw new Error(`the saved archive has no config ${manifest.Config}`);
    const diffIds = (JSON.parse(configText) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.Layers.length) throw new Error(`the saved archive lists ${manifest.Layers.length} layers for ${diffIds.length} in its config`);
    return { file, layerPaths: manifest.Layers, diffIds, bytes, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The text of the entries whose names `want` accepts (small JSON files only). */
async function readEntries(file: string, want: (name: string) => boolean): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const x = extract();
  x.on('entry', (header, stream, next) => {
    if (header.type === 'file' && want(header.name) && (header.size ?? 0) < 16 * 1024 * 1024) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: unknown) => void chunks.push(d as Buffer));
      stream.on('end', () => {
        found.set(header.name, Buffer.concat(chunks).toString('utf8'));
        next();
      });
    } else {
      stream.on('end', () => next());
      stream.resume();
    }
  });
  await pipeline(createReadStream(file), x);
  return found;
}

/**
 * The archive again, without the layer tars in `skip` (archive paths). Everything else — the
 * manifest, the config, the layers' metadata — passes unchanged, so the engine sees the same image.
 */
export function withoutLayers(file: string, skip: ReadonlySet<string>): Readable {
  const x = extract();
  const p = pack();
  const out = new PassThrough();
  x.on('entry', (header, stream, next) => {
    if (skip.has(header.name)) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    const entry = p.entry(header, (err) => (err ? x.destroy(err) : next()));
    stream.pipe(entry);
  });
  x.on('finish', () => p.finalize());
  x.on('error', (e) => out.destroy(e));
  p.on('error', (e: Error) => out.destroy(e));
  createReadStream(file)
    .on('error', (e) => out.destroy(e))
    .pipe(x);
  // tar-stream's pack is a streamx Readable; piping it into a Node PassThrough gives the callers
  // (the engine client) an ordinary Node stream.
  (p as unknown as Readable).pipe(out);
  return out;
}
