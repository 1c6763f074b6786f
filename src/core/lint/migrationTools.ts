// What part of a SQL file runs forward, by the conventions of the migration tools people use.
// A file can be a reverse or check script as a whole (golang-migrate's `*.down.sql`, diesel's
// `down.sql`, Flyway's `U…__` undo files, sqitch's revert/ and verify/ scripts): those are not
// migrations to lint as forward. A file can also hold both directions (goose's `-- +goose Up` /
// `-- +goose Down`, sql-migrate's `-- +migrate Up/Down`, dbmate's `-- migrate:up/down`, tern's
// `---- create above / drop below ----`): then only the up sections are linted. The other sections are blanked out (every character but line breaks
// becomes a space) rather than cut, so every offset in the linted text is the same offset in the
// file and findings need no mapping back.
import * as path from 'node:path';

/**
 * forward: runs when migrating up (plain migrations, `*.up.sql`, Flyway `V…__`, sqitch deploy/,
 * Prisma `migration.sql`); repeatable: Flyway `R__…`, re-applied whenever its checksum changes, so
 * it must be idempotent by definition and is linted like a forward migration; reverse: undo,
 * revert and verify scripts, which are never linted as forward migrations.
 */
export type SqlFileRole = 'forward' | 'repeatable' | 'reverse';

function segments(file: string): string[] {
  return file.split(/[\\/]+/).filter((s) => s.length > 0);
}

/** The role of a SQL file from its path alone. */
export function sqlFileRole(file: string): SqlFileRole {
  const base = path.basename(file.replace(/\\/g, '/'));
  const lower = base.toLowerCase();
  // golang-migrate (`.down.sql`), node-db-migrate's SQL files (`-down.sql`), diesel
  // (`<ts>_name/down.sql`), yoyo (`.rollback.sql`). Not `_down`: `0042_slow_down.sql` is a name.
  if (/(^|[.-])down\.(sql|pgsql|psql)$/.test(lower) || /\.rollback\.(sql|pgsql|psql)$/.test(lower)) return 'reverse';
  // Flyway: U<version>__<desc>.sql undoes V<version>__<desc>.sql; R__<desc>.sql is repeatable.
  if (/^U\d[\w.]*__.+\.sql$/.test(base)) return 'reverse';
  if (/^R__.+\.sql$/.test(base)) return 'repeatable';
  // sqitch: deploy/ runs forward, revert/ and verify/ do not (they sit beside deploy/ and sqitch.plan).
  const dirs = segments(file).slice(0, -1);
  const parent = dirs[dirs.length - 1]?.toLowerCase();
  if (parent === 'revert' || parent === 'verify') return 'reverse';
  return 'forward';
}

/** An annotation line that starts a section: which direction it opens. */
const SECTION_MARKER = [
  // goose: `-- +goose Up`, `-- +goose Down` (StatementBegin/End and NO TRANSACTION are other annotations).
  /^[ \t]*--[ \t]*\+goose[ \t]+(up|down)\b/i,
  // sql-migrate (rubenv): `-- +migrate Up`, `-- +migrate Down`.
  /^[ \t]*--[ \t]*\+migrate[ \t]+(up|down)\b/i,
  // dbmate: `-- migrate:up`, `-- migrate:down`.
  /^[ \t]*--[ \t]*migrate:(up|down)\b/i,
  // tern: one file, the up part above `---- create above / drop below ----`, the down part below.
  /^[ \t]*-{4}[ \t]*create above[ \t]*\/[ \t]*(drop) below[ \t]*-{4}/i,
];

export interface SectionSplit {
  /** The text with every down section blanked out; the same length as the input. */
  readonly text: string;
  /** The up sections (half-open ranges), when the file has direction annotations. */
  readonly up: readonly { start: number; end: number }[];
  /** The blanked down sections. */
  readonly down: readonly { start: number; end: number }[];
}

/** A word each SECTION_MARKER contains. */
const ANY_MARKER = /goose|migrate|create above/i;

/**
 * Blanks out the down sections of a file that marks its directions (goose, sql-migrate, dbmate, tern).
 * A section runs from its annotation line to the next annotation of either direction; text before
 * the first annotation is kept (it is comments in practice, and the tools reject anything else).
 * A file without annotations comes back unchanged.
 */
export function splitSqlSections(text: string): SectionSplit {
  const up: { start: number; end: number }[] = [];
  const down: { start: number; end: number }[] = [];
  // Every annotation names its tool (or tern's "create above"): one search of the text spares
  // most files the line-by-line walk.
  if (!ANY_MARKER.test(text)) return { text, up, down };
  let current: { dir: 'up' | 'down'; start: number } | undefined;
  let lineStart = 0;
  const close = (end: number): void => {
    if (current) (current.dir === 'up' ? up : down).push({ start: current.start, end });
  };
  while (lineStart <= text.length) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(lineStart, lineEnd);
    // Only a line that starts with `--` can be an annotation; most lines are rejected here.
    if (/^[ \t]*--/.test(line)) {
      for (const re of SECTION_MARKER) {
        const m = re.exec(line);
        if (!m) continue;
        close(lineStart);
        current = { dir: m[1]!.toLowerCase() === 'up' ? 'up' : 'down', start: lineStart };
        break;
      }
    }
    if (nl < 0) break;
    lineStart = nl + 1;
  }
  close(text.length);
  if (down.length === 0) return { text, up, down };
  let out = '';
  let at = 0;
  for (const d of down) {
    out += text.slice(at, d.start) + text.slice(d.start, d.end).replace(/[^\r\n]/g, ' ');
    at = d.end;
  }
  out += text.slice(at);
  return { text: out, up, down };
}
