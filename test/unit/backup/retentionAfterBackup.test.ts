import * as assert from 'node:assert/strict';
import { describePolicy, planRetentionAfterBackup } from '../../../src/core/backup/retention';

const day = (d: number, h = 12): { id: string; createdAt: string } => {
  const at = new Date(Date.UTC(2026, 10, d, h));
  return { id: `prod_appdb_${at.toISOString().replace(/\D/g, '').slice(0, 14)}`, createdAt: at.toISOString() };
};

suite('(unit) backup: retention after a backup', () => {
  const backups = [day(1), day(2), day(3), day(4), day(5)];

  test('keep-N removes the oldest beyond N, newest first in the kept list', () => {
    const plan = planRetentionAfterBackup(backups, { keep: 3 }, new Map([[day(5).id, 'just taken']]));
    assert.deepEqual(plan.remove.map((b) => b.id), [day(2).id, day(1).id]);
    assert.deepEqual(plan.keep.map((k) => k.backup.id), [day(5).id, day(4).id, day(3).id]);
    assert.deepEqual(plan.keep[0]!.reasons, ['newest', 'keep 1 of 3', 'just taken']);
  });

  test('a protected backup beyond the policy is kept, with the reason, and nothing else is rescued', () => {
    const plan = planRetentionAfterBackup(backups, { keep: 2 }, new Map([[day(5).id, 'just taken'], [day(1).id, 'backup of deploy d-42, in progress']]));
    assert.deepEqual(plan.remove.map((b) => b.id), [day(3).id, day(2).id]);
    assert.deepEqual(plan.keep.map((k) => k.backup.id), [day(5).id, day(4).id, day(1).id]);
    assert.deepEqual(plan.keep[2]!.reasons, ['backup of deploy d-42, in progress']);
  });

  test('the backup just taken survives even when its clock is behind every other backup', () => {
    // A host whose clock went back: the new backup sorts oldest, and keep 1 would delete it.
    const taken = day(1, 0);
    const plan = planRetentionAfterBackup([...backups, taken], { keep: 1 }, new Map([[taken.id, 'just taken']]));
    assert.ok(plan.keep.some((k) => k.backup.id === taken.id));
    assert.ok(!plan.remove.some((b) => b.id === taken.id));
    assert.equal(plan.remove.length, 4);
  });

  test('GFS: one per day for the last N days, the rest removed; protection still applies', () => {
    const twoADay = [day(3, 9), day(3, 18), day(4, 9), day(4, 18), day(5, 9)];
    const plan = planRetentionAfterBackup(twoADay, { keep: 10, gfs: { daily: 2, weekly: 0, monthly: 0 } }, new Map([[day(3, 9).id, 'just taken']]));
    assert.deepEqual(plan.remove.map((b) => b.id).sort(), [day(3, 18).id, day(4, 9).id].sort());
    assert.equal(describePolicy({ keep: 10, gfs: { daily: 2, weekly: 0, monthly: 0 } }), 'GFS 2 daily, 0 weekly, 0 monthly');
    assert.equal(describePolicy({ keep: 10 }), 'keep 10');
  });
});
