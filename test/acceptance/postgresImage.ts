// A PostgreSQL 15 server image FROM scratch, made of Debian's postgresql-15 package files (binaries,
// libraries, share/) and the shared libraries they link, with the host's static busybox as /bin/sh
// for initdb and the entry script. Built with plain `docker build` on the host engine (it is test
// infrastructure, not an image under test), loaded into the production engine and started there
// on a user network under the alias `db`, the way teams run their database beside their services.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bed } from '../integration/deploy/bed';
import { prodDocker } from './harness';

const STAGE = path.join(__dirname, 'apps/_shared/stage_debian.py');

const ENTRY = `#!/bin/sh
# Initialises the cluster on first start (user app with POSTGRES_PASSWORD, database POSTGRES_DB,
# password logins from any address), then runs the server in the foreground.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/pwfile
  initdb -D "$PGDATA" -U app --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log; exit 1; }
  rm -f /tmp/pwfile
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE $POSTGRES_DB" | postgres --single -D "$PGDATA" -j postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp -c fsync=off -c synchronous_commit=off
`;

/** Builds the image on the host engine; returns its tag. */
export function buildPostgresImage(tag = 'acc-postgres15:latest'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-acc-pg-'));
  try {
    execFileSync('/usr/bin/python3', [STAGE, 'postgresql-15', 'postgresql-client-15', 'libpq5', 'tzdata', '--skip', '/LC_MESSAGES/', '/bitcode/', 'llvmjit'], { cwd: dir, stdio: 'pipe' });
    const rootfs = path.join(dir, 'rootfs');
    mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    copyFileSync(realpathSync('/bin/busybox'), path.join(rootfs, 'bin/busybox'));
    chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
    for (const applet of ['sh', 'rm', 'cat']) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
    writeFileSync(path.join(rootfs, 'entry.sh'), ENTRY, { mode: 0o755 });
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/lib/postgresql/15/bin:/bin PGDATA=/tmp/pgdata LANG=C\nUSER 1000\nEXPOSE 5432\nCMD ["/bin/sh", "/entry.sh"]\n',
    );
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', tag, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the PostgreSQL container `name` on the production engine, on `network` (created when
 * missing) with alias `db`, and waits until it accepts queries. An old container of that name is
 * replaced, so every run starts from an empty cluster.
 */
export async function startPostgresContainer(b: Bed, opts: { image: string; name: string; network: string; database: string; password: string }): Promise<void> {
  prodDocker(b, ['load', '-q'], execFileSync('docker', ['save', opts.image], { maxBuffer: 1 << 30 }));
  prodDocker(b, ['rm', '-f', opts.name]);
  if (!prodDocker(b, ['network', 'ls', '-q', '--filter', `name=^${opts.network}$`]).trim()) prodDocker(b, ['network', 'create', opts.network]);
  prodDocker(b, ['run', '-d', '--name', opts.name, '--network', opts.network, '--network-alias', 'db', '--restart', 'unless-stopped', '-e', `POSTGRES_PASSWORD=${opts.password}`, '-e', `POSTGRES_DB=${opts.database}`, opts.image]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      prodDocker(b, ['exec', opts.name, 'psql', '-h', '/tmp', '-U', 'app', '-d', opts.database, '-Atc', 'select 1'], Buffer.from(''));
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL in ${opts.name} did not accept queries within 60 s: ${(e as Error).message}\n${prodDocker(b, ['logs', '--tail', '30', opts.name])}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** psql inside the database container, as the app user (password logins over TCP). */
export function containerQuery(b: Bed, name: string, database: string, password: string, sql: string): string {
  return prodDocker(b, ['exec', '-e', `PGPASSWORD=${password}`, name, 'psql', '-X', '-A', '-t', '-h', '127.0.0.1', '-U', 'app', '-d', database, '-c', sql], Buffer.from('')).trim();
}
