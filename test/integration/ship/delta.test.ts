import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DockerEngine } from '../../../src/core/images/docker';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { shipImage } from '../../../src/core/ship/ship';
import { bed, connect, recordingContext } from '../deploy/bed';

/** Two versions of an app: a 30 MB base layer they share, and a small layer of their own. */
function buildVersion(tag: string, version: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-delta-'));
  try {
    // The same bytes every time: the engine's build cache gives both versions the same base layer.
    writeFileSync(path.join(dir, 'base.bin'), Buffer.alloc(30e6, 'greenlight-delta-base'));
    writeFileSync(path.join(dir, 'app.txt'), `app ${version}\n`.repeat(1000));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY base.bin /base.bin\nCOPY app.txt /app.txt\n');
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', tag, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]).toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

suite('(integration) ship: only the layers the host lacks, no registry', function () {
  this.timeout(180000);
  let local: DockerEngine;
  let host: RemoteHost;
  let v1: string;
  let v2: string;

  suiteSetup(async () => {
    local = localDocker();
    v1 = buildVersion('gl-it-delta:v1', 'one');
    v2 = buildVersion('gl-it-delta:v2', 'two');
    host = await connect(bed(), recordingContext());
    for (const ref of ['gl-it-delta:v1', 'gl-it-delta:v2', v1, v2]) await host.docker.removeImage(ref).catch(() => undefined);
  });

  suiteTeardown(async () => {
    for (const ref of ['gl-it-delta:v1', 'gl-it-delta:v2']) await host?.docker.removeImage(ref).catch(() => undefined);
    host?.close();
    local?.close();
  });

  test('the first version goes whole; the second sends only its own layer, and arrives as the same image', async () => {
    const l1 = (await local.inspectImage(v1))!.layers;
    const l2 = (await local.inspectImage(v2))!.layers;
    assert.equal(l1[0], l2[0], 'the versions share their base layer (build cache)');
    assert.notEqual(l1[1], l2[1]);

    const first = await shipImage(recordingContext(), local, host, { image: 'gl-it-delta:v1', mode: 'stream' });
    assert.deepEqual(first.layers, { sent: 2, total: 2 });
    assert.ok(first.bytes > 30e6, `the whole image: ${first.bytes} bytes`);

    const ctx = recordingContext();
    const second = await shipImage(ctx, local, host, { image: 'gl-it-delta:v2', mode: 'stream' });
    assert.deepEqual(second.layers, { sent: 1, total: 2 });
    assert.ok(second.bytes < first.bytes / 10, `${second.bytes} bytes sent for the second version, ${first.bytes} for the first`);
    assert.ok(ctx.lines.some((l) => /already has 1 of the image's 2 layers/.test(l)), ctx.lines.join('\n'));
    const there = await host.docker.inspectImage('gl-it-delta:v2');
    assert.equal(there?.id, v2, 'the host has exactly the local image');
  });

  test('a host without the base layers gets every layer', async () => {
    await host.docker.removeImage('gl-it-delta:v1').catch(() => undefined);
    await host.docker.removeImage('gl-it-delta:v2').catch(() => undefined);
    const r = await shipImage(recordingContext(), local, host, { image: 'gl-it-delta:v2', mode: 'stream' });
    assert.deepEqual(r.layers, { sent: 2, total: 2 });
    assert.equal((await host.docker.inspectImage('gl-it-delta:v2'))?.id, v2);
  });
});
