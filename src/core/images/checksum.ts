// Streaming checksums for image artifacts: the export writes `docker save` through gzip to a file
// and hashes the compressed bytes on the way, in one pass; verification re-reads each file and
// compares it with its `.sha256` (the format `sha256sum -c` reads).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface WrittenArtifact {
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Bytes read from the source (uncompressed). */
  readonly sourceBytes: number;
}

/** A pass-through stream that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  readonly #hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

class CountingStream extends Transform {
  bytes = 0;
  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }
}

export interface GzipToFileOptions {
  readonly signal?: AbortSignal;
  readonly level?: number;
  readonly onSourceBytes?: (n: number) => void;
}

/**
 * source → gzip → sha256 → file, in one pass. Written to a temporary name and renamed at the end,
 * so a cancelled or failed export never leaves a file that looks complete.
 */
export async function gzipToFileWithSha256(source: Readable, file: string, opts: GzipToFileOptions = {}): Promise<WrittenArtifact> {
  const tmp = `${file}.partial`;
  const counter = new CountingStream(opts.onSourceBytes);
  const hasher = new HashingStream();
  try {
    // Level 1 is several times faster than the default and loses little on image layers, which
    // are mostly already-compressed binaries.
    await pipeline(source, counter, createGzip({ level: opts.level ?? 1 }), hasher, createWriteStream(tmp), { signal: opts.signal });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { file, sha256: hasher.digest(), bytes: hasher.bytes, sourceBytes: counter.bytes };
}

export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const h = new HashingStream();
  await pipeline(createReadStream(file), h, async function* (src) {
    for await (const _ of src) {
      // Drain: only the hash matters.
    }
  }, { signal });
  return h.digest();
}

export function sha256Line(sha256: string, fileName: string): string {
  return `${sha256}  ${fileName}\n`;
}

/** Parses `sha256sum` output lines ("<hex>  <name>" or "<hex> *<name>"). */
export function parseSha256Lines(text: string): { sha256: string; name: string }[] {
  const out: { sha256: string; name: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trim());
    if (m) out.push({ sha256: (m[1] ?? '').toLowerCase(), name: m[2] ?? '' });
  }
  return out;
}

export interface VerifyResult {
  readonly file: string;
  readonly ok: boolean;
  readonly problem?: string;
}

/** Re-checks every `*.sha256` in dir against the file it names; a mismatch names the file. */
export async function verifyArtifacts(dir: string, signal?: AbortSignal): Promise<VerifyResult[]> {
  const entries = await readdir(dir);
  const sums = entries.filter((f) => f.endsWith('.sha256')).sort();
  const results: VerifyResult[] = [];
  const covered = new Set<string>();
  for (const s of sums) {
    const lines = parseSha256Lines(await readFile(path.join(dir, s), 'utf8'));
    if (lines.length === 0) {
      results.push({ file: s, ok: false, problem: 'no checksum line in the file' });
      continue;
    }
    for (const { sha256, name } of lines) {
      covered.add(name);
      const target = path.join(dir, name);
      try {
        await stat(target);
      } catch {
        results.push({ file: name, ok: false, problem: `missing (named in ${s})` });
        continue;
      }
      const actual = await sha256File(target, signal);
      results.push(actual === sha256 ? { file: name, ok: true } : { file: name, ok: false, problem: `checksum mismatch: expected ${sha256}, got ${actual}` });
    }
  }
  for (const f of entries.filter((e) => e.endsWith('.tar.gz') && !covered.has(e)).sort()) {
    results.push({ file: f, ok: false, problem: 'no .sha256 file names it' });
  }
  return results;
}
