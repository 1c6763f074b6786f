// The lint cache (`greenlight lint --cache`, as ESLint's): per file, the hash of its content and
// the result it got. A rerun lints only files whose content changed; the others are answered
// from the cache without starting a worker. The cache is valid for one tool version, one set of
// rules and one set of options; anything else discards it whole. Files that were not linted
// (over the budget) are never cached, so a raised budget takes effect.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { NOT_LINTED_CODE } from './pool/budget';
import type { LintResult } from './types';

const FORMAT = 1;

interface CacheFile {
  readonly format: number;
  readonly key: string;
  readonly entries: Record<string, { readonly hash: string; readonly result: LintResult }>;
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

export class LintCache {
  readonly #entries: Map<string, { hash: string; result: LintResult }>;
  #changed = false;

  private constructor(
    readonly file: string,
    readonly key: string,
    entries: Map<string, { hash: string; result: LintResult }>,
  ) {
    this.#entries = entries;
  }

  /** Reads the cache at `file`; a missing, unreadable or other-key cache starts empty. */
  static async load(file: string, key: string): Promise<LintCache> {
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
      if (data.format === FORMAT && data.key === key && data.entries && typeof data.entries === 'object') return new LintCache(file, key, new Map(Object.entries(data.entries)));
    } catch {
      // No cache yet, or not ours: start empty (it is only a cache).
    }
    return new LintCache(file, key, new Map());
  }

  get(file: string, hash: string): LintResult | undefined {
    const e = this.#entries.get(file);
    return e?.hash === hash ? e.result : undefined;
  }

  set(file: string, hash: string, result: LintResult): void {
    if (result.findings.some((f) => f.code === NOT_LINTED_CODE)) {
      this.#changed = this.#entries.delete(file) || this.#changed;
      return;
    }
    this.#entries.set(file, { hash, result });
    this.#changed = true;
  }

  /** Writes the cache if it changed (to a temporary file renamed over it, so a crash never leaves half a cache). */
  async save(): Promise<void> {
    if (!this.#changed) return;
    const data: CacheFile = { format: FORMAT, key: this.key, entries: Object.fromEntries(this.#entries) };
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(data));
    await rename(tmp, this.file);
    this.#changed = false;
  }
}
