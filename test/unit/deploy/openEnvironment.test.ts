import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { configSchema } from '../../../src/core/config/schema';
import { openEnvironment } from '../../../src/core/deploy/session';
import { Secret } from '../../../src/core/common/secret';

// The one door to an environment, against a loopback host that accepts TCP and never says its SSH
// banner (the panel's "hanging host"): the options decide whether secrets are required and how
// quickly such a host fails; nothing is connected before the secrets are known to be there.
suite('(unit) deploy: openEnvironment, the one way to open an environment', () => {
  let server: net.Server;
  let port = 0;
  let connections = 0;
  let dir: string;
  let keyFile: string;
  let hostKey: string;
  const sockets = new Set<net.Socket>();

  suiteSetup(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gl-open-env-'));
    keyFile = path.join(dir, 'id');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    hostKey = readFileSync(`${keyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    server = net.createServer((s) => {
      connections++;
      sockets.add(s);
      s.on('error', () => undefined);
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

  function project() {
    const config = configSchema.parse({
      project: 'shop',
      services: [{ name: 'api', port: 3000, health: { path: '/healthz' } }],
      environments: {
        production: {
          ssh: { host: '127.0.0.1', port, user: 'deploy', identityFile: keyFile, hostKey },
          database: { name: 'shop', user: 'shop', passwordEnv: 'GL_TEST_OPEN_ENV_PASSWORD' },
        },
      },
    });
    return { config, root: dir };
  }

  const ctx = { signal: new AbortController().signal, log: () => undefined };

  test('a required but unset password is an error before any connection is made', async () => {
    const before = connections;
    await assert.rejects(openEnvironment(ctx, { project: project(), envName: 'production', vars: {}, retryForMs: 0 }), /\$GL_TEST_OPEN_ENV_PASSWORD, which is not set/);
    assert.equal(connections, before);
  });

  test('with a banner timeout a silent host fails quickly, naming what happened', async () => {
    const started = Date.now();
    await assert.rejects(
      openEnvironment(ctx, { project: project(), envName: 'production', needsSecrets: false, retryForMs: 0, bannerTimeoutMs: 400, readyTimeoutMs: 30_000 }),
      /ssh 127\.0\.0\.1:\d+: the connection was accepted, but no SSH server answered/,
    );
    assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
  });

  test('secrets given already wrapped (the editor) are used as they are, the variables not read', async () => {
    const before = connections;
    // The password variable is unset; with secrets given that is no error, so the connection is tried.
    await assert.rejects(
      openEnvironment(ctx, { project: project(), envName: 'production', secrets: { dbPassword: new Secret('pw'), env: {} }, retryForMs: 0, bannerTimeoutMs: 300 }),
      /no SSH server answered/,
    );
    assert.ok(connections > before, 'the host was contacted');
  });

  test('an unknown environment is named with the known ones', async () => {
    await assert.rejects(openEnvironment(ctx, { project: project(), envName: 'staging', needsSecrets: false }), /no environment "staging" in greenlight\.yaml \(known: production\)/);
  });
});
