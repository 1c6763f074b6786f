import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { chainIds, sharedPrefix, spoolArchive, withoutLayers } from '../../../src/core/ship/layerDelta';
import { layerMismatch, missingLayerError } from '../../../src/core/ship/ship';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

/** A `docker save`-shaped archive: layer dirs first, the config and the manifest last. */
async function archive(): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  p.entry({ name: 'aaa/layer.tar' }, 'BASE LAYER BYTES');
  p.entry({ name: 'aaa/VERSION' }, '1.0');
  p.entry({ name: 'bbb/layer.tar' }, 'APP LAYER');
  p.entry({ name: 'cfg.json' }, JSON.stringify({ rootfs: { type: 'layers', diff_ids: [d('1'), d('2')] } }));
  p.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'cfg.json', RepoTags: null, Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }]));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function names(stream: Readable): Promise<Map<string, string>> {
  const x = extract();
  const out = new Map<string, string>();
  x.on('entry', (h, s, next) => {
    const parts: Buffer[] = [];
    s.on('data', (c: unknown) => void parts.push(c as Buffer));
    s.on('end', () => {
      out.set(h.name, Buffer.concat(parts).toString());
      next();
    });
  });
  const finished = new Promise<void>((r, j) => {
    x.on('finish', () => r());
    x.on('error', (e: Error) => j(e));
  });
  stream.pipe(x as unknown as NodeJS.WritableStream);
  await finished;
  return out;
}

suite('(unit) ship: only the layers the host lacks', () => {
  test('chain IDs follow the engine: the first is the diff ID, each next one hashes the chain so far', () => {
    const c = chainIds([d('1'), d('2')]);
    assert.equal(c[0], d('1'));
    assert.match(c[1]!, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(c[1], d('2'));
    assert.deepEqual(chainIds([d('1'), d('2')]), c, 'deterministic');
  });

  test('the shared prefix counts only leading layers: the same layer on another base is not shared', () => {
    assert.equal(sharedPrefix([d('1'), d('2'), d('3')], [[d('1'), d('2'), d('9')]]), 2);
    assert.equal(sharedPrefix([d('1'), d('2')], [[d('5'), d('1'), d('2')]]), 0);
    assert.equal(sharedPrefix([d('1'), d('2')], []), 0);
    assert.equal(sharedPrefix([d('1'), d('2')], [[d('1'), d('2')]]), 2);
  });

  test('the archive is spooled, read, and sent again without the shared layer tars; everything else unchanged', async () => {
    const saved = await spoolArchive(Readable.from([await archive()]));
    try {
      assert.deepEqual(saved.layerPaths, ['aaa/layer.tar', 'bbb/layer.tar']);
      assert.deepEqual(saved.diffIds, [d('1'), d('2')]);
      const out = await names(withoutLayers(saved.file, new Set(saved.layerPaths.slice(0, 1))));
      assert.deepEqual([...out.keys()], ['aaa/VERSION', 'bbb/layer.tar', 'cfg.json', 'manifest.json']);
      assert.equal(out.get('bbb/layer.tar'), 'APP LAYER');
    } finally {
      await saved.close();
    }
    assert.equal(existsSync(saved.file), false, 'the spooled archive is removed');
  });

  test('an archive without a manifest is refused, and its temporary file is gone', async () => {
    const p = pack();
    const chunks: Buffer[] = [];
    p.on('data', (c: unknown) => void chunks.push(c as Buffer));
    const done = new Promise<void>((r) => p.on('end', () => r()));
    p.entry({ name: 'aaa/layer.tar' }, 'x');
    p.finalize();
    await done;
    await assert.rejects(spoolArchive(Readable.from([Buffer.concat(chunks)])), /no manifest\.json/);
  });

  test('the layer check after a load names the first layer that differs, or the count', () => {
    assert.equal(layerMismatch([d('1'), d('2')], [d('1'), d('2')]), undefined);
    assert.equal(layerMismatch([d('1'), d('2')], [d('1'), d('3')]), `layer 2: ${d('3')} there, ${d('2')} here`);
    assert.equal(layerMismatch([d('1'), d('2')], [d('1')]), '1 layers there, 2 here');
  });

  test('only an engine asking for a layer tar it was not sent makes the ship send the whole image', () => {
    assert.ok(missingLayerError(new Error('docker (h) load: open /var/lib/docker/tmp/docker-import-1/abc/layer.tar: no such file or directory')));
    assert.ok(missingLayerError(new Error('docker (h) load: open /x/blobs/sha256/0a1b: no such file or directory')));
    assert.ok(missingLayerError(new Error('content digest sha256:0a1b: not found')));
    assert.equal(missingLayerError(new Error('invalid diffID for layer 1: expected "sha256:1", got "sha256:2"')), false);
    assert.equal(missingLayerError(new Error('Error processing tar file(exit status 1): unexpected EOF')), false);
    assert.equal(missingLayerError(new Error('open /x/docker-import-1/repositories: no such file or directory')), false);
  });
});
