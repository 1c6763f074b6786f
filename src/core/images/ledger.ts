// The tested-image ledger: which image IDs were tested, how, and with what result. It is keyed by
// image ID, never by tag, because a tag can be rebuilt to different bytes: only the bytes that
// passed are "tested". Kept in <workspace>/.greenlight/tested-images.json, written atomically
// under a lock so the CLI and the editor's service can both record results.
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { ensureStateDir, withFileLock, writeFileAtomic } from './stateDir';

export interface TestRecord {
  imageId: string;
  service: string;
  version: string;
  tags: string[];
  gitSha: string;
  testCommand?: string[];
  result: 'passed' | 'failed';
  durationMs: number;
  logExcerpt: string;
  snapshot?: string;
  testedAt: string;
  /** Full test log, relative to the workspace (an addition to the shared contract; may be absent). */
  logFile?: string;
}

export interface TestedImageLedger {
  /** Appends a record; the newest record for an image ID is the one that counts. */
  record(r: TestRecord): Promise<void>;
  /** The latest record for the image ID. */
  get(imageId: string): TestRecord | undefined;
  /** True only when the latest record for this exact image ID passed. */
  isTested(imageId: string): boolean;
  /** The latest record of every image ID, newest first. */
  list(): TestRecord[];
  /** Every record ever made for the image ID, oldest first. */
  history(imageId: string): TestRecord[];
}

export const LEDGER_FILE = 'tested-images.json';
/** Records kept per image ID: enough history to see flakiness, bounded so the file stays small. */
const MAX_HISTORY = 20;

const recordSchema = z.object({
  imageId: z.string().min(1),
  service: z.string(),
  version: z.string(),
  tags: z.array(z.string()),
  gitSha: z.string(),
  testCommand: z.array(z.string()).optional(),
  result: z.enum(['passed', 'failed']),
  durationMs: z.number(),
  logExcerpt: z.string(),
  snapshot: z.string().optional(),
  testedAt: z.string(),
  logFile: z.string().optional(),
});

const fileSchema = z.object({ version: z.literal(1), images: z.record(z.string(), z.array(recordSchema)) });
type LedgerFile = z.infer<typeof fileSchema>;

/** Image IDs are compared in their full "sha256:<hex>" form whatever form the caller has. */
export function normalizeImageId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id;
}

function readLedgerFile(file: string): LedgerFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, images: {} };
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: the tested-image ledger is not valid JSON (${(e as Error).message}); move it aside to start a new one`);
  }
  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: the tested-image ledger has an unexpected shape at ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  return parsed.data;
}

function stamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'absent';
  }
}

export async function openLedger(workspaceRoot: string): Promise<TestedImageLedger> {
  const dir = await ensureStateDir(workspaceRoot);
  const file = path.join(dir, LEDGER_FILE);
  const lock = path.join(dir, `${LEDGER_FILE}.lock`);
  let data = readLedgerFile(file);
  let seen = stamp(file);
  // Reads are synchronous (the deploy gate asks "is this tested?" in a plain condition), and
  // cheap: the file is re-read only when another process has replaced it since.
  const current = (): LedgerFile => {
    const now = stamp(file);
    if (now !== seen) {
      data = readLedgerFile(file);
      seen = now;
    }
    return data;
  };

  const latest = (id: string): TestRecord | undefined => {
    const h = current().images[normalizeImageId(id)];
    return h?.[h.length - 1];
  };

  return {
    async record(r) {
      const rec = recordSchema.parse({ ...r, imageId: normalizeImageId(r.imageId) });
      await withFileLock(lock, async () => {
        // Re-read under the lock: another process may have recorded since this one opened.
        const fresh = readLedgerFile(file);
        const h = fresh.images[rec.imageId] ?? [];
        h.push(rec);
        fresh.images[rec.imageId] = h.slice(-MAX_HISTORY);
        await writeFileAtomic(file, JSON.stringify(fresh, null, 2) + '\n');
        data = fresh;
        seen = stamp(file);
      });
    },
    get: (id) => latest(id),
    isTested: (id) => latest(id)?.result === 'passed',
    list: () =>
      Object.values(current().images)
        .map((h) => h[h.length - 1])
        .filter((r): r is TestRecord => r !== undefined)
        .sort((a, b) => b.testedAt.localeCompare(a.testedAt)),
    history: (id) => [...(current().images[normalizeImageId(id)] ?? [])],
  };
}
