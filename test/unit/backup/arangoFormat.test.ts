import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { quietContext } from '../../../src/core/common/job';
import { arangoExportPaths, exportArango, readArangoMeta, restoreArango } from '../../../src/core/backup/arangoBackup';
import { ArangoExportWriter, readArangoExport, verifyArangoExport, type ArangoIndexSpec, type ExportRecord } from '../../../src/core/backup/arangoFormat';
import { memoryDriver } from './memoryArango';

let dir: string;
/** Each test gets its own directory (hooks inside the suites, so other files' tests are not affected). */
function tempDirPerTest(): void {
  setup(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gl-arango-unit-'));
  });
  teardown(() => rmSync(dir, { recursive: true, force: true }));
}

const INDEX: ArangoIndexSpec = { type: 'persistent', fields: ['sku'], unique: true, sparse: true, name: 'items_sku' };

async function writeSample(file: string, docs = 3): Promise<{ sha256: string; bytes: number }> {
  const w = new ArangoExportWriter(file);
  await w.header('shop', ['items', 'likes'], new Date('2026-01-05T03:04:09Z'));
  await w.collection({ name: 'items', collectionType: 'document', schema: null, keyOptions: { type: 'traditional' }, indexes: [INDEX] });
  for (let i = 0; i < docs; i++) await w.document({ _key: `k${i}`, _id: `items/k${i}`, _rev: `_r${i}`, name: `item ${i}`, sku: `S${i}`, tags: ['a', i] });
  await w.endCollection();
  await w.collection({ name: 'likes', collectionType: 'edge', indexes: [] });
  await w.document({ _key: 'e1', _from: 'users/u1', _to: 'items/k0' });
  await w.endCollection();
  return await w.finish();
}

async function records(file: string): Promise<ExportRecord[]> {
  const out: ExportRecord[] = [];
  for await (const r of readArangoExport(file)) out.push(r);
  return out;
}

/** Rewrites an export's JSON lines (for damaged-file cases) and returns the new file. */
function rewrite(file: string, edit: (lines: string[]) => string[]): string {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
  const out = path.join(dir, 'edited.jsonl.gz');
  writeFileSync(out, gzipSync(edit(lines).join('\n') + '\n'));
  return out;
}

suite('(unit) backup: ArangoDB export file (gzip JSON lines)', function () {
  // Files of a few thousand records: quick alone, slower on a loaded CI machine.
  this.timeout(15000);
  tempDirPerTest();
  test('round trip: header, collections with type, schema, key options and indexes, documents, footer', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    const r = await writeSample(file);
    const recs = await records(file);
    assert.deepEqual(recs.map((x) => x.type), ['header', 'collection', 'doc', 'doc', 'doc', 'end', 'collection', 'doc', 'end', 'footer']);
    const items = recs[1] as Extract<ExportRecord, { type: 'collection' }>;
    assert.deepEqual(items.indexes, [INDEX]);
    assert.deepEqual(items.keyOptions, { type: 'traditional' });
    // _id follows from the collection and _rev is the server's: neither is replayed on restore.
    assert.deepEqual((recs[2] as Extract<ExportRecord, { type: 'doc' }>).d, { _key: 'k0', name: 'item 0', sku: 'S0', tags: ['a', 0] });
    assert.deepEqual(recs.at(-1), { type: 'footer', collections: 2, documents: 4, line: 10 });
    assert.equal(r.bytes, statSync(file).size);
    // It really is gzip of one JSON object per line.
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, 10);
    for (const l of lines) JSON.parse(l);
  });

  test('the file is written under .partial with mode 0600, renamed only when complete, and never overwrites', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    const w = new ArangoExportWriter(file);
    await w.header('shop', []);
    assert.ok(existsSync(`${file}.partial`) && !existsSync(file));
    await w.finish();
    assert.ok(existsSync(file) && !existsSync(`${file}.partial`));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = new ArangoExportWriter(file);
    await again.header('shop', []);
    await assert.rejects(again.finish(), /a file of that name exists \(never overwritten\)/);
    assert.equal(statSync(file).size > 0, true);
    await again.abort();
    assert.ok(existsSync(file) && !existsSync(`${file}.partial`), 'abort removes only its own partial file');
    writeFileSync(`${file}.partial`, 'someone else');
    const clash = new ArangoExportWriter(file);
    await assert.rejects(clash.header('shop', []).then(() => clash.finish()), /EEXIST/);
  });

  test('the writer refuses records out of order', async () => {
    const w = new ArangoExportWriter(path.join(dir, 'x.jsonl.gz'));
    await assert.rejects(w.document({ _key: 'a' }), /outside a collection/);
    await w.header('shop', ['items']);
    await assert.rejects(w.finish(), /announced 1 collections, 0 were written/);
    await w.abort();
  });

  test('verification: an intact file with the recorded sha256 is ok and summarised', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    const r = await writeSample(file);
    const v = await verifyArangoExport(file, r.sha256);
    assert.equal(v.ok, true, v.problems.join('; '));
    assert.equal(v.sha256, r.sha256);
    assert.deepEqual(v.summary?.collections, [
      { name: 'items', collectionType: 'document', indexes: 1, documents: 3 },
      { name: 'likes', collectionType: 'edge', indexes: 0, documents: 1 },
    ]);
    assert.equal(v.summary?.documents, 4);
  });

  test('verification: a changed byte fails the sha256 and the gzip check', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    const r = await writeSample(file, 200);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(file, bytes);
    const v = await verifyArangoExport(file, r.sha256);
    assert.equal(v.ok, false);
    assert.ok(v.problems.some((p) => /sha256 is .* was recorded/.test(p)), v.problems.join('; '));
    assert.ok(v.problems.some((p) => /damaged|not a JSON line|documents read/.test(p)), v.problems.join('; '));
  });

  test('verification: a file cut short is refused, saying so', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    await writeSample(file, 500);
    truncateSync(file, Math.floor(statSync(file).size * 0.6));
    const v = await verifyArangoExport(file);
    assert.equal(v.ok, false);
    assert.match(v.problems.join('; '), /damaged or cut short|no footer/);
  });

  test('verification: a complete gzip without the footer is incomplete', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    await writeSample(file);
    const v = await verifyArangoExport(rewrite(file, (l) => l.slice(0, -1)));
    assert.match(v.problems.join('; '), /edited\.jsonl\.gz:10: no footer: the export is incomplete/);
  });

  test('verification names the line of a count that does not match, a stray document, a foreign format', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    await writeSample(file);
    const dropDoc = await verifyArangoExport(rewrite(file, (l) => [...l.slice(0, 3), ...l.slice(4)]));
    assert.match(dropDoc.problems.join(), /edited\.jsonl\.gz:5: collection items: 2 documents read, 3 written/);
    const stray = await verifyArangoExport(rewrite(file, (l) => [...l.slice(0, 6), JSON.stringify({ type: 'doc', c: 'items', d: { _key: 'x' } }), ...l.slice(6)]));
    assert.match(stray.problems.join(), /:7: a document of items outside its collection/);
    const foreign = await verifyArangoExport(rewrite(file, (l) => [JSON.stringify({ type: 'header', format: 'arangodump', version: 1, collections: [] }), ...l.slice(1)]));
    assert.match(foreign.problems.join(), /:1: format "arangodump" is not greenlight-arangodb-export/);
    const edge = await verifyArangoExport(rewrite(file, (l) => l.map((x) => x.replace('"_from":"users/u1",', ''))));
    assert.match(edge.problems.join(), /:8: an edge of likes without _from\/_to/);
  });

  test('the reader streams: a consumer can stop early without reading the rest', async () => {
    const file = path.join(dir, 'x.jsonl.gz');
    await writeSample(file, 5000);
    let n = 0;
    for await (const r of readArangoExport(file)) {
      if (r.type === 'doc' && ++n === 10) break;
    }
    assert.equal(n, 10);
  });
});

suite('(unit) backup: ArangoDB export and restore steps (in-memory driver, not a server)', function () {
  this.timeout(15000);
  tempDirPerTest();
  const source = (): Parameters<typeof memoryDriver>[1] => ({
    items: { type: 'document', docs: Array.from({ length: 2500 }, (_, i) => ({ _key: `k${i}`, n: i })), indexes: [INDEX] },
    likes: { type: 'edge', docs: [{ _key: 'e1', _from: 'users/u1', _to: 'items/k1' }], indexes: [] },
  });

  test('export: <env>_<db>_<timestamp>.jsonl.gz with a 0600 metadata record holding the sha256 and counts', async () => {
    const meta = await exportArango(quietContext(), memoryDriver('shop', source()), { env: 'production', dir, now: new Date(Date.UTC(2026, 0, 5, 3, 4, 9)), batchSize: 700 });
    assert.equal(meta.id, 'production_shop_20260105_030409');
    assert.equal(meta.file, arangoExportPaths(dir, meta.id).file);
    assert.equal(meta.kind, 'arangodb');
    assert.equal(meta.documents, 2501);
    assert.equal(meta.verified, true);
    assert.deepEqual(await readArangoMeta(dir, meta.id), JSON.parse(JSON.stringify(meta)));
    assert.equal(statSync(arangoExportPaths(dir, meta.id).meta).mode & 0o777, 0o600);
    assert.equal((await verifyArangoExport(meta.file, meta.sha256)).ok, true);
    const second = await exportArango(quietContext(), memoryDriver('shop', source()), { env: 'production', dir, now: new Date(Date.UTC(2026, 0, 5, 3, 4, 9)) });
    assert.equal(second.id, 'production_shop_20260105_030410', 'the same second never overwrites an export');
  });

  test('restore: into an empty database, with indexes; occupied collections refused unless replaced; asks first', async () => {
    const meta = await exportArango(quietContext(), memoryDriver('shop', source()), { env: 'production', dir });
    const empty: Parameters<typeof memoryDriver>[1] = {};
    const r = await restoreArango(quietContext(), memoryDriver('shop', empty), dir, meta.id, { confirm: async () => true, batchSize: 1000 });
    assert.deepEqual({ restored: r.restored, collections: r.collections, documents: r.documents }, { restored: true, collections: 2, documents: 2501 });
    assert.equal(empty.items?.docs.length, 2500);
    assert.deepEqual(empty.items?.docs[7], { _key: 'k7', n: 7 });
    assert.deepEqual(empty.items?.indexes, [INDEX]);
    assert.equal(empty.likes?.type, 'edge');
    await assert.rejects(restoreArango(quietContext(), memoryDriver('shop', empty), dir, meta.id, { confirm: async () => true }), /items \(2500 documents\), likes \(1 documents\) already hold documents/);
    let asked = '';
    const declined = await restoreArango(quietContext(), memoryDriver('shop', empty), dir, meta.id, { replace: true, confirm: async (s) => ((asked = s), false) });
    assert.equal(declined.restored, false);
    assert.match(asked, /EMPTIES items \(2500 documents\)/);
    empty.items!.docs.push({ _key: 'extra' });
    const replaced = await restoreArango(quietContext(), memoryDriver('shop', empty), dir, meta.id, { replace: true, confirm: async () => true });
    assert.equal(replaced.documents, 2501);
    assert.equal(empty.items?.docs.length, 2500, 'the extra document is gone: replaced, not merged');
  });

  test('restore refuses a changed export before touching anything', async () => {
    const meta = await exportArango(quietContext(), memoryDriver('shop', source()), { env: 'production', dir });
    const bytes = readFileSync(meta.file);
    bytes[bytes.length - 12]! ^= 0x01;
    writeFileSync(meta.file, bytes);
    const target: Parameters<typeof memoryDriver>[1] = {};
    await assert.rejects(restoreArango(quietContext(), memoryDriver('shop', target), dir, meta.id, { confirm: async () => true }), /refusing to restore .*sha256 is/);
    assert.deepEqual(Object.keys(target), []);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.partial')), []);
  });
});
