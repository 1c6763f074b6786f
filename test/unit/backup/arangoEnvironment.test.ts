import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { arangoHostPaths, arangoTargetOf, createArangoBackup, restoreArangoBackup, type ArangoBackupTarget } from '../../../src/core/backup/arangoRemote';
import { backupDatabase, listBackups, restoreBackup, restoreDrill, verifyBackup, type BackupTarget } from '../../../src/core/backup/backups';
import { fileCommands } from '../../../src/core/backup/pgCommands';
import { InputError } from '../../../src/core/common/errors';
import { quietContext } from '../../../src/core/common/job';
import { Secret } from '../../../src/core/common/secret';
import { configSchema } from '../../../src/core/config/schema';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { decideBackup, type MigrationCheck } from '../../../src/core/deploy/migrations';
import { nextSpec } from '../../../src/core/deploy/plan';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { localCommandHost, memoryDriver, type MemoryData } from './memoryArango';

const SSH = { host: '198.18.77.2', user: 'deploy', hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJUAeH6TfA4iPaZEbsQzVu2RcMmH8iWxyvDzJmL2Ncm+' };

function config(kind: 'postgres' | 'arangodb', database: Record<string, unknown> = { name: 'shop', user: 'app', passwordEnv: 'DB_PW' }) {
  return configSchema.parse({
    project: 'demo',
    services: [{ name: 'web', port: 8080 }],
    database: { kind, name: 'shop' },
    environments: { production: { ssh: SSH, database, backups: { dir: '/srv/backups', keep: 5 } } },
  });
}

suite('(unit) backup: ArangoDB environments resolve to an arangojs backup target', () => {
  test('database.kind arangodb: the environment database becomes an ArangoDB target (default port 8529) in the backups dir; no refusal', () => {
    const pw = new Secret('pw');
    const env = resolveEnvironment(config('arangodb'), '/proj', 'production', pw);
    assert.deepEqual(env.backup, { kind: 'arangodb', env: 'production', dir: '/srv/backups', arango: { host: '127.0.0.1', port: 8529, database: 'shop', user: 'app', password: pw }, retention: { keep: 5 } });
    assert.equal(backupDatabase(env.backup!), 'shop');
  });

  test('an explicit port and host are kept; PostgreSQL environments are unchanged (port 5432, no kind)', () => {
    const a = resolveEnvironment(config('arangodb', { host: '10.0.0.5', port: 18529, name: 'shop', user: 'app' }), '/proj', 'production');
    assert.deepEqual(a.backup?.kind === 'arangodb' && [a.backup.arango.host, a.backup.arango.port], ['10.0.0.5', 18529]);
    const p = resolveEnvironment(config('postgres'), '/proj', 'production');
    assert.equal(p.backup?.kind, undefined);
    assert.deepEqual(p.backup?.kind !== 'arangodb' && [p.backup?.pg.port, p.backup?.pg.database], [5432, 'shop']);
  });

  test('the deployed service gets no postgres:// DATABASE_URL when the database is ArangoDB (PostgreSQL still does)', () => {
    const spec = (kind: 'postgres' | 'arangodb') => {
      const c = config(kind);
      return nextSpec({ config: c, envName: 'production', env: c.environments.production!, service: c.services[0]!, image: 'web:v1', imageId: 'sha256:00', version: 'v1', deployId: 'd', who: 'me', secrets: { dbPassword: new Secret('pw'), env: {} }, now: new Date(0) });
    };
    assert.equal(spec('arangodb').secretEnv.DATABASE_URL, undefined);
    assert.equal(spec('arangodb').env.DATABASE_URL, undefined);
    assert.match(spec('postgres').secretEnv.DATABASE_URL!.reveal(), /^postgres:\/\/app:pw@127\.0\.0\.1:5432\/shop$/);
  });

  test('an environment without a database has no backup target, whatever the kind', () => {
    const c = config('arangodb');
    const noDb = configSchema.parse({ ...c, environments: { production: { ssh: SSH } } });
    assert.equal(resolveEnvironment(noDb, '/proj', 'production').backup, undefined);
    assert.equal(arangoTargetOf(noDb.environments.production!), undefined);
  });

  test('exports are named like pg_dump backups and sit in the same directory listing', () => {
    const id = 'production_shop_20260105_030409';
    assert.deepEqual(arangoHostPaths('/srv/backups', id), {
      file: '/srv/backups/production_shop_20260105_030409.jsonl.gz',
      meta: '/srv/backups/production_shop_20260105_030409.meta.json',
      partial: '/srv/backups/production_shop_20260105_030409.jsonl.gz.partial',
    });
    // The one listing command finds both kinds (and never the .partial files).
    assert.deepEqual(fileCommands.listDumps('/srv/backups'), ['find', '/srv/backups', '-maxdepth', '1', '-type', 'f', '(', '-name', '*.dump', '-o', '-name', '*.jsonl.gz', ')', '-printf', '%f\\t%s\\t%T@\\n']);
  });
});

suite('(unit) backup: pre-deploy backup decision for an ArangoDB environment (no built-in runner)', () => {
  const check = (over: Partial<MigrationCheck> = {}): MigrationCheck => ({ builtin: false, databaseExists: true, files: 0, applied: 0, pending: [], opaqueTasks: [], ...over });
  test('auto: no release task may change the database → no backup, saying why', () => {
    assert.deepEqual(decideBackup('auto', check(), 'shop'), { take: false, reason: 'no migrations configured for shop and no release task changes it' });
  });
  test('auto: a migrate/seed release task (or migrateCommand) → backup', () => {
    assert.equal(decideBackup('auto', check({ opaqueTasks: ['migrate'] }), 'shop').take, true);
  });
  test('auto: the database does not exist yet → nothing to back up; unreachable → back up to be safe', () => {
    assert.deepEqual(decideBackup('auto', check({ databaseExists: false, opaqueTasks: ['migrate'] }), 'shop'), { take: false, reason: 'database shop does not exist yet: nothing to back up' });
    assert.equal(decideBackup('auto', check({ problem: 'not reachable' }), 'shop').take, true);
  });
  test("always (the editor's 'Backing Up First', the CLI's --force-backup) → backup", () => {
    assert.deepEqual(decideBackup('always', check(), 'shop'), { take: true, reason: 'forced on request' });
  });
});

suite('(unit) backup: refusals that need no server or host', () => {
  // These throw before the host is used: a host that would fail any call proves it.
  const noHost = new Proxy({}, { get: () => assert.fail('the host must not be used') }) as unknown as RemoteHost;
  const arango: ArangoBackupTarget = { kind: 'arangodb', env: 'production', dir: '/srv/backups', arango: { host: '127.0.0.1', port: 8529, database: 'shop', user: 'app' } };

  test('no restore drill for an ArangoDB environment; the message says what to use instead', async () => {
    await assert.rejects(restoreDrill(quietContext(), noHost, arango, 'production_shop_20260105_030409'), (e: Error) => e instanceof InputError && /restore drill restores PostgreSQL dumps.*ArangoDB database: "verify" reads every record/.test(e.message));
  });
  test('restore refuses a PostgreSQL dump into an ArangoDB environment, and an export without its metadata record', async () => {
    const entry = { id: 'production_shop_20260105_030409', file: '/srv/backups/production_shop_20260105_030409.dump', sizeBytes: 1, createdAt: '' };
    await assert.rejects(restoreArangoBackup(quietContext(), noHost, arango, entry, { confirm: async () => true }), /is a PostgreSQL dump; environment "production" has an ArangoDB database/);
    await assert.rejects(restoreArangoBackup(quietContext(), noHost, arango, { ...entry, file: entry.file.replace('.dump', '.jsonl.gz') }, { confirm: async () => true }), /no metadata record, so the sha256 taken at backup time is unknown/);
  });
  test('backup ids that could escape the directory are refused before anything runs', async () => {
    await assert.rejects(restoreBackup(quietContext(), noHost, arango, '../../etc/passwd', { confirm: async () => true }), /not a backup id/);
  });
});

suite('(unit) backup: ArangoDB backups on a host (in-memory driver, not a server; host commands run locally, not over ssh)', function () {
  this.timeout(20000);
  let dir: string;
  let t: ArangoBackupTarget;
  const host = localCommandHost();
  const source = (): MemoryData => ({
    items: { type: 'document', docs: Array.from({ length: 1500 }, (_, i) => ({ _key: `k${i}`, n: i })), indexes: [{ type: 'persistent', fields: ['n'], name: 'items_n' }] },
    likes: { type: 'edge', docs: [{ _key: 'e1', _from: 'items/k1', _to: 'items/k2' }], indexes: [] },
  });
  const at = new Date(Date.UTC(2026, 0, 5, 3, 4, 9));
  const staging = (): string[] => readdirSync(os.tmpdir()).filter((f) => f.startsWith('greenlight-arango-'));

  setup(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gl-arango-host-'));
    t = { kind: 'arangodb', env: 'production', dir: path.join(dir, 'backups'), arango: { host: '127.0.0.1', port: 8529, database: 'shop', user: 'app' } };
  });
  teardown(() => rmSync(dir, { recursive: true, force: true }));

  test('create: <env>_<db>_<timestamp>.jsonl.gz in the backups dir, 0600, sha256 recorded and matching, metadata beside it, nothing staged left', async () => {
    const before = staging();
    const m = await createArangoBackup(quietContext(), host, t, { now: at, existing: new Set(), connect: () => memoryDriver('shop', source()) });
    assert.equal(m.id, 'production_shop_20260105_030409');
    assert.equal(m.file, path.join(t.dir, `${m.id}.jsonl.gz`), 'the metadata names the file on the host, not the staging copy');
    assert.equal(statSync(m.file).mode & 0o777, 0o600);
    assert.equal(m.sha256, createHash('sha256').update(readFileSync(m.file)).digest('hex'));
    assert.equal(m.sizeBytes, statSync(m.file).size);
    assert.deepEqual([m.kind, m.verified, m.documents, m.reason], ['arangodb', true, 1501, 'manual']);
    assert.deepEqual(JSON.parse(readFileSync(path.join(t.dir, `${m.id}.meta.json`), 'utf8')), JSON.parse(JSON.stringify(m)));
    assert.deepEqual(readdirSync(t.dir).sort(), [`${m.id}.jsonl.gz`, `${m.id}.meta.json`]);
    assert.deepEqual(staging(), before, 'the local staging directory is removed');
  });

  test('listed with the PostgreSQL backups, newest first; the same second never overwrites; pre-deploy metadata kept', async () => {
    const a = await createArangoBackup(quietContext(), host, t, { now: at, existing: new Set(), connect: () => memoryDriver('shop', source()) });
    const existing = new Set((await listBackups(quietContext(), host, t.dir)).map((b) => b.id));
    const b = await createArangoBackup(quietContext(), host, t, { now: at, existing, reason: 'pre-deploy', deployVersion: 'v7', deployId: 'd1', connect: () => memoryDriver('shop', source()) });
    assert.equal(b.id, 'production_shop_20260105_030410');
    // A pg_dump file of another environment in the same directory (its bytes do not matter for listing).
    writeFileSync(path.join(t.dir, 'staging_app_20260101_000000.dump'), 'x', { mode: 0o600 });
    const list = await listBackups(quietContext(), host, t.dir);
    assert.deepEqual(list.map((x) => x.id), [b.id, a.id, 'staging_app_20260101_000000']);
    assert.deepEqual([list[0]!.meta?.reason, list[0]!.meta?.deployVersion, list[0]!.meta?.kind], ['pre-deploy', 'v7', 'arangodb']);
    assert.equal(list[2]!.meta, undefined);
  });

  test('verify: reads every record back against the recorded sha256; a changed byte or a wider mode is NOT OK', async () => {
    const m = await createArangoBackup(quietContext(), host, t, { now: at, existing: new Set(), connect: () => memoryDriver('shop', source()) });
    const ok = await verifyBackup(quietContext(), host, t.dir, m.id);
    assert.deepEqual([ok.ok, ok.collections, ok.documents, ok.sha256], [true, 2, 1501, m.sha256]);
    chmodSync(m.file, 0o644);
    assert.deepEqual((await verifyBackup(quietContext(), host, t.dir, m.id)).problems, ['mode is 644, expected 600']);
    chmodSync(m.file, 0o600);
    const bytes = readFileSync(m.file);
    bytes[bytes.length - 12]! ^= 0x01;
    writeFileSync(m.file, bytes);
    const bad = await verifyBackup(quietContext(), host, t.dir, m.id);
    assert.equal(bad.ok, false);
    assert.match(bad.problems.join('; '), /sha256 is [0-9a-f]{64}, but [0-9a-f]{64} was recorded/);
  });

  test('restore: verified first, asks naming what it empties, replaces (not merges); declined changes nothing', async () => {
    const m = await createArangoBackup(quietContext(), host, t, { now: at, existing: new Set(), connect: () => memoryDriver('shop', source()) });
    const live = source();
    live.items!.docs.push({ _key: 'added-after-backup' });
    const entry = (await listBackups(quietContext(), host, t.dir))[0]!;
    let asked = '';
    const declined = await restoreArangoBackup(quietContext(), host, t, entry, { confirm: async (s) => ((asked = s), false), connect: () => memoryDriver('shop', live) });
    assert.equal(declined.restored, false);
    assert.match(asked, /Restore export production_shop_20260105_030409 \(2 collections, 1501 documents\).*EMPTIES items \(1501 documents\), likes \(1 documents\)/);
    assert.equal(live.items!.docs.length, 1501);
    const r = await restoreArangoBackup(quietContext(), host, t, entry, { confirm: async () => true, connect: () => memoryDriver('shop', live) });
    assert.deepEqual([r.restored, r.documents], [true, 1501]);
    assert.equal(live.items!.docs.length, 1500);
    assert.ok(!live.items!.docs.some((d) => d._key === 'added-after-backup'));
    assert.ok(existsSync(m.file), 'the backup itself is untouched');
  });

  test('restore of an export whose bytes changed is refused before the database is touched', async () => {
    const m = await createArangoBackup(quietContext(), host, t, { now: at, existing: new Set(), connect: () => memoryDriver('shop', source()) });
    const bytes = readFileSync(m.file);
    bytes[bytes.length - 12]! ^= 0x01;
    writeFileSync(m.file, bytes);
    const empty: MemoryData = {};
    const entry = (await listBackups(quietContext(), host, t.dir))[0]!;
    await assert.rejects(restoreArangoBackup(quietContext(), host, t, entry, { confirm: async () => true, connect: () => memoryDriver('shop', empty) }), /refusing to restore .*sha256 is/);
    assert.deepEqual(Object.keys(empty), []);
  });

  test('a PostgreSQL environment refuses to restore an ArangoDB export', async () => {
    const m = await createArangoBackup(quietContext(), host, t, { now: at, existing: new Set(), connect: () => memoryDriver('shop', source()) });
    const pg: BackupTarget = { env: 'production', dir: t.dir, pg: { host: '127.0.0.1', port: 5432, database: 'shop', user: 'app' } };
    await assert.rejects(restoreBackup(quietContext(), host, pg, m.id, { confirm: async () => true }), /is an ArangoDB export; environment "production" has a PostgreSQL database/);
  });
});
