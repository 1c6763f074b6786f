import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Database } from 'arangojs';
import { connectArangoBackup } from '../../../src/core/backup/adapters/arangoAdapter';
import { exportArango, restoreArango } from '../../../src/core/backup/arangoBackup';
import { verifyArangoExport } from '../../../src/core/backup/arangoFormat';
import { backupDatabase, createBackup, listBackups, restoreBackup, verifyBackup } from '../../../src/core/backup/backups';
import { probeArango } from '../../../src/core/backup/arangoRemote';
import { Secret } from '../../../src/core/common/secret';
import { configSchema } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { bed, connect, recordingContext } from '../deploy/bed';

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
      console.log('      skipped: ARANGO_URL is not set (no ArangoDB server on this machine); the export format is covered by test/unit/backup/arangoFormat.test.ts, with an in-memory driver that is not a server');
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

// The same server reached the way an environment reaches its database: arangojs through a port
// forwarded over the SSH connection to the test bed's production host, the export stored in the
// host's backups directory. The production host must reach the server: ARANGO_URL_FROM_PROD says
// how (default: ARANGO_URL with a loopback host replaced by the test bed's HOST_IP, so the server
// must listen there too).
suite('(integration) backup: ArangoDB environment backups over SSH on the production host (live, needs ARANGO_URL and the test bed)', function () {
  this.timeout(180000);
  let server: Database;
  let host: RemoteHost;
  let dir: string;
  const database = `gl_it_env_${randomBytes(3).toString('hex')}`;
  let environment: ReturnType<typeof resolveEnvironment>;

  suiteSetup(async function () {
    if (!ARANGO_URL) {
      console.log('      skipped: ARANGO_URL is not set (no ArangoDB server on this machine); the host-side steps are covered by test/unit/backup/arangoEnvironment.test.ts, with an in-memory driver that is not a server');
      this.skip();
    }
    const b = bed();
    const u = new URL(ARANGO_URL);
    const username = decodeURIComponent(u.username) || 'root';
    const password = decodeURIComponent(u.password);
    u.username = '';
    u.password = '';
    server = new Database({ url: u.toString().replace(/\/$/, ''), auth: { username, password } });
    const fromProd = new URL(process.env.ARANGO_URL_FROM_PROD ?? ARANGO_URL);
    if (!process.env.ARANGO_URL_FROM_PROD && /^(127\.|localhost$|\[::1\]$)/.test(fromProd.hostname)) fromProd.hostname = b.hostIp;
    dir = `${b.backupsDir}/it-arango-${process.pid}`;
    const config = configSchema.parse({
      project: 'glit',
      database: { kind: 'arangodb', name: database },
      environments: {
        itarango: {
          ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey },
          docker: { socket: b.dockerSock },
          database: { host: fromProd.hostname, port: Number(fromProd.port || 8529), name: database, user: username, passwordEnv: 'GL_IT_ARANGO_PW' },
          backups: { dir, keep: 3 },
        },
      },
    });
    environment = resolveEnvironment(config, process.cwd(), 'itarango', new Secret(password));
    host = await connect(b, recordingContext());
    const db = await server.createDatabase(database);
    const items = await db.createCollection('items');
    await items.ensureIndex({ type: 'persistent', fields: ['n'], name: 'items_n' });
    await items.import(Array.from({ length: 2000 }, (_, i) => ({ _key: `k${i}`, n: i })));
  });

  suiteTeardown(async () => {
    if (host) {
      await host.exec(['rm', '-rf', '--', dir]).catch(() => undefined);
      host.close();
    }
    if (server) {
      await server.dropDatabase(database).catch(() => undefined);
      server.close();
    }
  });

  test('create → listed with the other backups → verify → restore replaces what changed since', async () => {
    const t = environment.backup!;
    assert.equal(t.kind, 'arangodb');
    assert.equal(backupDatabase(t), database);
    assert.equal(await probeArango(recordingContext(), host, t.kind === 'arangodb' ? t.arango : assert.fail()), true);
    const m = await createBackup(recordingContext(), host, t, { reason: 'manual' });
    assert.match(m.id, new RegExp(`^itarango_${database.replace(/_/g, '-')}_\\d{8}_\\d{6}$`));
    assert.equal(m.file, `${dir}/${m.id}.jsonl.gz`);
    assert.equal((await host.run(['stat', '--format', '%a', '--', m.file])).trim(), '600');
    assert.equal((await host.run(['sha256sum', '--', m.file])).split(/\s+/)[0], m.sha256);
    const list = await listBackups(recordingContext(), host, dir);
    assert.deepEqual(list.map((b) => [b.id, b.meta?.kind, b.meta?.verified]), [[m.id, 'arangodb', true]]);
    const v = await verifyBackup(recordingContext(), host, dir, m.id);
    assert.deepEqual([v.ok, v.collections, v.documents], [true, 1, 2000]);

    const items = server.database(database).collection('items');
    await items.save({ _key: 'after-backup', n: -1 });
    let asked = '';
    const r = await restoreBackup(recordingContext(), host, t, m.id, { confirm: async (s) => ((asked = s), true) });
    assert.equal(r.restored, true);
    assert.match(asked, /EMPTIES items \(2001 documents\)/);
    assert.equal((await items.count()).count, 2000);
    assert.equal(await items.documentExists('after-backup'), false);
  });
});
