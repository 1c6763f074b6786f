// PostgreSQL backup commands run on the production host, as argv data (Kamal style). The
// password never appears in an argv: a constant wrapper script reads it from stdin into
// PGPASSWORD and execs the real command, and every tool gets --no-password so none ever prompts.
import type { Secret } from '../common/secret';

export interface PgTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password?: Secret;
}

export interface PgCommand {
  readonly argv: readonly string[];
  /** What to send on stdin (the password line), if anything. */
  readonly stdin?: string;
}

const WRAP = 'IFS= read -r PGPASSWORD || exit 97; export PGPASSWORD; umask 077; exec "$@"';
const WRAP_NO_PASSWORD = 'umask 077; exec "$@"';

function withPassword(t: PgTarget, argv: string[]): PgCommand {
  if (!t.password) return { argv: ['sh', '-c', WRAP_NO_PASSWORD, 'greenlight-pg', ...argv] };
  return { argv: ['sh', '-c', WRAP, 'greenlight-pg', ...argv], stdin: `${t.password.reveal()}\n` };
}

function conn(t: PgTarget, db = t.database): string[] {
  return ['--host', t.host, '--port', String(t.port), '--username', t.user, '--no-password', '--dbname', db];
}

export const pgCommands = {
  dump: (t: PgTarget, file: string): PgCommand => withPassword(t, ['pg_dump', '--format=custom', ...conn(t), '--file', file]),
  /** Lists the archive's table of contents: proves the header and TOC are readable. */
  list: (file: string): string[] => ['pg_restore', '--list', '--', file],
  /** Reads every data block of the archive (to /dev/null): proves the compressed data is intact. */
  readAll: (file: string): string[] => ['pg_restore', '--file', '/dev/null', '--', file],
  restore: (t: PgTarget, file: string, db = t.database): PgCommand =>
    withPassword(t, ['pg_restore', ...conn(t, db), '--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--', file]),
  restoreInto: (t: PgTarget, file: string, db: string): PgCommand =>
    withPassword(t, ['pg_restore', ...conn(t, db), '--no-owner', '--exit-on-error', '--', file]),
  createDb: (t: PgTarget, db: string): PgCommand =>
    withPassword(t, ['createdb', '--host', t.host, '--port', String(t.port), '--username', t.user, '--no-password', '--maintenance-db', t.database, db]),
  dropDb: (t: PgTarget, db: string): PgCommand =>
    withPassword(t, ['dropdb', '--host', t.host, '--port', String(t.port), '--username', t.user, '--no-password', '--maintenance-db', t.database, '--if-exists', db]),
  countTables: (t: PgTarget, db: string): PgCommand =>
    withPassword(t, ['psql', ...conn(t, db), '--tuples-only', '--no-align', '--quiet', '--command',
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"]),
  ping: (t: PgTarget): PgCommand => withPassword(t, ['pg_isready', '--host', t.host, '--port', String(t.port), '--username', t.user, '--dbname', t.database]),
};

/** File commands in the backup directory. */
export const fileCommands = {
  mkdir: (dir: string): string[] => ['mkdir', '-p', '-m', '700', dir],
  sha256: (file: string): string[] => ['sha256sum', '--', file],
  size: (file: string): string[] => ['stat', '--format', '%s %a', '--', file],
  chmod600: (file: string): string[] => ['chmod', '600', '--', file],
  move: (from: string, to: string): string[] => ['mv', '-n', '--', from, to],
  write: (file: string): string[] => ['sh', '-c', 'umask 077 && cat > "$1"', 'greenlight-write', file],
  readMeta: (dir: string): string[] => ['find', dir, '-maxdepth', '1', '-type', 'f', '-name', '*.meta.json', '-exec', 'cat', '--', '{}', '+'],
  listDumps: (dir: string): string[] => ['find', dir, '-maxdepth', '1', '-type', 'f', '(', '-name', '*.dump', '-o', '-name', '*.jsonl.gz', ')', '-printf', '%f\\t%s\\t%T@\\n'],
  remove: (...files: string[]): string[] => ['rm', '-f', '--', ...files],
  cat: (file: string): string[] => ['cat', '--', file],
  df: (dir: string): string[] => ['df', '-Pk', '--', dir],
};
