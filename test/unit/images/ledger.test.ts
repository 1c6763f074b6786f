import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openLedger, type TestRecord } from '../../../src/core/images/ledger';

const ID_A = 'sha256:' + 'a'.repeat(64);
const ID_B = 'sha256:' + 'b'.repeat(64);

function rec(over: Partial<TestRecord>): TestRecord {
  return {
    imageId: ID_A,
    service: 'web',
    version: 'vabcdef0-20260102-030405',
    tags: ['web:vabcdef0-20260102-030405'],
    gitSha: 'abcdef0123',
    testCommand: ['npm', 'test'],
    result: 'passed',
    durationMs: 1234,
    logExcerpt: 'ok',
    testedAt: new Date().toISOString(),
    ...over,
  };
}

suite('(unit) images: tested-image ledger', () => {
  let root = '';
  setup(() => (root = mkdtempSync(path.join(tmpdir(), 'gl-ledger-'))));
  teardown(() => rmSync(root, { recursive: true, force: true }));

  test('an image with no record is untested', async () => {
    const l = await openLedger(root);
    assert.equal(l.isTested(ID_A), false);
    assert.equal(l.get(ID_A), undefined);
    assert.deepEqual(l.list(), []);
  });

  test('only the latest record counts: passed then failed is untested, failed then passed is tested', async () => {
    const l = await openLedger(root);
    await l.record(rec({ result: 'passed', testedAt: '2026-01-01T00:00:00.000Z' }));
    assert.equal(l.isTested(ID_A), true);
    await l.record(rec({ result: 'failed', testedAt: '2026-01-01T00:01:00.000Z' }));
    assert.equal(l.isTested(ID_A), false);
    assert.equal(l.get(ID_A)?.result, 'failed');
    await l.record(rec({ result: 'passed', testedAt: '2026-01-01T00:02:00.000Z' }));
    assert.equal(l.isTested(ID_A), true);
    assert.equal(l.history(ID_A).length, 3);
  });

  test('the same tag rebuilt to a different image ID is untested', async () => {
    const l = await openLedger(root);
    await l.record(rec({ imageId: ID_A, result: 'passed' }));
    assert.equal(l.isTested(ID_B), false, 'the ledger is keyed by image ID, not by tag');
  });

  test('a bare hex id and the sha256: form are the same image', async () => {
    const l = await openLedger(root);
    await l.record(rec({ imageId: 'a'.repeat(64) }));
    assert.equal(l.isTested(ID_A), true);
    assert.equal(l.get(ID_A)?.imageId, ID_A);
  });

  test('records persist, and a second opener sees records made after it opened', async () => {
    const a = await openLedger(root);
    const b = await openLedger(root);
    await a.record(rec({ imageId: ID_A, testedAt: '2026-01-01T00:00:00.000Z' }));
    await b.record(rec({ imageId: ID_B, result: 'failed', testedAt: '2026-01-01T00:05:00.000Z' }));
    assert.equal(a.isTested(ID_A), true);
    assert.equal(a.get(ID_B)?.result, 'failed', 'a re-reads what b wrote');
    const c = await openLedger(root);
    assert.deepEqual(c.list().map((r) => r.imageId), [ID_B, ID_A], 'newest first');
  });

  test('concurrent writers lose nothing', async () => {
    const ls = await Promise.all([openLedger(root), openLedger(root), openLedger(root)]);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => ls[i % 3]!.record(rec({ imageId: 'sha256:' + i.toString(16).padStart(64, '0') }))),
    );
    assert.equal((await openLedger(root)).list().length, 30);
  });

  test('writes are atomic: no temp files left, the folder is git-ignored', async () => {
    const l = await openLedger(root);
    await l.record(rec({}));
    const dir = path.join(root, '.greenlight');
    assert.deepEqual(readdirSync(dir).sort(), ['.gitignore', 'tested-images.json']);
    assert.match(readFileSync(path.join(dir, '.gitignore'), 'utf8'), /^\*$/m);
    assert.ok(!existsSync(path.join(dir, 'tested-images.json.lock')));
  });

  test('a corrupt ledger is reported by file name instead of being overwritten', async () => {
    await openLedger(root);
    writeFileSync(path.join(root, '.greenlight', 'tested-images.json'), '{ not json');
    await assert.rejects(openLedger(root), /tested-images\.json: the tested-image ledger is not valid JSON/);
  });
});
