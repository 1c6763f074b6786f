import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chooseDockerEndpoint, describeDockerEndpoint, hostOptions, modemOptions } from '../../../src/core/images/adapters/dockerContextAdapter';

/** Writes a context the way `docker context create` does (meta.json under the sha256 of the name). */
function addContext(configDir: string, name: string, host: string): void {
  const dir = path.join(configDir, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
}

suite('(unit) images: the Docker endpoint, found as the docker CLI finds it', () => {
  let home: string;
  let configDir: string;
  setup(() => {
    home = mkdtempSync(path.join(tmpdir(), 'greenlight-dockerctx-'));
    configDir = path.join(home, '.docker');
    mkdirSync(configDir);
    addContext(configDir, 'remote', 'ssh://deploy@198.18.77.2:2222');
    addContext(configDir, 'colima', 'unix:///home/u/.colima/default/docker.sock');
  });
  teardown(() => rmSync(home, { recursive: true, force: true }));

  test('nothing configured: docker-modem\'s default (Docker Desktop\'s user socket, else /var/run/docker.sock)', () => {
    const c = chooseDockerEndpoint({}, home);
    assert.deepEqual(c, { source: 'default' });
    assert.deepEqual(modemOptions(c, {}), {}, 'docker-modem chooses the socket itself');
  });

  test('the current context of config.json (docker context use)', () => {
    writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: {}, currentContext: 'colima' }));
    const c = chooseDockerEndpoint({}, home);
    assert.equal(c.source, 'context');
    assert.equal(describeDockerEndpoint(c), 'unix:///home/u/.colima/default/docker.sock (docker context colima)');
    assert.deepEqual(modemOptions(c, {}), { socketPath: '/home/u/.colima/default/docker.sock' });
  });

  test('DOCKER_CONTEXT over config.json; DOCKER_HOST over both; "default" is the default', () => {
    writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ currentContext: 'colima' }));
    const ssh = chooseDockerEndpoint({ DOCKER_CONTEXT: 'remote' }, home);
    assert.ok(ssh.source === 'context' && ssh.context === 'remote');
    assert.deepEqual(modemOptions(ssh, { SSH_AUTH_SOCK: '/run/agent' }), { protocol: 'ssh', host: '198.18.77.2', port: 2222, username: 'deploy', sshOptions: { agent: '/run/agent' } });
    assert.deepEqual(chooseDockerEndpoint({ DOCKER_CONTEXT: 'remote', DOCKER_HOST: 'tcp://127.0.0.1:2375' }, home), { source: 'DOCKER_HOST', host: 'tcp://127.0.0.1:2375' });
    assert.deepEqual(chooseDockerEndpoint({ DOCKER_CONTEXT: 'default' }, home), { source: 'default' });
  });

  test('DOCKER_CONFIG moves the configuration directory', () => {
    const other = path.join(home, 'elsewhere');
    mkdirSync(other);
    addContext(other, 'ci', 'tcp://127.0.0.1:2375');
    writeFileSync(path.join(other, 'config.json'), JSON.stringify({ currentContext: 'ci' }));
    const c = chooseDockerEndpoint({ DOCKER_CONFIG: other }, home);
    assert.deepEqual(modemOptions(c, {}), { protocol: 'http', host: '127.0.0.1', port: 2375 });
  });

  test('a context that does not exist is an error that names it and where it was chosen', () => {
    assert.throws(() => chooseDockerEndpoint({ DOCKER_CONTEXT: 'gone' }, home), /docker context "gone" \(from DOCKER_CONTEXT\) does not exist/);
    writeFileSync(path.join(configDir, 'config.json'), '{ not json');
    assert.throws(() => chooseDockerEndpoint({}, home), /config\.json is not valid JSON/);
  });

  test('endpoint URLs as docker-modem options', () => {
    assert.deepEqual(hostOptions('unix:///var/run/docker.sock'), { socketPath: '/var/run/docker.sock' });
    assert.deepEqual(hostOptions('tcp://127.0.0.1:2376'), { protocol: 'https', host: '127.0.0.1', port: 2376 });
    assert.deepEqual(hostOptions('tcp://127.0.0.1:2375', { cert: Buffer.from('c') }), { protocol: 'https', host: '127.0.0.1', port: 2375, cert: Buffer.from('c') });
    assert.deepEqual(hostOptions('127.0.0.1:2375'), { protocol: 'http', host: '127.0.0.1', port: 2375 });
    assert.throws(() => hostOptions('fd://'), /unsupported Docker endpoint/);
  });
});
