// The layer delta on a ~100 MB image whose last layer changed: what it sends (counted by the ship),
// what arrives (the host's image ID and layer digests equal the local ones), and what a transfer
// damaged on the way leaves on the host (no tag, no image of ours, no partial images).
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DockerEngine } from '../../../src/core/images/docker';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { shipImage } from '../../../src/core/ship/ship';
import { bed, connect, recordingContext } from '../deploy/bed';
import { buildNodeVersion } from './deltaImages';

/** The entries of an uncompressed tar in a buffer: name, where its header and data start, its size. */
function tarEntries(tar: Buffer): { name: string; header: number; data: number; size: number }[] {
  const out: { name: string; header: number; data: number; size: number }[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const str = (from: number, len: number): string => h.subarray(from, from + len).toString('latin1').replace(/\0.*$/s, '');
    const prefix = str(345, 155);
    const name = (prefix ? `${prefix}/` : '') + str(0, 100);
    const size = parseInt(str(124, 12).trim() || '0', 8);
    out.push({ name, header: at, data: at + 512, size });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

type Fault = (tar: Buffer) => Buffer;

/** Faults whose archive lacks the manifest: Docker then reads layer folders and asks for the base tar, so the whole image is tried once (and damaged the same way). */
const WHOLE_TRIED_TOO = new Set(['cut before the manifest']);

const entry = (tar: Buffer, want: (name: string) => boolean): { name: string; header: number; data: number; size: number } => {
  const e = tarEntries(tar).find((x) => want(x.name));
  if (!e) throw new Error(`the archive sent has no such entry: ${tarEntries(tar).map((x) => x.name).join(', ')}`);
  return e;
};

const FAULTS: Record<string, Fault> = {
  // One bit of the changed layer's bytes: its digest no longer matches the config's diff ID.
  'a byte of the layer flipped': (tar) => {
    const l = entry(tar, (n) => n.endsWith('/layer.tar'));
    const out = Buffer.from(tar);
    out[l.data + Math.floor(l.size / 2)]! ^= 0xff;
    return out;
  },
  // The config altered in place (still valid JSON): it loads, as an image of another ID.
  'the config altered': (tar) => {
    const c = entry(tar, (n) => /^[0-9a-f]{64}\.json$/.test(n));
    const out = Buffer.from(tar);
    const text = out.subarray(c.data, c.data + c.size).toString('latin1');
    const i = text.indexOf('server.js');
    assert.ok(i >= 0, 'the config names the app');
    out.write('server.jz', c.data + i, 'latin1');
    return out;
  },
  'cut in the middle of the layer': (tar) => {
    const l = entry(tar, (n) => n.endsWith('/layer.tar'));
    return tar.subarray(0, l.data + Math.floor(l.size / 2));
  },
  // Cut exactly where the manifest begins: Docker's legacy loader then reads the layer folders.
  'cut before the manifest': (tar) => tar.subarray(0, entry(tar, (n) => n === 'manifest.json').header),
};

/** The host as the ship sees it, except that every archive it loads goes through `fault` first. */
function faultyHost(host: RemoteHost, fault: Fault, seen: { archives: number }): RemoteHost {
  const engine = host.docker;
  const docker = new Proxy(engine, {
    get(t, p) {
      if (p === 'loadImage') {
        return async (tar: Readable, signal?: AbortSignal): Promise<string[]> => {
          const parts: Buffer[] = [];
          for await (const c of tar) parts.push(c as Buffer);
          seen.archives++;
          return await t.loadImage(Readable.from([fault(Buffer.concat(parts))]), signal);
        };
      }
      const v: unknown = Reflect.get(t, p, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return new Proxy(host, {
    get(t, p) {
      if (p === 'docker') return docker;
      const v: unknown = Reflect.get(t, p, t);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

suite('(integration) ship: the layer delta, verified by digest, nothing half-loaded tagged', function () {
  this.timeout(300000);
  const repo = `delta-it-${randomBytes(3).toString('hex')}`;
  let local: DockerEngine;
  let host: RemoteHost;
  let v1: string;
  let v2: string;

  suiteSetup(async () => {
    local = localDocker();
    v1 = buildNodeVersion(`${repo}:v1`, 'one');
    v2 = buildNodeVersion(`${repo}:v2`, 'two');
    host = await connect(bed(), recordingContext());
  });

  suiteTeardown(async () => {
    for (const ref of [`${repo}:v1`, `${repo}:v2`]) {
      await host?.docker.removeImage(ref).catch(() => undefined);
      await local?.removeImage(ref).catch(() => undefined);
    }
    for (const id of [v2, v1]) if (id) await host?.docker.removeImage(id).catch(() => undefined);
    host?.close();
    local?.close();
  });

  test('a redeploy whose last layer changed sends at most 10 % of the full bytes, and the host has exactly the local image', async () => {
    const l1 = (await local.inspectImage(v1))!.layers;
    const l2 = (await local.inspectImage(v2))!.layers;
    assert.equal(l1.length, 2);
    assert.equal(l1[0], l2[0], 'both versions share their node base layer (build cache)');
    assert.notEqual(l1[1], l2[1], 'the last layer changed');

    const full = await shipImage(recordingContext(), local, host, { image: `${repo}:v1`, mode: 'stream' });
    assert.equal(full.alreadyPresent, false);
    assert.deepEqual(full.layers, { sent: 2, total: 2 });
    assert.ok(full.bytes > 50e6, `the first version goes whole: ${full.bytes} bytes`);

    const ctx = recordingContext();
    const delta = await shipImage(ctx, local, host, { image: `${repo}:v2`, mode: 'stream' });
    assert.deepEqual(delta.layers, { sent: 1, total: 2 });
    assert.ok(delta.bytes <= full.bytes * 0.1, `delta ${delta.bytes} bytes, full ${full.bytes} bytes`);
    const there = await host.docker.inspectImage(`${repo}:v2`);
    assert.equal(there?.id, v2, 'the tag on the host names the local image ID (the config digest)');
    assert.deepEqual(there?.layers, l2, 'and the same layer digests');
    assert.ok(ctx.lines.some((l) => /verified on .*\(1 of 2 layers\)/.test(l)), ctx.lines.join('\n'));
  });

  for (const [what, fault] of Object.entries(FAULTS)) {
    test(`a transfer with ${what} fails and leaves no tag, no image and no partial image on the host`, async () => {
      await host.docker.removeImage(`${repo}:v2`).catch(() => undefined);
      await host.docker.removeImage(v2).catch(() => undefined);
      assert.equal((await host.docker.inspectImage(`${repo}:v1`))?.id, v1, 'the host has the previous version, so only the changed layer goes');
      const seen = { archives: 0 };
      const ctx = recordingContext();
      await assert.rejects(shipImage(ctx, local, faultyHost(host, fault, seen), { image: `${repo}:v2`, mode: 'stream' }), (e: Error) => {
        assert.doesNotMatch(e.message, /dropped .* times/, 'a damaged archive is not a dropped connection');
        return true;
      });
      assert.equal(seen.archives, WHOLE_TRIED_TOO.has(what) ? 2 : 1, `archives sent (the delta; the whole image only when the engine asked for a base layer):\n${ctx.lines.join('\n')}`);
      assert.equal(await host.docker.inspectImage(`${repo}:v2`), undefined, 'no tag on the host');
      assert.equal(await host.docker.inspectImage(v2), undefined, 'no image of that ID on the host');
      const l2 = (await local.inspectImage(v2))!.layers;
      const partial = (await host.docker.listImages()).filter((i) => i.repoTags.length === 0 && i.layers.length <= l2.length && i.layers.every((d, k) => d === l2[k]));
      assert.deepEqual(
        partial.map((i) => i.id),
        [],
        `no untagged image made of this version's layers is left:\n${ctx.lines.join('\n')}`,
      );
      assert.equal((await host.docker.inspectImage(`${repo}:v1`))?.id, v1, 'the previous version is untouched');
    });
  }

  test('after the damaged transfers, an intact one lands and is tagged', async () => {
    const r = await shipImage(recordingContext(), local, host, { image: `${repo}:v2`, mode: 'stream' });
    assert.deepEqual(r.layers, { sent: 1, total: 2 });
    assert.equal((await host.docker.inspectImage(`${repo}:v2`))?.id, v2);
  });
});
