// Finds a project's migrations: the files directly inside the migrations directory (sub-folders
// such as seeds/ are not migrations), ordered by file name, each with its sha256 checksum and the
// directives it declares. The checksum is taken over the text with CRLF turned into LF, so a
// checkout with other line endings does not look like an edited migration.
import { createHash } from 'node:crypto';
import { splitSqlSections, sqlFileRole } from '../lint/migrationTools';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../common/errors';

export type MigrationKind = 'sql' | 'aql' | 'arango-json';

export interface MigrationFile {
  /** The file name, e.g. 20250120T000000_add_status.sql; the ledger's key. */
  readonly name: string;
  readonly path: string;
  readonly kind: MigrationKind;
  readonly text: string;
  /** sha256 (hex) of the text with line endings normalized. */
  readonly checksum: string;
  /** `-- greenlight:no-transaction`: run statement by statement outside a transaction. */
  readonly noTransaction: boolean;
}

const KIND_BY_EXTENSION: Record<string, MigrationKind> = { '.sql': 'sql', '.aql': 'aql', '.json': 'arango-json' };

export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** Directives are comment lines before the first statement, e.g. `-- greenlight:no-transaction`. */
export function hasNoTransactionDirective(text: string): boolean {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('--') && !line.startsWith('//')) return false;
    if (/^(--|\/\/)\s*greenlight:no-transaction\b/i.test(line)) return true;
  }
  return false;
}

export function migrationFromText(name: string, filePath: string, text: string): MigrationFile {
  const kind = KIND_BY_EXTENSION[path.extname(name).toLowerCase()];
  if (!kind) throw new InputError(`${filePath}: not a migration file (expected .sql, .aql or .json)`);
  return { name, path: filePath, kind, text, checksum: checksumOf(text), noTransaction: hasNoTransactionDirective(text) };
}

export interface LoadOptions {
  /** Only these kinds (PostgreSQL: sql; ArangoDB: aql and arango-json); others are an error. */
  readonly kinds: readonly MigrationKind[];
}

/**
 * Reads the migrations directory. Files are ordered by name with a plain code-unit comparison, so
 * the order never depends on the machine's locale. README/markdown files are ignored; any other
 * file of a kind the database does not take is an error, because silently skipping it would
 * leave a migration unapplied.
 */
export async function loadMigrations(dir: string, opts: LoadOptions): Promise<MigrationFile[]> {
  let entries: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new InputError(`${dir}: the migrations path is not a directory`);
    entries = await readdir(dir);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${dir}: cannot read the migrations directory (${code === 'ENOENT' ? 'not found' : (code ?? String(e))})`);
  }
  const files: MigrationFile[] = [];
  for (const name of entries.sort(compareNames)) {
    if (name.startsWith('.') || /\.(md|txt)$/i.test(name)) continue;
    const full = path.join(dir, name);
    const st = await stat(full);
    if (!st.isFile()) continue;
    const kind = KIND_BY_EXTENSION[path.extname(name).toLowerCase()];
    if (!kind) continue;
    if (!opts.kinds.includes(kind)) {
      throw new InputError(`${full}: a ${kind} migration cannot run on this database (it takes ${opts.kinds.join(', ')} files)`);
    }
    // A migration tool's reverse files (golang-migrate's `.down.sql`, Flyway's `U…__`, sqitch's
    // revert/ and verify/) and the down sections of files that hold both directions (goose, dbmate,
    // sql-migrate, tern) undo the migration: running them forward would drop what the up part made.
    // The same rules decide what the linter reads as the forward migration.
    if (kind === 'sql' && sqlFileRole(full) === 'reverse') continue;
    const m = migrationFromText(name, full, await readFile(full, 'utf8'));
    // The checksum stays the file's; the text that runs has its down sections blanked (same length,
    // so line numbers in errors still point into the file).
    files.push(kind === 'sql' ? { ...m, text: splitSqlSections(m.text).text } : m);
  }
  return files;
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 1-based line and column of a string offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
