// Whether an applied migration can be undone: a down migration exists for it in the layout of the
// migration tool the project follows (the conventions src/core/lint/migrationTools.ts knows for
// linting). A whole-release rollback uses this to say whether the previous images can get their
// schema back, or only run on the newer one.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { splitSqlSections } from '../lint/migrationTools';

export interface Reversibility {
  /** The migration's file name, as the ledger keys it. */
  readonly name: string;
  /** yes: a down migration exists; no: none found; unknown: the file is not in the migrations directory any more. */
  readonly reversible: 'yes' | 'no' | 'unknown';
  /** Where the down migration is (file name, or "<file> (down section)"), or why it is unknown. */
  readonly down?: string;
}

/** A down section with something in it besides comments and blank lines. */
function hasDownSection(text: string): boolean {
  const s = splitSqlSections(text);
  return s.down.some((d) => text.slice(d.start, d.end).split('\n').slice(1).some((l) => l.trim() !== '' && !l.trim().startsWith('--')));
}

/**
 * The down migration of `name` among the files of its directory (`files`, names only) and the file's
 * own text: golang-migrate `X.up.sql` → `X.down.sql` (also `X.sql` → `X.down.sql`), node-db-migrate
 * `X-up.sql` → `X-down.sql`, yoyo `X.rollback.sql`, Flyway `V<ver>__…` → `U<ver>__…`, goose,
 * sql-migrate, dbmate and tern down sections in the file itself, and sqitch's `../revert/X.sql`
 * (given as `revertDirFiles`).
 */
export function downMigrationOf(name: string, text: string | undefined, files: readonly string[], revertDirFiles: readonly string[] = []): Reversibility {
  if (text === undefined) return { name, reversible: 'unknown', down: 'the file is not in the migrations directory' };
  if (hasDownSection(text)) return { name, reversible: 'yes', down: `${name} (down section)` };
  const have = new Set(files);
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const candidates: string[] = [];
  const upDot = /^(.*)\.up$/i.exec(stem);
  const upDash = /^(.*)-up$/i.exec(stem);
  if (upDot) candidates.push(`${upDot[1]}.down${ext}`);
  else if (upDash) candidates.push(`${upDash[1]}-down${ext}`);
  else candidates.push(`${stem}.down${ext}`, `${stem}.rollback${ext}`);
  for (const c of candidates) if (have.has(c)) return { name, reversible: 'yes', down: c };
  const flyway = /^V(\d[\w.]*)__/.exec(name);
  if (flyway) {
    const undo = files.find((f) => f.startsWith(`U${flyway[1]}__`));
    if (undo) return { name, reversible: 'yes', down: undo };
  }
  if (revertDirFiles.includes(name)) return { name, reversible: 'yes', down: `../revert/${name}` };
  return { name, reversible: 'no' };
}

/** downMigrationOf for each applied migration, reading the project's migrations directory. */
export function reversibilityOf(dir: string, names: readonly string[]): Reversibility[] {
  const files = existsSync(dir) ? readdirSync(dir) : [];
  const revertDir = path.join(dir, '..', 'revert');
  const revert = path.basename(dir) === 'deploy' && existsSync(revertDir) ? readdirSync(revertDir) : [];
  return names.map((n) => {
    const full = path.join(dir, n);
    return downMigrationOf(n, files.includes(n) ? readFileSync(full, 'utf8') : undefined, files, revert);
  });
}
