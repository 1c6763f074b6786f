import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { AuthenticationError, HostKeyError, RemoteHost, SshNotConfiguredError } from '../../../src/core/ship/remoteHost';
import { SshConnection } from '../../../src/core/ship/sshAdapter';
import { problemKindOf } from '../../../src/service/jobs/deploySession';
import { bed, recordingContext, type Bed } from '../deploy/bed';

// The four states the editor tells apart ("not configured", "host key not trusted",
// "authentication failed", "unreachable"), each produced against the test bed's real sshd.
suite('(integration) ssh: why a connection failed', function () {
  this.timeout(60000);
  let b: Bed;
  let tmp: string;
  let otherKey: string;
  let agent: string | undefined;

  suiteSetup(() => {
    b = bed();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'gl-connprob-'));
    otherKey = path.join(tmp, 'id_other');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    agent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
  });

  suiteTeardown(() => {
    if (agent !== undefined) process.env.SSH_AUTH_SOCK = agent;
    rmSync(tmp, { recursive: true, force: true });
  });

  test('no identity file and no agent: "not configured", and nothing is even dialled', async () => {
    const server = net.createServer();
    let dialled = 0;
    server.on('connection', (s) => {
      dialled++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const err = await RemoteHost.connect({ host: '127.0.0.1', port, user: 'x', hostKey: b.hostKey }, b.dockerSock, recordingContext(), { retryForMs: 5000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof SshNotConfiguredError, String(err));
      assert.equal(problemKindOf(err), 'not-configured');
      assert.match((err as Error).message, /no identityFile configured .* no SSH agent/);
      const missing = await SshConnection.open({ host: '127.0.0.1', port, user: 'x', identityFile: path.join(tmp, 'nope') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.equal(problemKindOf(missing), 'not-configured');
      assert.equal(dialled, 0);
    } finally {
      server.close();
    }
  });

  test('an unpinned host key: "host key not trusted"', async () => {
    const err = await SshConnection.open({ host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof HostKeyError);
    assert.equal(problemKindOf(err), 'host-key');
  });

  test('a key the server does not accept: "authentication failed", at once and not retried', async () => {
    const started = Date.now();
    const err = await RemoteHost.connect({ host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: otherKey, hostKey: b.hostKey }, b.dockerSock, recordingContext(), { retryForMs: 30000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof AuthenticationError, String(err));
    assert.equal(problemKindOf(err), 'auth');
    assert.ok(Date.now() - started < 10000, `took ${Date.now() - started} ms: it was retried`);
  });

  test('nobody listening: "unreachable"', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const err = await SshConnection.open({ host: '127.0.0.1', port, user: 'x', identityFile: b.sshKey, hostKey: b.hostKey }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error);
    assert.equal(problemKindOf(err), 'unreachable');
  });

  test('"Trust Host Key…" needs no credentials: with none, the host key is still read and compared', async () => {
    const unpinned = await SshConnection.open({ host: b.sshHost, port: b.sshPort, user: b.sshUser }, { hostKeyOnly: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(unpinned instanceof HostKeyError);
    assert.equal(unpinned.verdict.reason, 'unknown');
    // Pinned and right: the key passes, and only the login (with no credentials) is refused.
    const pinned = await SshConnection.open({ host: b.sshHost, port: b.sshPort, user: b.sshUser, hostKey: b.hostKey }, { hostKeyOnly: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(pinned instanceof AuthenticationError, String(pinned));
  });
});
