// Backups of a PostgreSQL that runs in a container on the host (database.container): the tools
// run inside that container through `docker exec`, and the archive is a file on the host as
// always. No registry can be reached here, so the "database container" is an image built FROM
// scratch on the production host's engine from this machine's PostgreSQL 15 client tools (and
// busybox to keep it running); with --network host in the production host's namespace it
// reaches the host's PostgreSQL at 127.0.0.1:5432, as a real database container reaches its own.
// The target's host-side address is made wrong on purpose (port 1): only the container path can
// succeed.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createBackup, listBackups, restoreBackup, restoreDrill, verifyBackup, type BackupTarget } from '../../../src/core/backup/backups';
import { pgCommands } from '../../../src/core/backup/pgCommands';
import { Secret } from '../../../src/core/common/secret';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { DB_PASSWORD, bed, connect, recordingContext, type Bed } from '../deploy/bed';

const TOOLS = ['pg_dump', 'pg_restore', 'psql', 'createdb', 'dropdb', 'pg_isready'];

/** A FROM-scratch build context with the PostgreSQL client tools, their libraries and busybox. */
function stageToolsImage(): string {
  const ctx = mkdtempSync(path.join(tmpdir(), 'gl-pgtools-'));
  const root = path.join(ctx, 'rootfs');
  const put = (src: string, dst: string): void => {
    mkdirSync(path.dirname(path.join(root, dst)), { recursive: true });
    copyFileSync(realpathSync(src), path.join(root, dst));
  };
  const libs = new Set<string>();
  for (const t of TOOLS) {
    const bin = `/usr/lib/postgresql/15/bin/${t}`;
    put(bin, `/usr/bin/${t}`);
    for (const m of execFileSync('ldd', [bin], { encoding: 'utf8' }).matchAll(/(\/\S+)\s+\(0x/g)) libs.add(m[1]!);
  }
  for (const lib of libs) put(lib, lib);
  put('/usr/bin/busybox', '/bin/busybox');
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/nonexistent\n');
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nCMD ["/bin/busybox", "sleep", "3600"]\n');
  return ctx;
}

suite('(integration) backup: PostgreSQL in a container on the production host (tools through docker exec)', function () {
  this.timeout(180_000);
  let b: Bed;
  let host: RemoteHost;
  let t: BackupTarget;
  let ctxDir: string;
  const container = `gl-pgtools-${process.pid}`;
  const image = `gl-pgtools:${process.pid}`;
  const table = `gl_it_container_${process.pid}`;
  const docker = (...args: string[]): string => execFileSync('docker', ['-H', `unix://${b.dockerSock}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const psql = async (sql: string): Promise<string> => {
    const c = pgCommands.countTables(t.pg, t.pg.database);
    return (await host.run([...c.argv.slice(0, -1), sql], { stdin: c.stdin, secrets: [t.pg.password!] })).trim();
  };

  suiteSetup(async () => {
    b = bed();
    ctxDir = stageToolsImage();
    docker('build', '--network', 'none', '-q', '-t', image, ctxDir);
    docker('run', '-d', '--name', container, '--network', 'host', image);
    host = await connect(b, recordingContext());
    t = {
      env: 'itcontainer',
      dir: `${b.backupsDir}/it-container-${process.pid}`,
      // Port 1 as the host sees it: a tool run on the host would fail to connect.
      pg: { host: '127.0.0.1', port: 1, database: 'appdb', user: 'app', password: new Secret(DB_PASSWORD), container: { name: container, dockerSocket: b.dockerSock, host: '127.0.0.1', port: 5432 } },
    };
    await psql(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int primary key, note text); INSERT INTO ${table} SELECT g, md5(g::text) FROM generate_series(1, 2000) g`);
  });

  suiteTeardown(async () => {
    if (host) {
      await psql(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await host.exec(['rm', '-rf', '--', t.dir]);
      host.close();
    }
    try {
      docker('rm', '-f', container);
      docker('rmi', image);
    } catch {
      // The suite failed before it made them.
    }
    if (ctxDir) rmSync(ctxDir, { recursive: true, force: true });
  });

  test('pg_dump in the container writes a verified 0600 archive on the host; verify, drill and restore use the container\'s tools', async () => {
    const ctx = recordingContext();
    const m = await createBackup(ctx, host, t);
    assert.match(m.id, /^itcontainer_appdb_\d{8}_\d{6}$/);
    assert.ok(m.verified && m.sizeBytes > 1000 && (m.tocEntries ?? 0) > 0, JSON.stringify(m));
    assert.equal((await host.run(['stat', '--format', '%a', '--', m.file])).trim(), '600');
    assert.ok(!ctx.lines.join('\n').includes(DB_PASSWORD), 'the password is never logged');
    assert.equal((await verifyBackup(recordingContext(), host, t.dir, m.id, t.pg)).ok, true);
    const d = await restoreDrill(recordingContext(), host, t, m.id);
    assert.ok(d.tables >= 1);
    await psql(`DELETE FROM ${table}`);
    const r = await restoreBackup(recordingContext(), host, t, m.id, { confirm: async () => true });
    assert.equal(r.restored, true);
    assert.equal(await psql(`SELECT count(*) FROM ${table}`), '2000');
  });

  test('a stopped database container is a clear failure, and no partial archive is left', async () => {
    docker('stop', '-t', '1', container);
    try {
      await assert.rejects(createBackup(recordingContext(), host, t, { now: new Date(Date.now() + 5000) }), new RegExp(`${container}.*is not running|is not running`));
      const left = await host.run(['find', t.dir, '-name', '*.partial']);
      assert.equal(left.trim(), '', 'no .partial file left behind');
      assert.equal((await listBackups(recordingContext(), host, t.dir)).length, 1);
    } finally {
      docker('start', container);
    }
  });
});
