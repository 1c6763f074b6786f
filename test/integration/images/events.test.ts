// The engine's image events, as the background service follows them to refresh the Images view:
// changes made with the docker CLI in a terminal (tag, rmi) must arrive, and aborting must end the
// stream without an error.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DockerEngine, ImageEvent } from '../../../src/core/images/docker';
import { requireDocker, uniqueName } from './bed';

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

suite('(integration) images: image events from the real engine', function () {
  this.timeout(120_000);
  let engine: DockerEngine;
  let dir: string;
  const repo = uniqueName('glevents');

  suiteSetup(async () => {
    engine = await requireDocker();
    dir = mkdtempSync(path.join(tmpdir(), 'gl-events-'));
    writeFileSync(path.join(dir, 'hello.txt'), `${repo}\n`);
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    docker('build', '--network', 'none', '-q', '-t', `${repo}:one`, dir);
  });
  suiteTeardown(() => {
    for (const tag of ['one', 'two']) {
      try {
        docker('rmi', '-f', `${repo}:${tag}`);
      } catch {
        // Already removed by the test.
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a docker tag and a docker rmi in a terminal arrive as tag and untag/delete events; abort ends the watch quietly', async () => {
    const events: ImageEvent[] = [];
    const ac = new AbortController();
    const watching = engine.watchImageEvents((e) => events.push(e), ac.signal);
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      const end = Date.now() + 30_000;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // The subscription is live only once the daemon answered the request, which the watch does
    // not report: tag until the first event arrives instead of guessing a delay.
    for (let i = 0; i < 20 && !events.some((e) => e.action === 'tag'); i++) {
      docker('tag', `${repo}:one`, `${repo}:two`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await until('a tag event', () => events.some((e) => e.action === 'tag'));
    const id = docker('image', 'inspect', '-f', '{{.Id}}', `${repo}:one`).trim();
    assert.ok(events.some((e) => e.action === 'tag' && e.id === id), `the tag event names the image ID ${id}: ${JSON.stringify(events)}`);
    const seen = events.length;
    docker('rmi', `${repo}:two`);
    await until('an untag event', () => events.slice(seen).some((e) => e.action === 'untag'));
    docker('rmi', `${repo}:one`);
    await until('a delete event', () => events.slice(seen).some((e) => e.action === 'delete' && e.id === id));
    ac.abort();
    await watching;
  });

  test('an engine that cannot be reached rejects the watch with the reason', async () => {
    const { connectDocker } = await import('../../../src/core/images/adapters/dockerodeAdapter');
    const nowhere = connectDocker(`unix://${path.join(tmpdir(), 'gl-no-such-docker.sock')}`);
    await assert.rejects(nowhere.watchImageEvents(() => undefined, new AbortController().signal), /ENOENT|connect/);
  });
});
