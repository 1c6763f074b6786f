// The real engine reached through a real docker context, made by the docker CLI itself.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chooseDockerEndpoint } from '../../../src/core/images/adapters/dockerContextAdapter';
import { connectDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import { testbed } from '../testbed';

suite('(integration) images: a docker context selects the engine', () => {
  let configDir: string;
  suiteSetup(() => (configDir = mkdtempSync(path.join(tmpdir(), 'greenlight-dockerctx-'))));
  suiteTeardown(() => rmSync(configDir, { recursive: true, force: true }));

  const docker = (...args: string[]): string => execFileSync('docker', args, { env: { ...process.env, DOCKER_CONFIG: configDir, DOCKER_HOST: '' }, encoding: 'utf8' });

  test('`docker context use` of a context at the engine\'s socket: greenlight reaches that engine', async () => {
    docker('context', 'create', 'gl-local', '--docker', `host=unix://${testbed().hostDockerSock}`);
    docker('context', 'use', 'gl-local');
    const choice = chooseDockerEndpoint({ DOCKER_CONFIG: configDir });
    assert.ok(choice.source === 'context' && choice.context === 'gl-local', JSON.stringify(choice));
    const engine = connectDocker(choice);
    await engine.ping();
    assert.match(engine.endpoint, /docker context gl-local/);
  });

  test('a context at a socket where no engine listens fails on that socket, not the default one', async () => {
    const nowhere = path.join(configDir, 'no-engine.sock');
    docker('context', 'create', 'gl-nowhere', '--docker', `host=unix://${nowhere}`);
    const engine = connectDocker(chooseDockerEndpoint({ DOCKER_CONFIG: configDir, DOCKER_CONTEXT: 'gl-nowhere' }));
    await assert.rejects(() => engine.ping(), (e: Error) => e.message.includes(nowhere));
  });
});
