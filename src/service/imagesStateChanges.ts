// Tells the Images view when the images' local state changed outside the editor's own jobs: a
// `greenlight build`, `test` or `export` in a terminal writes .greenlight/build-version.json,
// builds/<version>.json, tested-images.json or exports.json, and the view should show it without a
// manual refresh. The language client's file watcher (src/extension/serviceClient.ts) reports
// those files; the service turns a burst of them into one StateChangedNotification {area:'images'}.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'vscode-languageserver/node';
import { STATE_DIR_NAME } from '../core/images/stateDir';
import type { ServiceFeature } from './features';
import { StateChangedNotification } from './protocol';

/** A build writes two files and a test run several within milliseconds: one refresh for the lot. */
export const IMAGES_STATE_DEBOUNCE_MS = 250;

/** True for the JSON records in .greenlight/ and .greenlight/builds/ that the Images view shows. */
export function isImagesStateFile(file: string): boolean {
  const parts = file.split(/[\\/]/);
  const i = parts.lastIndexOf(STATE_DIR_NAME);
  if (i < 0) return false;
  const rest = parts.slice(i + 1);
  const name = rest[rest.length - 1] ?? '';
  // Atomic writes go through "<file>.<pid>.<hex>.tmp"; only the final rename counts.
  if (path.extname(name) !== '.json') return false;
  return rest.length === 1 || (rest.length === 2 && rest[0] === 'builds');
}

export function imagesStateChanges(connection: Connection, debounceMs = IMAGES_STATE_DEBOUNCE_MS): ServiceFeature {
  let timer: NodeJS.Timeout | undefined;
  connection.onDidChangeWatchedFiles((e) => {
    if (!e.changes.some((c) => c.uri.startsWith('file:') && isImagesStateFile(fileURLToPath(c.uri)))) return;
    clearTimeout(timer);
    timer = setTimeout(() => void connection.sendNotification(StateChangedNotification, { area: 'images' }), debounceMs);
  });
  return { capabilities: {}, initialize: () => undefined, initialized: () => undefined };
}
