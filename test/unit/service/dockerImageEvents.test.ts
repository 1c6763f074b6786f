import * as assert from 'node:assert/strict';
import type { Connection } from 'vscode-languageserver/node';
import type { DockerEngine, ImageEvent } from '../../../src/core/images/docker';
import { dockerImageEvents } from '../../../src/service/dockerImageEvents';

/**
 * An engine whose event watch the test drives: each call to watchImageEvents is one connection,
 * which the test feeds events into and then ends or fails. Only the member the feature uses; the
 * real adapter is exercised by test/integration/images/events.test.ts.
 */
function scriptedEngine() {
  const connections: { emit(e: ImageEvent): void; end(): void; fail(e: Error): void; signal: AbortSignal }[] = [];
  const engine = {
    watchImageEvents: (onEvent: (e: ImageEvent) => void, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        connections.push({ emit: onEvent, end: resolve, fail: reject, signal });
      }),
  } as unknown as DockerEngine;
  return { engine, connections };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite('(unit) service: docker image events refresh the Images view', () => {
  const recorder = () => {
    const sent: unknown[] = [];
    const connection = { sendNotification: (_t: unknown, p: unknown) => void sent.push(p) } as unknown as Connection;
    return { sent, connection };
  };

  test('a burst of image events sends one StateChanged {area: images}', async () => {
    const { engine, connections } = scriptedEngine();
    const { sent, connection } = recorder();
    const f = dockerImageEvents(connection, { engine: () => engine, debounceMs: 20, retryMs: 10 });
    f.initialized();
    await tick(5);
    assert.equal(connections.length, 1, 'one watch after initialized');
    connections[0]!.emit({ action: 'untag', id: 'sha256:a' });
    connections[0]!.emit({ action: 'delete', id: 'sha256:a' });
    connections[0]!.emit({ action: 'tag', id: 'sha256:b' });
    await tick(60);
    assert.deepEqual(sent, [{ area: 'images' }]);
    f.dispose!();
    assert.equal(connections[0]!.signal.aborted, true, 'dispose ends the watch');
  });

  test('a failed or ended connection is retried with a growing pause, and events on the new one still count', async () => {
    const { engine, connections } = scriptedEngine();
    const { sent, connection } = recorder();
    const f = dockerImageEvents(connection, { engine: () => engine, debounceMs: 5, retryMs: 20, maxRetryMs: 40 });
    f.initialized();
    await tick(5);
    connections[0]!.fail(new Error('connect ENOENT /var/run/docker.sock'));
    await tick(10);
    assert.equal(connections.length, 1, 'no retry before the pause (2 × 20 ms after a silent failure)');
    await tick(60);
    assert.equal(connections.length, 2, 'retried after the pause');
    connections[1]!.end();
    await tick(100);
    assert.equal(connections.length, 3, 'an ended stream (daemon restart) is followed again');
    connections[2]!.emit({ action: 'load', id: 'sha256:c' });
    await tick(30);
    assert.deepEqual(sent, [{ area: 'images' }]);
    f.dispose!();
    await tick(60);
    assert.equal(connections.length, 3, 'nothing is retried after dispose');
  });
});
