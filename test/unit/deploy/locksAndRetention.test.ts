import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { checkOf, type BackupMeta } from '../../../src/core/backup/backups';
import { evictions } from '../../../src/core/deploy/deploy';
import { holderIsDead, type LockHolder } from '../../../src/core/deploy/lock';
import { LABEL } from '../../../src/core/deploy/plan';

const c = (id: string, version: string): { id: string; labels: Record<string, string> } => ({ id, labels: { [LABEL.version]: version } });

suite('keepVersions counts versions, not containers', () => {
  test('redeploying one version does not evict the older versions', () => {
    // Newest first: v3 was redeployed three times over v2 and v1 (issue 14: v1 was evicted).
    const retained = [c('a', 'v3'), c('b', 'v3'), c('d', 'v2'), c('e', 'v1')];
    assert.deepEqual(evictions(retained, 'v3', 2).map((x) => x.id), ['a', 'b']);
  });
  test('beyond keep versions, and duplicates of a kept version, are removed', () => {
    const retained = [c('a', 'v4'), c('b', 'v4'), c('d', 'v3'), c('e', 'v2'), c('f', 'v1')];
    assert.deepEqual(evictions(retained, 'v5', 2).map((x) => x.id), ['b', 'e', 'f']);
  });
});

suite('lock holders that are provably dead', () => {
  const holder = (over: Partial<LockHolder>): LockHolder => ({ who: 't', machine: os.hostname(), pid: process.pid, since: new Date().toISOString(), what: 'deploy web v1', deployId: 'd1', ...over });
  test('a process of this machine that no longer runs is dead; a live one and another machine are not', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    assert.equal(holderIsDead(holder({ pid: gone })), true);
    assert.equal(holderIsDead(holder({ pid: process.ppid })), false);
    assert.equal(holderIsDead(holder({ pid: gone, machine: 'another-machine' })), false);
  });
  test('this process, for a deploy it no longer runs, is dead', () => {
    assert.equal(holderIsDead(holder({ deployId: 'not-running-here' })), true);
  });
});

suite('backup listing: when a backup was last checked', () => {
  const meta: BackupMeta = {
    id: 'production_appdb_20260101_000000', env: 'production', database: 'appdb', kind: 'postgres', file: '/b/x.dump', createdAt: '2026-01-01T00:00:00.000Z',
    sizeBytes: 1000, sha256: 'ab', verified: true, verifiedAt: '2026-01-01T00:00:05.000Z', reason: 'manual', durationMs: 10,
  };
  test('unchanged since its check at creation: says when', () => {
    const k = checkOf(meta, 1000, Date.parse('2026-01-01T00:00:04Z'));
    assert.equal(k.state, 'unchanged-since-check');
    assert.match(k.note, /last checked 2026-01-01T00:00:05.000Z \(at creation\)/);
  });
  test('a truncated or rewritten archive is not labelled verified', () => {
    assert.equal(checkOf(meta, 500, Date.parse('2026-01-01T00:00:04Z')).state, 'changed-since-check');
    const rewritten = checkOf(meta, 1000, Date.parse('2026-03-01T00:00:00Z'));
    assert.equal(rewritten.state, 'changed-since-check');
    assert.match(rewritten.note, /CHANGED since its check/);
  });
  test('an export copied to the host after its check, within the backup, is unchanged', () => {
    const arango: BackupMeta = { ...meta, kind: 'arangodb', durationMs: 60000 };
    assert.equal(checkOf(arango, 1000, Date.parse('2026-01-01T00:00:30Z')).state, 'unchanged-since-check');
    assert.equal(checkOf(arango, 1000, Date.parse('2026-01-01T00:05:00Z')).state, 'changed-since-check');
  });
  test('without metadata: never checked', () => {
    assert.equal(checkOf(undefined, 1000, 0).state, 'never-checked');
  });
});
