import * as assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import type { Connection, DidChangeWatchedFilesParams } from 'vscode-languageserver/node';
import { localStateAreasOf, localStateChanges } from '../../../src/service/localStateChanges';

suite('(unit) service: local state changes on disk', () => {
  test('the build, ledger and export records concern the images, the local database marker the migrations, the environments marker the environments and backups; temporary files, logs and other files nothing', () => {
    const images = ['/w/.greenlight/build-version.json', '/w/.greenlight/tested-images.json', '/w/.greenlight/exports.json', '/w/.greenlight/builds/v1234567-20250101-000000.json'];
    const none = [
      '/w/.greenlight/tested-images.json.41.ab12cd34.tmp',
      '/w/.greenlight/test-logs/v1.log',
      '/w/.greenlight/test-logs/x/y.json',
      '/w/.greenlight/pglite.pid',
      '/w/.greenlight/pglite/PG_VERSION',
      '/w/.greenlight/builds/pglite.changed',
      '/w/.greenlight/builds/environments.changed',
      '/w/environments.changed',
      '/w/migrations/001.json',
      '/w/migrations/pglite.changed',
      '/w/greenlight.yaml',
      '/w/.greenlight',
    ];
    for (const f of images) assert.deepEqual(localStateAreasOf(f), ['images'], f);
    assert.deepEqual(localStateAreasOf('/w/.greenlight/pglite.changed'), ['migrations']);
    assert.deepEqual(localStateAreasOf('/w/.greenlight/environments.changed'), ['environments', 'backups']);
    for (const f of none) assert.deepEqual(localStateAreasOf(f), [], f);
  });

  test('a burst of changed records sends one StateChanged per area; unrelated changes send none', async () => {
    let handler: ((p: DidChangeWatchedFilesParams) => void) | undefined;
    const sent: unknown[] = [];
    // Only the two members the feature uses; the real connection is exercised by the host tests.
    const connection = {
      onDidChangeWatchedFiles: (h: (p: DidChangeWatchedFilesParams) => void) => (handler = h),
      sendNotification: (_type: unknown, params: unknown) => void sent.push(params),
    } as unknown as Connection;
    localStateChanges(connection, 20);
    const change = (file: string) => ({ uri: pathToFileURL(file).toString(), type: 2 as const });
    handler!({ changes: [change('/w/migrations/001_a.sql'), change('/w/.greenlight/pglite.pid')] });
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(sent, []);
    handler!({ changes: [change('/w/.greenlight/builds/v1.json')] });
    handler!({ changes: [change('/w/.greenlight/build-version.json'), change('/w/.greenlight/pglite.changed')] });
    handler!({ changes: [change('/w/.greenlight/tested-images.json'), change('/w/.greenlight/environments.changed')] });
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(
      sent.map((p) => (p as { area: string }).area).sort(),
      ['backups', 'environments', 'images', 'migrations'],
    );
  });
});
