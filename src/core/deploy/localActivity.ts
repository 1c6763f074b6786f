// A `greenlight deploy`, `rollback` or `backup create|restore|prune --yes` in a terminal changes what
// an editor's Environments and Backups views show, and those views read the host only when asked.
// The CLI leaves .greenlight/environments.changed behind (which environment, what was done), and
// the editor's background service turns a change of that file into a refresh of both views
// (src/service/localStateChanges.ts). A file that stays on disk is an event no watcher can miss.
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ensureStateDir } from '../images/stateDir';

export const ENVIRONMENTS_CHANGED_FILE = 'environments.changed';

export interface EnvironmentChange {
  readonly env: string;
  readonly action: 'deploy' | 'rollback' | 'backup create' | 'backup restore' | 'backup prune';
  readonly pid: number;
  readonly at: string;
}

/**
 * Records that this process changed an environment. Never fails the command that did the work:
 * a read-only checkout only loses the editor's immediate refresh.
 */
export async function noteEnvironmentChanged(root: string, env: string, action: EnvironmentChange['action']): Promise<void> {
  const change: EnvironmentChange = { env, action, pid: process.pid, at: new Date().toISOString() };
  try {
    const dir = await ensureStateDir(root);
    await writeFile(path.join(dir, ENVIRONMENTS_CHANGED_FILE), `${JSON.stringify(change)}\n`);
  } catch {
    // See above: the views still show the change on their next refresh.
  }
}
