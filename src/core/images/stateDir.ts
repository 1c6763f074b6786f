// The workspace's .greenlight/ folder: local state (tested-image ledger, build records, test
// logs, export records) that must never be committed. A `.gitignore` containing `*` inside it
// keeps it out of git even in projects whose own .gitignore does not mention it.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { sleep } from '../common/job';

export const STATE_DIR_NAME = '.greenlight';

export async function ensureStateDir(workspaceRoot: string): Promise<string> {
  const dir = path.join(workspaceRoot, STATE_DIR_NAME);
  await mkdir(dir, { recursive: true });
  const gi = path.join(dir, '.gitignore');
  try {
    await stat(gi);
  } catch {
    await writeFile(gi, '# Local Greenlight state: never commit it.\n*\n');
  }
  return dir;
}

/** Writes a file so that readers see the old or the new content, never half of it. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Runs fn while holding a lock directory, so two processes (the CLI and the editor's service)
 * never interleave read-modify-write of the same file. A lock older than staleMs is from a
 * crashed process and is taken over.
 */
export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, staleMs = 30_000): Promise<T> {
  const deadline = Date.now() + staleMs + 5_000;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        const s = await stat(lockDir);
        if (Date.now() - s.mtimeMs > staleMs) await rm(lockDir, { recursive: true, force: true });
      } catch {
        // It vanished between mkdir and stat: try again.
      }
      if (Date.now() > deadline) throw new Error(`could not take the lock ${lockDir}`);
      await sleep(25 + Math.random() * 50);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
