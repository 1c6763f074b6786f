import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { httpProbe, isHealthyStatus } from '../../../src/core/common/httpProbe';

/** A loopback server like the services Greenlight deploys: Node's defaults (allowHalfOpen false). */
async function serve(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

const connectTo = (port: number) => () =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });

suite('(unit) health probe: one HTTP/1.1 client for image tests and deploys', () => {
  test('an async health handler (awaits before answering) is healthy: the probe does not half-close', async () => {
    const srv = await serve(async (_req, res) => {
      await new Promise((r) => setTimeout(r, 150));
      res.end('{"ok":true}');
    });
    try {
      const p = await httpProbe(connectTo(srv.port), { address: '127.0.0.1', port: srv.port, path: '/healthz' });
      assert.equal(p.status, 200, p.error);
      assert.equal(p.body, '{"ok":true}');
    } finally {
      await srv.close();
    }
  });

  test('the Host header is the configured one (what ALLOWED_HOSTS and proxies check)', async () => {
    const srv = await serve((req, res) => {
      res.statusCode = req.headers.host === 'app.example.test' ? 204 : 400;
      res.end();
    });
    try {
      assert.equal((await httpProbe(connectTo(srv.port), { address: '127.0.0.1', port: srv.port, path: '/', hostHeader: 'app.example.test' })).status, 204);
      assert.equal((await httpProbe(connectTo(srv.port), { address: '127.0.0.1', port: srv.port, path: '/' })).status, 400);
    } finally {
      await srv.close();
    }
  });

  test('a server that says nothing times out; one that closes at once says so; a refused connection says why', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const closing = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => closing.listen(0, '127.0.0.1', r));
    try {
      const a = await httpProbe(connectTo((silent.address() as net.AddressInfo).port), { address: 'x', port: 1, path: '/', timeoutMs: 200 });
      assert.match(a.error ?? '', /no answer within 200 ms/);
      const b = await httpProbe(connectTo((closing.address() as net.AddressInfo).port), { address: 'x', port: 1, path: '/' });
      assert.match(b.error ?? '', /closed without an answer/);
      const c = await httpProbe(() => Promise.reject(new Error('Connection refused')), { address: 'x', port: 1, path: '/' });
      assert.equal(c.error, 'Connection refused');
    } finally {
      silent.close();
      closing.close();
    }
  });

  test('accepted statuses: any 2xx by default, exactly the configured ones otherwise', () => {
    assert.equal(isHealthyStatus(204), true);
    assert.equal(isHealthyStatus(301), false);
    assert.equal(isHealthyStatus(301, [200, 301]), true);
    assert.equal(isHealthyStatus(204, [200]), false);
  });
});
