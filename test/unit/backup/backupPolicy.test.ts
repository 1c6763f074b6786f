import * as assert from 'node:assert/strict';
import { decideBackup, type MigrationCheck } from '../../../src/core/deploy/migrations';

const upToDate: MigrationCheck = { builtin: true, databaseExists: true, files: 3, applied: 3, pending: [], opaqueTasks: [] };

suite('(unit) backup: the pre-deploy backup policy (seed 002)', () => {
  test('auto: pending migrations on an existing database take a backup and name the files', () => {
    const d = decideBackup('auto', { ...upToDate, applied: 1, pending: ['002_a.sql', '003_b.sql'] }, 'appdb');
    assert.deepEqual(d, { take: true, reason: '2 migrations pending: 002_a.sql, 003_b.sql' });
  });
  test('auto: long lists are cut after five names', () => {
    const pending = Array.from({ length: 8 }, (_, i) => `00${i}_x.sql`);
    assert.match(decideBackup('auto', { ...upToDate, files: 8, applied: 0, pending }, 'appdb').reason, /^8 migrations pending: 000_x\.sql, .*004_x\.sql, … \(3 more\)$/);
  });
  test('auto: nothing pending skips the backup and says why', () => {
    assert.deepEqual(decideBackup('auto', upToDate, 'appdb'), {
      take: false,
      reason: 'no migrations pending on appdb (all 3 applied, ledger up to date), so nothing this deploy runs changes the database',
    });
  });
  test('auto: a database that does not exist has nothing to back up, even with migrations pending', () => {
    const d = decideBackup('auto', { ...upToDate, databaseExists: false, applied: 0, pending: ['001.sql'] }, 'appdb');
    assert.equal(d.take, false);
    assert.match(d.reason, /database appdb does not exist yet/);
  });
  test('auto: when pending migrations cannot be computed, back up to be safe', () => {
    const d = decideBackup('auto', { ...upToDate, problem: 'ledger unreadable' }, 'appdb');
    assert.equal(d.take, true);
    assert.match(d.reason, /could not tell .*ledger unreadable.*to be safe/);
  });
  test('auto: app-managed migrate tasks are opaque, so a backup is taken', () => {
    const d = decideBackup('auto', { ...upToDate, builtin: false, files: 0, applied: 0, opaqueTasks: ['migrate', 'seed-prices'] }, 'appdb');
    assert.equal(d.take, true);
    assert.match(d.reason, /release tasks migrate, seed-prices may change the database/);
  });
  test('auto: a project without migration files and without such tasks takes none', () => {
    assert.equal(decideBackup('auto', { ...upToDate, files: 0, applied: 0 }, 'appdb').take, false);
  });
  test('always forces one; never skips, whatever is pending', () => {
    assert.deepEqual(decideBackup('always', upToDate, 'appdb'), { take: true, reason: 'forced on request' });
    assert.equal(decideBackup('never', { ...upToDate, pending: ['009.sql'] }, 'appdb').take, false);
  });
});
