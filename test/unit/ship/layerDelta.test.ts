import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { chainIds, sharedPrefix, withoutSharedLayers } from '../../../src/core/ship/layerDelta';
import { layerMismatch, missingLayerError } from '../../../src/core/ship/ship';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

const hex = (c: string): string => c.repeat(64);

/** A tar of these entries, in this order (as `docker save` writes them: sorted by name). */
async function tarOf(entries: readonly [string, string][]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const [name, body] of entries) p.entry({ name }, body);
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * A legacy (Docker ≤ 24) archive of a two-layer image: folder `base` holds the base layer, folder
 * `app` (parent: base) the app layer. Folders sort by name, so `app` may come before its parent.
 */
function legacy(base: string, app: string): [string, string][] {
  const entries: [string, string][] = [
    [`${base}/VERSION`, '1.0'],
    [`${base}/json`, JSON.stringify({ id: base, created: '1970-01-01T00:00:00Z' })],
    [`${base}/layer.tar`, 'BASE LAYER BYTES'],
    [`${app}/VERSION`, '1.0'],
    [`${app}/json`, JSON.stringify({ id: app, parent: base, config: {} })],
    [`${app}/layer.tar`, 'APP LAYER'],
  ];
  return [
    [`${hex('c')}.json`, JSON.stringify({ rootfs: { type: 'layers', diff_ids: [d('1'), d('2')] } })],
    ...entries.sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    ['manifest.json', JSON.stringify([{ Config: `${hex('c')}.json`, RepoTags: null, Layers: [`${base}/layer.tar`, `${app}/layer.tar`] }])],
    ['repositories', '{}'],
  ];
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
    stream.on('error', (e: Error) => j(e));
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

  for (const [order, base, app] of [
    ['after', hex('a'), hex('b')],
    ['before', hex('e'), hex('b')],
  ] as const) {
    test(`legacy archive, app folder sorted ${order} its parent: the shared base layer tar is left out as it streams, everything else unchanged`, async () => {
      const { body, result } = withoutSharedLayers(Readable.from([await tarOf(legacy(base, app))]), [d('1'), d('2')], 1);
      const out = await names(body);
      assert.deepEqual([...out.keys()].sort(), [`${hex('c')}.json`, `${app}/VERSION`, `${app}/json`, `${app}/layer.tar`, `${base}/VERSION`, `${base}/json`, 'manifest.json', 'repositories'].sort());
      assert.equal(out.get(`${app}/layer.tar`), 'APP LAYER');
      assert.deepEqual(await result, { skipped: 1, sent: 1 });
    });
  }

  test('OCI archive (Docker 25+): a layer blob named by a shared diff ID is left out', async () => {
    const tar = await tarOf([
      [`blobs/sha256/${'1'.repeat(64)}`, 'BASE LAYER BYTES'],
      [`blobs/sha256/${'2'.repeat(64)}`, 'APP LAYER'],
      [`blobs/sha256/${hex('c')}`, '{"config":true}'],
      ['index.json', '{}'],
      ['manifest.json', JSON.stringify([{ Config: `blobs/sha256/${hex('c')}`, Layers: [`blobs/sha256/${'1'.repeat(64)}`, `blobs/sha256/${'2'.repeat(64)}`] }])],
      ['oci-layout', '{}'],
    ]);
    const { body, result } = withoutSharedLayers(Readable.from([tar]), [d('1'), d('2')], 1);
    const out = await names(body);
    assert.equal(out.has(`blobs/sha256/${'1'.repeat(64)}`), false);
    assert.equal(out.get(`blobs/sha256/${'2'.repeat(64)}`), 'APP LAYER');
    assert.deepEqual(await result, { skipped: 1, sent: 1 });
  });

  test('an archive without a manifest fails the output, so the engine discards the load', async () => {
    const { body, result } = withoutSharedLayers(Readable.from([await tarOf(legacy(hex('a'), hex('b')).filter(([n]) => n !== 'manifest.json'))]), [d('1'), d('2')], 1);
    await assert.rejects(names(body));
    await assert.rejects(result, /no manifest\.json/);
  });

  test('a manifest that contradicts the folders\' parent chain fails the output', async () => {
    const entries = legacy(hex('a'), hex('b')).map(([n, b]): [string, string] =>
      n === 'manifest.json' ? [n, JSON.stringify([{ Config: `${hex('c')}.json`, Layers: [`${hex('b')}/layer.tar`, `${hex('a')}/layer.tar`] }])] : [n, b],
    );
    const { body, result } = withoutSharedLayers(Readable.from([await tarOf(entries)]), [d('1'), d('2')], 1);
    await assert.rejects(names(body));
    await assert.rejects(result, /layer 1 \(b+\/layer\.tar\) was sent although the host has it/);
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
