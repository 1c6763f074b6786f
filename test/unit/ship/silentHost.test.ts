import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancelledError } from '../../../src/core/common/job';
import { SshConnection } from '../../../src/core/ship/sshAdapter';

// A host that accepts TCP on loopback but never speaks SSH: ssh2 then reports more than one
// error before 'ready'. None of them may escape as an unhandled 'error' (that would kill the
// CLI or the background service), and a cancelled connect must close the socket.
suite('(unit) ship: SSH to a host that never sends a banner', () => {
  let server: net.Server;
  let port = 0;
  let dir: string;
  let keyFile: string;
  let hostKey: string;
  const sockets = new Set<net.Socket>();
  let closedSockets = 0;

  suiteSetup(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gl-silent-'));
    keyFile = path.join(dir, 'id');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    hostKey = readFileSync(`${keyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => closedSockets++);
      s.on('error', () => undefined);
      // Read (and drop) what arrives, so the server side sees the client's FIN as 'end' and 'close'.
      s.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });

  suiteTeardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('open() rejects once with the reason, and no later error escapes', async () => {
    const escaped: unknown[] = [];
    const onUncaught = (e: unknown): void => void escaped.push(e);
    process.prependListener('uncaughtException', onUncaught);
    try {
      await assert.rejects(
        SshConnection.open({ host: '127.0.0.1', port, user: 'nobody', identityFile: keyFile, hostKey }, { readyTimeoutMs: 300 }),
        /ssh nobody@127\.0\.0\.1:\d+: .*(timed out|handshake)/i,
      );
      // ssh2's later timers would fire within this window if they were still armed.
      await new Promise((r) => setTimeout(r, 1200));
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
    assert.deepEqual(escaped, []);
  });

  test('aborting the connect rejects as cancelled and closes the socket', async () => {
    const before = closedSockets;
    const ac = new AbortController();
    const p = SshConnection.open({ host: '127.0.0.1', port, user: 'nobody', identityFile: keyFile, hostKey }, { signal: ac.signal, readyTimeoutMs: 10000 });
    await new Promise((r) => setTimeout(r, 150));
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
    for (let i = 0; i < 40 && closedSockets === before; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(closedSockets, before + 1, 'the server side saw the connection closed');
  });
});
