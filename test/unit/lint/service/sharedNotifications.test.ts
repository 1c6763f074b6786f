import * as assert from 'node:assert/strict';
import type { Connection, DidChangeWatchedFilesParams } from 'vscode-languageserver/node';
import { shareNotifications } from '../../../../src/service/sharedNotifications';

suite('(unit) lint service: shared notifications', () => {
  test('every feature gets watched-file and configuration events, not only the last one to subscribe', () => {
    // A connection double with vscode-languageserver's behaviour: one handler per method.
    const handlers = new Map<string, (p: unknown) => void>();
    const fake = {
      onDidChangeWatchedFiles: (h: (p: unknown) => void) => handlers.set('watched', h),
      onDidChangeConfiguration: (h: (p: unknown) => void) => handlers.set('config', h),
      console: { log: () => undefined },
    } as unknown as Connection;
    const shared = shareNotifications(fake);
    const seen: string[] = [];
    shared.onDidChangeWatchedFiles(() => void seen.push('a'));
    const b = shared.onDidChangeWatchedFiles(() => void seen.push('b'));
    shared.onDidChangeConfiguration(() => void seen.push('c'));
    handlers.get('watched')!({ changes: [] } satisfies DidChangeWatchedFilesParams);
    handlers.get('config')!({ settings: null });
    assert.deepEqual(seen, ['a', 'b', 'c']);
    b.dispose();
    handlers.get('watched')!({ changes: [] });
    assert.deepEqual(seen, ['a', 'b', 'c', 'a']);
    assert.equal(shared.console, fake.console);
  });
});
