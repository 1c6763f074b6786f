import * as assert from 'node:assert/strict';
import { backupId, parseBackupId, assertBackupId } from '../../../src/core/backup/naming';
import { fileCommands, pgCommands } from '../../../src/core/backup/pgCommands';
import { planRetention } from '../../../src/core/backup/retention';
import { Secret } from '../../../src/core/common/secret';

const PG = { host: '127.0.0.1', port: 5432, database: 'appdb', user: 'app', password: new Secret('s3cr3t-pw') };

suite('(unit) backup: naming', () => {
  test('names are <env>_<db>_<YYYYMMDD_HHMMSS> in UTC and parse back', () => {
    const at = new Date(Date.UTC(2026, 0, 5, 3, 4, 9));
    const id = backupId('production', 'appdb', at);
    assert.equal(id, 'production_appdb_20260105_030409');
    assert.deepEqual(parseBackupId(id), { env: 'production', db: 'appdb', at });
  });
  test('underscores and odd characters in names cannot break the shape', () => {
    assert.equal(backupId('prod_eu', 'my_db', new Date(0)), 'prod-eu_my-db_19700101_000000');
  });
  test('ids that could escape the directory are refused', () => {
    for (const bad of ['../x', 'a_b_20260101_000000/../../etc', '', 'prod_db_2026']) assert.throws(() => assertBackupId(bad), /not a backup id/);
  });
});

suite('(unit) backup: commands as argv', () => {
  test('pg_dump runs under the stdin password wrapper; the password is never in argv', () => {
    const c = pgCommands.dump(PG, '/b/x.dump.partial');
    assert.deepEqual(c.argv, [
      'sh', '-c', 'IFS= read -r PGPASSWORD || exit 97; export PGPASSWORD; umask 077; exec "$@"', 'greenlight-pg',
      'pg_dump', '--format=custom', '--host', '127.0.0.1', '--port', '5432', '--username', 'app', '--no-password', '--dbname', 'appdb', '--file', '/b/x.dump.partial',
    ]);
    assert.equal(c.stdin, 's3cr3t-pw\n');
    assert.ok(!c.argv.join(' ').includes('s3cr3t'));
  });
  test('without a password the wrapper only sets umask', () => {
    const c = pgCommands.dump({ ...PG, password: undefined }, '/b/x');
    assert.deepEqual(c.argv.slice(0, 5), ['sh', '-c', 'umask 077; exec "$@"', 'greenlight-pg', 'pg_dump']);
    assert.equal(c.stdin, undefined);
  });
  test('restore is one transaction, cleans first, stops at the first error', () => {
    assert.deepEqual(pgCommands.restore(PG, '/b/x.dump').argv.slice(4), [
      'pg_restore', '--host', '127.0.0.1', '--port', '5432', '--username', 'app', '--no-password', '--dbname', 'appdb',
      '--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--', '/b/x.dump',
    ]);
  });
  test('verification reads the TOC and every data block, without the password', () => {
    const list = pgCommands.list(PG, '/b/x.dump');
    assert.deepEqual(list.argv, ['sh', '-c', 'umask 077; exec "$@"', 'greenlight-pg', 'pg_restore', '--list', '--', '/b/x.dump']);
    assert.equal(list.stdin, undefined);
    assert.deepEqual(pgCommands.readAll(PG, '/b/x.dump').argv.slice(4), ['pg_restore', '--file', '/dev/null', '--', '/b/x.dump']);
  });
  const IN_CONTAINER = { ...PG, container: { name: 'shop-db', dockerSocket: '/run/docker.sock', host: '127.0.0.1', port: 5432 } };
  test('PostgreSQL in a container: pg_dump runs there through docker exec, its stdout goes to the file on the host; the password only by name', () => {
    const c = pgCommands.dump({ ...IN_CONTAINER, port: 15432 }, '/b/x.dump.partial');
    assert.deepEqual(c.argv.slice(4), [
      '/b/x.dump.partial', '/dev/null',
      'docker', '--host', 'unix:///run/docker.sock', 'exec', '-e', 'PGPASSWORD', '--', 'shop-db',
      'pg_dump', '--format=custom', '--host', '127.0.0.1', '--port', '5432', '--username', 'app', '--no-password', '--dbname', 'appdb',
    ]);
    assert.match(c.argv[2]!, /^IFS= read -r PGPASSWORD \|\| exit 97; export PGPASSWORD; umask 077; out=\$1; in=\$2; shift 2; exec "\$@" </);
    assert.equal(c.stdin, 's3cr3t-pw\n');
    assert.ok(!c.argv.join(' ').includes('s3cr3t'));
    assert.ok(!c.argv.includes('--file'), 'the file is on the host, not in the container');
  });
  test('PostgreSQL in a container: pg_restore reads the archive on the host through its stdin (-i); the checks need no password', () => {
    const r = pgCommands.restore(IN_CONTAINER, '/b/x.dump');
    assert.deepEqual(r.argv.slice(4, 13), ['', '/b/x.dump', 'docker', '--host', 'unix:///run/docker.sock', 'exec', '-i', '-e', 'PGPASSWORD']);
    assert.ok(!r.argv.slice(r.argv.indexOf('shop-db')).includes('--'), 'no file argument inside the container');
    const list = pgCommands.list(IN_CONTAINER, '/b/x.dump');
    assert.deepEqual(list.argv.slice(3), ['greenlight-pg', '', '/b/x.dump', 'docker', '--host', 'unix:///run/docker.sock', 'exec', '-i', '--', 'shop-db', 'pg_restore', '--list']);
    assert.equal(list.stdin, undefined);
    assert.deepEqual(pgCommands.ping(IN_CONTAINER).argv.slice(4, 11), ['', '/dev/null', 'docker', '--host', 'unix:///run/docker.sock', 'exec', '-e']);
  });
  test('file commands', () => {
    assert.deepEqual(fileCommands.move('/a.partial', '/a.dump'), ['mv', '-n', '--', '/a.partial', '/a.dump']);
    assert.deepEqual(fileCommands.write('/m.json'), ['sh', '-c', 'umask 077 && cat > "$1"', 'greenlight-write', '/m.json']);
    assert.deepEqual(fileCommands.remove('/a', '/b'), ['rm', '-f', '--', '/a', '/b']);
  });
});

suite('(unit) backup: retention', () => {
  const day = (d: string, h = 12): { id: string; createdAt: string } => ({ id: `p_db_${d.replace(/-/g, '')}_${String(h).padStart(2, '0')}0000`, createdAt: `${d}T${String(h).padStart(2, '0')}:00:00.000Z` });

  test('keep-N keeps the newest N and removes the rest, newest first', () => {
    const list = ['2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04'].map((d) => day(d));
    const plan = planRetention(list, { keep: 2 });
    assert.deepEqual(plan.keep.map((k) => k.backup.id), ['p_db_20260104_120000', 'p_db_20260103_120000']);
    assert.deepEqual(plan.remove.map((b) => b.id), ['p_db_20260102_120000', 'p_db_20260101_120000']);
    assert.deepEqual(plan.keep[0]?.reasons, ['newest', 'keep 1 of 2']);
  });

  test('GFS keeps one per day, ISO week and month', () => {
    const list = [
      day('2026-03-10', 18), day('2026-03-10', 6), day('2026-03-09'), day('2026-03-08'), day('2026-03-02'),
      day('2026-02-20'), day('2026-01-15'), day('2025-12-01'),
    ];
    const plan = planRetention(list, { keep: 10, gfs: { daily: 2, weekly: 2, monthly: 3 } });
    const kept = plan.keep.map((k) => k.backup.id);
    // daily: 03-10 (18h), 03-09; weekly: W11 (03-10 18h), W10 (03-08); monthly: 2026-03, 2026-02, 2026-01.
    assert.deepEqual(kept, ['p_db_20260310_180000', 'p_db_20260309_120000', 'p_db_20260308_120000', 'p_db_20260220_120000', 'p_db_20260115_120000']);
    assert.deepEqual(plan.remove.map((b) => b.id), ['p_db_20260310_060000', 'p_db_20260302_120000', 'p_db_20251201_120000']);
  });

  test('the newest backup is kept even by a policy that keeps nothing else', () => {
    const plan = planRetention([day('2026-01-01'), day('2026-01-02')], { keep: 1, gfs: { daily: 0, weekly: 0, monthly: 0 } });
    assert.deepEqual(plan.keep.map((k) => k.backup.id), ['p_db_20260102_120000']);
  });
});
