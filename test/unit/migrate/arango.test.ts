import * as assert from 'node:assert/strict';
import { InputError } from '../../../src/core/common/errors';
import { ledgerDocument, ledgerKey } from '../../../src/core/migrate/arango/arangoBackend';
import { mayTakeLock, newLockDocument } from '../../../src/core/migrate/arango/lockDecision';
import { parseSchemaOps } from '../../../src/core/migrate/arango/schemaOps';
import { migrationFromText } from '../../../src/core/migrate/files';

suite('(unit) migrate ArangoDB (no server needed)', () => {
  test('JSON schema migrations parse into operations with their lines (comments allowed)', () => {
    const text = [
      '{',
      '  // users and their emails',
      '  "operations": [',
      '    { "type": "create_collection", "name": "users", "ifNotExists": true },',
      '    { "type": "ensure_index", "collection": "users", "fields": ["email"], "unique": true, "name": "by_email" },',
      '    { "type": "aql", "query": "FOR u IN users FILTER !HAS(u, \'role\') UPDATE u WITH { role: \'user\' } IN users" }',
      '  ]',
      '}',
    ].join('\n');
    const ops = parseSchemaOps(text, 'm.json');
    assert.deepEqual(ops.map((o) => [o.op.type, o.line]), [['create_collection', 4], ['ensure_index', 5], ['aql', 6]]);
    assert.deepEqual(ops[1]!.op, { type: 'ensure_index', collection: 'users', spec: { type: 'persistent', fields: ['email'], unique: true, name: 'by_email' } });
  });

  test('bad operations are input errors at file:line', () => {
    assert.throws(() => parseSchemaOps('{ "operations": [\n  { "type": "create_colection", "name": "x" }\n] }', 'm.json'), (e: unknown) => e instanceof InputError && /^m\.json:2:1: operation 1: unknown type "create_colection"/.test(e.message));
    assert.throws(() => parseSchemaOps('{ "operations": [\n{ "type": "ensure_index", "collection": "u", "fields": [] }] }', 'm.json'), /m\.json:2:1: operation 1 \(ensure_index\): "fields" must be a non-empty array/);
    assert.throws(() => parseSchemaOps('{ "ops": [] }', 'm.json'), /a schema migration is \{ "operations": \[ … \] \}/);
    assert.throws(() => parseSchemaOps('{ "operations": [ }', 'm.json'), /m\.json:1:\d+: invalid JSON/);
  });

  test('the lock document: free, expired or ours may be taken; a live foreign lock may not', () => {
    const now = new Date('2025-01-20T10:00:00Z');
    const held = newLockDocument('greenlight migrate up (ann@laptop, pid 1)', 'tok-a', now, 60_000);
    assert.equal(mayTakeLock(undefined, 'tok-b', now), true);
    assert.equal(mayTakeLock(held, 'tok-b', new Date(now.getTime() + 30_000)), false);
    assert.equal(mayTakeLock(held, 'tok-a', new Date(now.getTime() + 30_000)), true);
    assert.equal(mayTakeLock(held, 'tok-b', new Date(now.getTime() + 60_000)), true);
  });

  test('ledger documents carry file, checksum, time, duration, actor and image version under a safe key', () => {
    const f = migrationFromText('20250120T000000_add status (v2).aql', '/m/x.aql', 'FOR u IN users RETURN u');
    const d = ledgerDocument(f, { appliedBy: 'ann@ci', imageVersion: 'v1-x' }, 12.4, new Date('2025-01-20T10:00:00Z'));
    assert.match(String(d._key), /^[0-9a-f]{40}$/);
    assert.equal(d._key, ledgerKey(f.name));
    assert.deepEqual({ ...d, _key: undefined }, { _key: undefined, file_name: f.name, checksum: f.checksum, applied_at: '2025-01-20T10:00:00.000Z', duration_ms: 12, applied_by: 'ann@ci', image_version: 'v1-x', baseline: false });
  });

  test('live ArangoDB runner (needs ARANGO_URL)', async function () {
    if (!process.env.ARANGO_URL) {
      console.log('      skipped: ARANGO_URL is not set, so the ArangoDB runner was not run against a server');
      this.skip();
    }
    const { connectArango } = await import('../../../src/core/migrate/adapters/arangoAdapter');
    const { ArangoBackend } = await import('../../../src/core/migrate/arango/arangoBackend');
    const { migrateUp, migrationStatus } = await import('../../../src/core/migrate/runner');
    const { quietContext } = await import('../../../src/core/common/job');
    const u = new URL(process.env.ARANGO_URL!);
    const driver = connectArango({ url: `${u.protocol}//${u.host}`, database: decodeURIComponent(u.pathname.slice(1)) || '_system', username: u.username || 'root', password: undefined });
    const files = [
      migrationFromText('001_users.json', '/m/001_users.json', '{ "operations": [ { "type": "create_collection", "name": "gl_test_users" } ] }'),
      migrationFromText('002_seed.aql', '/m/002_seed.aql', 'UPSERT { _key: "ann" } INSERT { _key: "ann" } UPDATE {} IN gl_test_users'),
    ];
    try {
      const r = await migrateUp(new ArangoBackend(driver), files, quietContext());
      assert.equal(r.failure, undefined);
      const st = await migrationStatus(new ArangoBackend(driver), files);
      assert.equal(st.counts.applied, 2);
    } finally {
      await driver.close();
    }
  });
});
