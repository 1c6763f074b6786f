import * as assert from 'node:assert/strict';
import { Secret } from '../../../src/core/common/secret';
import { applyRetention, createBackup, listBackups, previewRetention, restoreBackup, restoreDrill, verifyBackup, type BackupTarget } from '../../../src/core/backup/backups';
import { pgCommands } from '../../../src/core/backup/pgCommands';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { DB_PASSWORD, bed, connect, recordingContext, type Bed } from '../deploy/bed';

suite('(integration) backup: PostgreSQL on the production host', function () {
  this.timeout(120000);
  let b: Bed;
  let host: RemoteHost;
  let t: BackupTarget;
  const table = `gl_it_backup_${process.pid}`;

  const psql = async (sql: string): Promise<string> => {
    const c = pgCommands.countTables(t.pg, t.pg.database);
    const argv = [...c.argv.slice(0, -1), sql];
    return (await host.run(argv, { stdin: c.stdin, secrets: [t.pg.password!] })).trim();
  };

  suiteSetup(async () => {
    b = bed();
    host = await connect(b, recordingContext());
    t = { env: 'itbackup', dir: `${b.backupsDir}/it-backup-${process.pid}`, pg: { host: '127.0.0.1', port: 5432, database: 'appdb', user: 'app', password: new Secret(DB_PASSWORD) } };
    await psql(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int primary key, note text); INSERT INTO ${table} SELECT g, md5(g::text) FROM generate_series(1, 5000) g`);
  });

  suiteTeardown(async () => {
    if (host) {
      await psql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await host.exec(['rm', '-rf', '--', t.dir]);
      host.close();
    }
  });

  test('a backup is verified, mode 0600, named <env>_<db>_<timestamp>, and its password never logged', async () => {
    const ctx = recordingContext();
    const m = await createBackup(ctx, host, t);
    assert.match(m.id, /^itbackup_appdb_\d{8}_\d{6}$/);
    assert.ok(m.verified && m.sizeBytes > 1000 && (m.tocEntries ?? 0) > 0);
    const mode = (await host.run(['stat', '--format', '%a', '--', m.file])).trim();
    assert.equal(mode, '600');
    assert.ok(!ctx.lines.join('\n').includes(DB_PASSWORD));
    assert.equal((await verifyBackup(ctx, host, t.dir, m.id)).ok, true);
  });

  test('restore drill: the backup restores into a scratch database, which is dropped again', async () => {
    const [m] = await listBackups(recordingContext(), host, t.dir);
    const d = await restoreDrill(recordingContext(), host, t, m!.id);
    assert.ok(d.tables >= 1, `restored ${d.tables} tables`);
    const left = await psql(`SELECT count(*) FROM pg_database WHERE datname = '${d.scratchDatabase}'`);
    assert.equal(left, '0');
  });

  test('restore asks first; declined changes nothing, confirmed brings the data back', async () => {
    const [m] = await listBackups(recordingContext(), host, t.dir);
    await psql(`DELETE FROM ${table}`);
    const no = await restoreBackup(recordingContext(), host, t, m!.id, { confirm: async () => false });
    assert.equal(no.restored, false);
    assert.equal(await psql(`SELECT count(*) FROM ${table}`), '0');
    let asked = '';
    const yes = await restoreBackup(recordingContext(), host, t, m!.id, { confirm: async (s) => ((asked = s), true) });
    assert.equal(yes.restored, true);
    assert.match(asked, /Restore backup itbackup_appdb_.* into database "appdb"/);
    assert.equal(await psql(`SELECT count(*) FROM ${table}`), '5000');
  });

  test('a corrupted backup is refused for restore and drill', async () => {
    const m = await createBackup(recordingContext(), host, t, { now: new Date(Date.now() + 5000) });
    // Flip bytes in the middle of the archive, as a bad disk or a partial copy would.
    await host.run(['dd', 'if=/dev/urandom', `of=${m.file}`, 'bs=1', 'count=64', `seek=${Math.floor(m.sizeBytes / 2)}`, 'conv=notrunc']);
    const v = await verifyBackup(recordingContext(), host, t.dir, m.id);
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /file changed or is corrupt/);
    let asked = false;
    await assert.rejects(restoreBackup(recordingContext(), host, t, m.id, { confirm: async () => (asked = true) }), /refusing to restore .*corrupt/);
    assert.equal(asked, false, 'never even asked');
    await assert.rejects(restoreDrill(recordingContext(), host, t, m.id), /refusing to drill/);
  });

  test('retention keep-N: preview first, then only the oldest are deleted', async () => {
    const base = Date.now() + 60000;
    for (let i = 0; i < 3; i++) await createBackup(recordingContext(), host, t, { now: new Date(base + i * 1000) });
    const before = await listBackups(recordingContext(), host, t.dir);
    assert.equal(before.length, 5);
    const preview = await previewRetention(recordingContext(), host, t.dir, { keep: 2 });
    assert.deepEqual(preview.remove.map((x) => x.id), before.slice(2).map((x) => x.id));
    assert.equal((await listBackups(recordingContext(), host, t.dir)).length, 5, 'preview deletes nothing');
    await applyRetention(recordingContext(), host, t.dir, { keep: 2 });
    const after = await listBackups(recordingContext(), host, t.dir);
    assert.deepEqual(after.map((x) => x.id), before.slice(0, 2).map((x) => x.id));
  });

  test('retention after every backup: keep+1 backups leave the newest keep, the oldest removed and logged; a deploy in progress keeps its backup', async () => {
    const keep = 2;
    const r: BackupTarget = { ...t, dir: `${t.dir}-retain`, retention: { keep } };
    try {
      const base = Date.now() + 120_000;
      const taken: string[] = [];
      const logs: string[][] = [];
      for (let i = 0; i <= keep; i++) {
        const ctx = recordingContext();
        taken.push((await createBackup(ctx, host, r, { now: new Date(base + i * 1000) })).id);
        logs.push(ctx.lines);
      }
      const after = (await listBackups(recordingContext(), host, r.dir)).map((b) => b.id);
      assert.deepEqual(after, [taken[2], taken[1]], 'the newest keep stay, the oldest is gone');
      assert.ok(logs[2]!.some((l) => l.includes(`retention (keep ${keep}): removing 1 of 3: ${taken[0]}`)), logs[2]!.join('\n'));
      assert.ok(logs[2]!.some((l) => l.endsWith(`backup: deleted ${taken[0]}`)), logs[2]!.join('\n'));
      assert.ok(logs[1]!.some((l) => l.includes(`retention (keep ${keep}): 2 backups in ${r.dir}, none to remove`)), logs[1]!.join('\n'));

      // taken[1] is now the oldest: as the pre-deploy backup of a deploy that still holds the lock it survives the next backup.
      await host.run(['sh', '-c', 'f="$1"; sed -i "s/\\"reason\\":\\"manual\\"/\\"reason\\":\\"pre-deploy\\",\\"deployId\\":\\"d-it-running\\"/" "$f"', 'sh', `${r.dir}/${taken[1]}.meta.json`]);
      const ctx = recordingContext();
      const newest = (await createBackup(ctx, host, r, { now: new Date(base + 10_000), protectDeploys: ['d-it-running'] })).id;
      const final = (await listBackups(recordingContext(), host, r.dir)).map((b) => b.id);
      assert.deepEqual(final, [newest, taken[2], taken[1]], ctx.lines.join('\n'));
      assert.ok(ctx.lines.some((l) => l.includes(`${r.dir}, none to remove`)), ctx.lines.join('\n'));
      // Without the protection the same policy removes it.
      const last = (await createBackup(recordingContext(), host, r, { now: new Date(base + 20_000) })).id;
      assert.deepEqual((await listBackups(recordingContext(), host, r.dir)).map((b) => b.id), [last, newest]);
    } finally {
      await host.exec(['rm', '-rf', '--', r.dir]);
    }
  });
});
