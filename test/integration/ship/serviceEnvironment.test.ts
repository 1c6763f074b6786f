// The service's jobs open environments through the engine's one door (core/deploy/session.ts
// openEnvironment), against the test bed's production host: the host-key check of the editor's
// "Trust this key" flow (the pinned key, no key, a wrong key) and the Environments view's status
// read on a host that accepts connections and then says nothing (an error row in seconds).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { quietContext } from '../../../src/core/common/job';
import { deployHostKeyJob } from '../../../src/service/jobs/deployHostKey';
import { deployStatusJob } from '../../../src/service/jobs/status';
import { testbed } from '../testbed';

suite('(integration) service: jobs open environments through openEnvironment', function () {
  this.timeout(120_000);
  let root: string;
  let silent: net.Server;
  let otherKey: string;

  suiteSetup(async () => {
    const tb = testbed();
    root = mkdtempSync(path.join(tmpdir(), 'gl-service-env-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(root, 'other')]);
    otherKey = readFileSync(path.join(root, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const silentPort = (silent.address() as net.AddressInfo).port;
    const ssh = `host: ${tb.sshHost}, port: ${tb.sshPort}, user: ${tb.sshUser}, identityFile: ${tb.sshKeyFile}`;
    writeFileSync(
      path.join(root, 'greenlight.yaml'),
      [
        'project: serviceenv',
        'services: [{ name: web, port: 8080, health: { path: /health } }]',
        'environments:',
        `  production: { ssh: { ${ssh}, hostKey: "${tb.hostKey}" }, docker: { socket: ${tb.prodDockerSock} } }`,
        `  changed: { ssh: { ${ssh}, hostKey: "${otherKey}" } }`,
        `  hanging: { ssh: { host: 127.0.0.1, port: ${silentPort}, user: nobody, identityFile: ${tb.sshKeyFile}, hostKey: "${tb.hostKey}" } }`,
        '',
      ].join('\n'),
    );
  });

  suiteTeardown(() => {
    silent?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('the host-key check reports the pinned key as trusted', async () => {
    const r = await deployHostKeyJob({ workspaceRoot: root, env: 'production' }, quietContext());
    assert.equal(r.status, 'trusted', JSON.stringify(r));
    assert.equal(r.host, testbed().sshHost);
  });

  test('the host-key check reports a different key as changed, with what the host offers', async () => {
    const r = await deployHostKeyJob({ workspaceRoot: root, env: 'changed' }, quietContext());
    assert.equal(r.status, 'changed', JSON.stringify(r));
    assert.match(r.fingerprint ?? '', /^SHA256:/);
    assert.equal(r.keyLine, testbed().hostKey);
  });

  test('the status read of a host that never answers is an error row within its timeout', async () => {
    const started = Date.now();
    const r = await deployStatusJob({ workspaceRoot: root, env: 'hanging', timeoutMs: 3000 }, quietContext());
    assert.equal(r.reachable, false);
    assert.match(r.problem ?? '', /nobody@127\.0\.0\.1:\d+ did not answer within 3 s/);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });

  test('the status read of the production host is reachable, and shows the service is not deployed there', async () => {
    const r = await deployStatusJob({ workspaceRoot: root, env: 'production', timeoutMs: 20_000 }, quietContext());
    assert.equal(r.reachable, true, r.problem);
    assert.deepEqual(r.services.map((s) => s.service), ['web']);
  });
});
