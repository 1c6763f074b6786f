// Tells the views when local state changed outside the editor's own jobs. A `greenlight build`,
// `test` or `export` in a terminal writes .greenlight/build-version.json, builds/<version>.json,
// tested-images.json or exports.json, and the Images view should show it without a manual
// refresh; a `greenlight migrate up` writes .greenlight/pglite.changed when it closes the local
// database, and the migration panel should show the new states; a `greenlight deploy`, `rollback`
// or `backup` writes .greenlight/environments.changed, and the Environments and Backups views
// should read the host again. The language client's file
// watcher (src/extension/serviceClient.ts) reports those files; the service turns a burst of them
// into one StateChangedNotification per area.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'vscode-languageserver/node';
import { STATE_DIR_NAME } from '../core/images/stateDir';
import { ENVIRONMENTS_CHANGED_FILE } from '../core/deploy/localActivity';
import { LOCAL_DATABASE_CHANGED_FILE } from '../core/migrate/target';
import type { ServiceFeature } from './features';
import { StateChangedNotification } from './protocol';

/** A build writes two files and a test run several within milliseconds: one refresh for the lot. */
export const LOCAL_STATE_DEBOUNCE_MS = 250;

export type LocalStateArea = 'images' | 'migrations' | 'environments' | 'backups';

/** Which views a changed file under .greenlight/ concerns (none for any other file). */
export function localStateAreasOf(file: string): readonly LocalStateArea[] {
  const parts = file.split(/[\\/]/);
  const i = parts.lastIndexOf(STATE_DIR_NAME);
  if (i < 0) return [];
  const rest = parts.slice(i + 1);
  const name = rest[rest.length - 1] ?? '';
  if (rest.length === 1 && name === LOCAL_DATABASE_CHANGED_FILE) return ['migrations'];
  // A deploy takes a backup, a restore and a prune change the list: both views read the host again.
  if (rest.length === 1 && name === ENVIRONMENTS_CHANGED_FILE) return ['environments', 'backups'];
  // Atomic writes go through "<file>.<pid>.<hex>.tmp"; only the final rename counts.
  if (path.extname(name) !== '.json') return [];
  return rest.length === 1 || (rest.length === 2 && rest[0] === 'builds') ? ['images'] : [];
}

export function localStateChanges(connection: Connection, debounceMs = LOCAL_STATE_DEBOUNCE_MS): ServiceFeature {
  const timers = new Map<LocalStateArea, NodeJS.Timeout>();
  connection.onDidChangeWatchedFiles((e) => {
    const areas = new Set(e.changes.flatMap((c) => (c.uri.startsWith('file:') ? localStateAreasOf(fileURLToPath(c.uri)) : [])));
    for (const area of areas) {
      clearTimeout(timers.get(area));
      timers.set(
        area,
        setTimeout(() => void connection.sendNotification(StateChangedNotification, { area }), debounceMs),
      );
    }
  });
  return { capabilities: {}, initialize: () => undefined, initialized: () => undefined };
}
