// PostgreSQL backup commands run on the production host, as argv data (Kamal style). The
// password never appears in an argv: a constant wrapper script reads it from stdin into
// PGPASSWORD and execs the real command, and every tool gets --no-password so none ever prompts.
//
// When PostgreSQL runs in a container (database.container), the host may have no PostgreSQL
// tools at all: the same tools then run inside that container through `docker exec`, with
// PGPASSWORD handed over by name (`-e PGPASSWORD`, never its value in an argv). Archives stay
// files on the host: the wrapper connects the tool's stdout (pg_dump) or stdin (pg_restore) to
// the file, so every path, name and mode is the same as with tools on the host.
import type { Secret } from '../common/secret';

export interface PgTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password?: Secret;
  /** The tools run in this container, where the database is at host:port as the container sees it. */
  readonly container?: { readonly name: string; readonly dockerSocket: string; readonly host: string; readonly port: number };
}

export interface PgCommand {
  readonly argv: readonly string[];
  /** What to send on stdin (the password line), if anything. */
  readonly stdin?: string;
}

const WRAP = 'IFS= read -r PGPASSWORD || exit 97; export PGPASSWORD; umask 077; exec "$@"';
const WRAP_NO_PASSWORD = 'umask 077; exec "$@"';
// For a tool in a container: $1 is the file its stdout goes to, $2 the file its stdin comes from
// (empty: the wrapper's own); the rest is the `docker exec` argv.
const REDIRECT = 'out=$1; in=$2; shift 2; exec "$@" <"${in:-/dev/stdin}" >"${out:-/dev/stdout}"';
const WRAP_IN_CONTAINER = `IFS= read -r PGPASSWORD || exit 97; export PGPASSWORD; umask 077; ${REDIRECT}`;
const WRAP_IN_CONTAINER_NO_PASSWORD = `umask 077; ${REDIRECT}`;

/** Where the tool reads an archive from or writes one to, on the host. */
interface FileIo {
  /** The archive the tool writes (pg_dump). */
  readonly out?: string;
  /** The archive the tool reads (pg_restore). */
  readonly in?: string;
}

/**
 * One PostgreSQL tool run with the password on stdin: on the host with `file` as its own
 * argument, or in the database's container with the file on the host connected to its stdout or
 * stdin. `fileArgs(path)` gives the tool's arguments that name the file (on the host only).
 */
function tool(t: PgTarget, argv: readonly string[], io: FileIo = {}, fileArgs: (file: string) => string[] = () => []): PgCommand {
  const file = io.out ?? io.in;
  if (!t.container) {
    const all = [...argv, ...(file ? fileArgs(file) : [])];
    if (!t.password) return { argv: ['sh', '-c', WRAP_NO_PASSWORD, 'greenlight-pg', ...all] };
    return { argv: ['sh', '-c', WRAP, 'greenlight-pg', ...all], stdin: `${t.password.reveal()}\n` };
  }
  const c = t.container;
  // -i only when the tool reads the archive: otherwise its stdin stays closed.
  // `--` before the container name: a name from greenlight.yaml is never read as an option of docker exec.
  const exec = ['docker', '--host', `unix://${c.dockerSocket}`, 'exec', ...(io.in ? ['-i'] : []), ...(t.password ? ['-e', 'PGPASSWORD'] : []), '--', c.name, ...argv];
  if (!t.password) return { argv: ['sh', '-c', WRAP_IN_CONTAINER_NO_PASSWORD, 'greenlight-pg', io.out ?? '', io.in ?? '/dev/null', ...exec] };
  return { argv: ['sh', '-c', WRAP_IN_CONTAINER, 'greenlight-pg', io.out ?? '', io.in ?? '/dev/null', ...exec], stdin: `${t.password.reveal()}\n` };
}

/** The database's address for the tools: as the host sees it, or as its container does. */
function address(t: PgTarget): string[] {
  return ['--host', t.container?.host ?? t.host, '--port', String(t.container?.port ?? t.port)];
}

function conn(t: PgTarget, db = t.database): string[] {
  return [...address(t), '--username', t.user, '--no-password', '--dbname', db];
}

export const pgCommands = {
  dump: (t: PgTarget, file: string): PgCommand => tool(t, ['pg_dump', '--format=custom', ...conn(t)], { out: file }, (f) => ['--file', f]),
  /** Lists the archive's table of contents: proves the header and TOC are readable. */
  list: (t: PgTarget, file: string): PgCommand => tool({ ...t, password: undefined }, ['pg_restore', '--list'], { in: file }, (f) => ['--', f]),
  /** Reads every data block of the archive (to /dev/null): proves the compressed data is intact. */
  readAll: (t: PgTarget, file: string): PgCommand => tool({ ...t, password: undefined }, ['pg_restore', '--file', '/dev/null'], { in: file }, (f) => ['--', f]),
  restore: (t: PgTarget, file: string, db = t.database): PgCommand =>
    tool(t, ['pg_restore', ...conn(t, db), '--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error'], { in: file }, (f) => ['--', f]),
  restoreInto: (t: PgTarget, file: string, db: string): PgCommand => tool(t, ['pg_restore', ...conn(t, db), '--no-owner', '--exit-on-error'], { in: file }, (f) => ['--', f]),
  createDb: (t: PgTarget, db: string): PgCommand => tool(t, ['createdb', ...address(t), '--username', t.user, '--no-password', '--maintenance-db', t.database, '--', db]),
  dropDb: (t: PgTarget, db: string): PgCommand => tool(t, ['dropdb', ...address(t), '--username', t.user, '--no-password', '--maintenance-db', t.database, '--if-exists', '--', db]),
  countTables: (t: PgTarget, db: string): PgCommand =>
    tool(t, ['psql', ...conn(t, db), '--tuples-only', '--no-align', '--quiet', '--command',
      "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"]),
  ping: (t: PgTarget): PgCommand => tool(t, ['pg_isready', ...address(t), '--username', t.user, '--dbname', t.database]),
};

/**
 * A directory as find's starting point. find reads every argument that starts with "-", "(" or "!"
 * as part of its expression, even after `--` (`find -- -delete` deletes), so a relative path gets
 * a "./" prefix instead; the schema already refuses such names, this is the second fence.
 */
export function findStart(dir: string): string {
  return dir.startsWith('/') || dir.startsWith('./') ? dir : `./${dir}`;
}

/** File commands in the backup directory. Every path comes after `--` or is made to start with "/" or "./". */
export const fileCommands = {
  mkdir: (dir: string): string[] => ['mkdir', '-p', '-m', '700', '--', dir],
  sha256: (file: string): string[] => ['sha256sum', '--', file],
  size: (file: string): string[] => ['stat', '--format', '%s %a', '--', file],
  chmod600: (file: string): string[] => ['chmod', '600', '--', file],
  move: (from: string, to: string): string[] => ['mv', '-n', '--', from, to],
  write: (file: string): string[] => ['sh', '-c', 'umask 077 && cat > "$1"', 'greenlight-write', file],
  readMeta: (dir: string): string[] => ['find', findStart(dir), '-maxdepth', '1', '-type', 'f', '-name', '*.meta.json', '-exec', 'cat', '--', '{}', '+'],
  listDumps: (dir: string): string[] => ['find', findStart(dir), '-maxdepth', '1', '-type', 'f', '(', '-name', '*.dump', '-o', '-name', '*.jsonl.gz', ')', '-printf', '%f\\t%s\\t%T@\\n'],
  remove: (...files: string[]): string[] => ['rm', '-f', '--', ...files],
  cat: (file: string): string[] => ['cat', '--', file],
  df: (dir: string): string[] => ['df', '-Pk', '--', dir],
};
