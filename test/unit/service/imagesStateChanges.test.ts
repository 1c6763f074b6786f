import * as assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import type { Connection, DidChangeWatchedFilesParams } from 'vscode-languageserver/node';
import { imagesStateChanges, isImagesStateFile } from '../../../src/service/imagesStateChanges';

suite('(unit) service: images state changes on disk', () => {
  test('the build, ledger and export records count; temporary files, logs and other JSON do not', () => {
    const yes = ['/w/.greenlight/build-version.json', '/w/.greenlight/tested-images.json', '/w/.greenlight/exports.json', '/w/.greenlight/builds/v1234567-20250101-000000.json'];
    const no = [
      '/w/.greenlight/tested-images.json.41.ab12cd34.tmp',
      '/w/.greenlight/test-logs/v1.log',
      '/w/.greenlight/test-logs/x/y.json',
      '/w/migrations/001.json',
      '/w/greenlight.yaml',
      '/w/.greenlight',
    ];
    for (const f of yes) assert.equal(isImagesStateFile(f), true, f);
    for (const f of no) assert.equal(isImagesStateFile(f), false, f);
  });

  test('a burst of changed records sends one StateChanged {area: images}; unrelated changes send none', async () => {
    let handler: ((p: DidChangeWatchedFilesParams) => void) | undefined;
    const sent: unknown[] = [];
    // Only the two members the feature uses; the real connection is exercised by the host test.
    const connection = {
      onDidChangeWatchedFiles: (h: (p: DidChangeWatchedFilesParams) => void) => (handler = h),
      sendNotification: (_type: unknown, params: unknown) => void sent.push(params),
    } as unknown as Connection;
    imagesStateChanges(connection, 20);
    const change = (file: string) => ({ uri: pathToFileURL(file).toString(), type: 2 as const });
    handler!({ changes: [change('/w/migrations/001_a.sql')] });
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(sent, []);
    handler!({ changes: [change('/w/.greenlight/builds/v1.json')] });
    handler!({ changes: [change('/w/.greenlight/build-version.json')] });
    handler!({ changes: [change('/w/.greenlight/tested-images.json')] });
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(sent, [{ area: 'images' }]);
  });
});
