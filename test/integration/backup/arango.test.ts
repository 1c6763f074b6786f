import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Database } from 'arangojs';
import { connectArangoBackup } from '../../../src/core/backup/adapters/arangoAdapter';
import { exportArango, restoreArango } from '../../../src/core/backup/arangoBackup';
import { verifyArangoExport } from '../../../src/core/backup/arangoFormat';
import { Secret } from '../../../src/core/common/secret';
import { recordingContext } from '../deploy/bed';

// Live tests against a real ArangoDB server. The test machines have none, so these run only when
// ARANGO_URL is set (e.g. http://root:pw@127.0.0.1:8529, a user that may create databases) and
// are reported as pending otherwise; never as passing.
const ARANGO_URL = process.env.ARANGO_URL;

suite('(integration) backup: ArangoDB export and restore through arangojs (live, needs ARANGO_URL)', function () {
  this.timeout(120000);
  let server: Database;
  let url: string;
  let username: string | undefined;
  let password: Secret | undefined;
  let dir: string;
  const source = `gl_it_src_${randomBytes(3).toString('hex')}`;
  const target = `gl_it_dst_${randomBytes(3).toString('hex')}`;

  suiteSetup(function () {
    if (!ARANGO_URL) {
      console.log('      ArangoDB live tests SKIPPED: ARANGO_URL is not set (no ArangoDB server on this machine); the export format is covered by test/unit/backup/arangoFormat.test.ts');
      this.skip();
    }
    const u = new URL(ARANGO_URL);
    username = decodeURIComponent(u.username) || 'root';
    password = new Secret(decodeURIComponent(u.password));
    u.username = '';
    u.password = '';
    url = u.toString().replace(/\/$/, '');
    server = new Database({ url, auth: { username, password: password.reveal() } });
    dir = mkdtempSync(path.join(os.tmpdir(), 'gl-arango-it-'));
  });

  suiteTeardown(async () => {
    if (!server) return;
    for (const db of [source, target]) await server.dropDatabase(db).catch(() => undefined);
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('export: collections, indexes and documents as verified gzip JSON lines; restore: the same data in a new database', async () => {
    const src = await server.createDatabase(source);
    const items = await src.createCollection('items', { schema: { rule: { properties: { name: { type: 'string' } } }, level: 'moderate' } as never });
    await items.ensureIndex({ type: 'persistent', fields: ['sku'], unique: true, sparse: true, name: 'items_sku' });
    await items.import(Array.from({ length: 3000 }, (_, i) => ({ _key: `k${i}`, name: `item ${i}`, sku: `S${i}`, nested: { i, tags: ['a', 'b'] } })));
    const likes = await src.createEdgeCollection('likes');
    await likes.import([{ _key: 'e1', _from: 'items/k1', _to: 'items/k2', w: 1 }]);

    const ctx = recordingContext();
    const driver = connectArangoBackup({ url, database: source, username, password });
    const meta = await exportArango(ctx, driver, { env: 'itarango', dir });
    await driver.close();
    assert.equal(meta.documents, 3001);
    assert.deepEqual(meta.collections.map((c) => [c.name, c.collectionType, c.documents]), [['items', 'document', 3000], ['likes', 'edge', 1]]);
    assert.equal((await verifyArangoExport(meta.file, meta.sha256)).ok, true);

    await server.createDatabase(target);
    const into = connectArangoBackup({ url, database: target, username, password });
    const r = await restoreArango(recordingContext(), into, dir, meta.id, { confirm: async () => true });
    await into.close();
    assert.equal(r.documents, 3001);
    const dst = server.database(target);
    assert.equal((await dst.collection('items').count()).count, 3000);
    assert.deepEqual((await dst.collection('items').document('k7')) as unknown as Record<string, unknown>, { ...(await src.collection('items').document('k7')), _rev: (await dst.collection('items').document('k7'))._rev });
    const ix = (await dst.collection('items').indexes()).find((i) => i.name === 'items_sku') as unknown as { unique: boolean; fields: string[] } | undefined;
    assert.deepEqual([ix?.unique, ix?.fields], [true, ['sku']]);
    const edge = await dst.collection('likes').document('e1');
    assert.equal(edge._from, 'items/k1');
    // A second restore into the now full database is refused unless told to replace.
    const again = connectArangoBackup({ url, database: target, username, password });
    await assert.rejects(restoreArango(recordingContext(), again, dir, meta.id, { confirm: async () => true }), /already hold documents/);
    await again.close();
  });
});
