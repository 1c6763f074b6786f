// Backup names: `<env>_<db>_<YYYYMMDD_HHMMSS>` in UTC, so names sort by time and say what they hold.

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function timestamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

export function backupId(env: string, db: string, at: Date): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9.-]+/g, '-');
  return `${clean(env)}_${clean(db)}_${timestamp(at)}`;
}

const ID = /^([A-Za-z0-9.-]+)_([A-Za-z0-9.-]+)_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

/** Parses a backup id; undefined when it is not one of ours. */
export function parseBackupId(id: string): { env: string; db: string; at: Date } | undefined {
  const m = ID.exec(id);
  if (!m) return undefined;
  const [, env, db, y, mo, d, h, mi, s] = m;
  return { env: env!, db: db!, at: new Date(Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!)) };
}

/** Backup ids come back from the host and from users: only our own shape may reach a path. */
export function assertBackupId(id: string): void {
  if (!parseBackupId(id)) throw new Error(`"${id}" is not a backup id (expected <env>_<db>_<YYYYMMDD_HHMMSS>)`);
}
