import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadDuring, runLoad } from '../../load/loadGenerator';

suite('load generator: a load that outlasts the operation it measures', () => {
  let server: http.Server;
  let port: number;
  suiteSetup(async () => {
    server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  suiteTeardown(() => new Promise<void>((r) => server.close(() => r())));

  test('with `until`, the count is a minimum: it keeps sending at the rate until the promise settles and the tail passes', async () => {
    const t0 = Date.now();
    const until = new Promise((r) => setTimeout(r, 600));
    const r = await runLoad({ host: '127.0.0.1', port, requests: 5, concurrency: 2, ratePerSecond: 50, timeLimitMs: 10_000, until, tailMs: 300 });
    assert.equal(r.failed, 0);
    assert.ok(r.endedAt - t0 >= 900, `ended ${r.endedAt - t0} ms after the start, before the operation and its tail`);
    assert.ok(r.sent > 30 && r.sent < 80, `about 50/s for ~0.9 s, sent ${r.sent}`);
    assert.equal(r.timedOut, false);
  });

  test('a rejected `until` ends the run the same way; the time limit still bounds one that never settles', async () => {
    const rejected = await runLoad({ host: '127.0.0.1', port, requests: 1, concurrency: 1, ratePerSecond: 50, timeLimitMs: 10_000, until: Promise.reject(new Error('op failed')), tailMs: 100 });
    assert.ok(rejected.sent >= 1 && rejected.sent < 20, `sent ${rejected.sent}`);
    const never = await runLoad({ host: '127.0.0.1', port, requests: 1, concurrency: 1, ratePerSecond: 50, timeLimitMs: 400, until: new Promise(() => undefined) });
    assert.equal(never.timedOut, true);
  });

  test('loadDuring: the load starts before the operation, outlasts it, counts versions; a failing operation still ends the load', async () => {
    const x = await loadDuring({ host: '127.0.0.1', port, requests: 3, concurrency: 2, ratePerSecond: 50, timeLimitMs: 10_000, leadMs: 200, tailMs: 100, versionOf: (body) => `v-${body}` }, async () => {
      await new Promise((r) => setTimeout(r, 400));
      return 'done';
    });
    assert.equal(x.result, 'done');
    assert.ok(x.load.startedAt < x.opEnded - 500 && x.load.endedAt > x.opEnded, `load ${x.load.startedAt}..${x.load.endedAt}, operation ended ${x.opEnded}`);
    assert.deepEqual(Object.keys(x.versions), ['v-ok']);
    assert.equal(x.versions['v-ok'], x.load.ok);
    await assert.rejects(loadDuring({ host: '127.0.0.1', port, requests: 1, concurrency: 1, timeLimitMs: 5_000, leadMs: 0, tailMs: 0, versionOf: String }, () => Promise.reject(new Error('deploy failed'))), /deploy failed/);
  });

  test('without `until`, it stops at the count', async () => {
    const r = await runLoad({ host: '127.0.0.1', port, requests: 7, concurrency: 3, timeLimitMs: 10_000 });
    assert.deepEqual([r.sent, r.ok, r.failed], [7, 7, 0]);
  });
});
