// Which files get linted. The project file names them (`database.migrations`, `database.seeds`);
// editor settings and CLI arguments add paths or globs. The same rules decide both "is this open
// document a migration or seed file?" (the language server) and "which files does a directory
// argument expand to?" (the CLI and the workspace scan), so the editor and CI never disagree.
import { readdirSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CONFIG_FILE_NAME } from '../config/fileName';
import type { ConfigProblem } from '../config/load';
import { lintOptionsFromConfig } from './projectLintConfig';
import type { LintOptions } from './types';

/**
 * Where migrations and seeds usually live when there is no greenlight.yaml: the demo layout and
 * goose, golang-migrate, sql-migrate and arangojs scripts (migrations/), dbmate and golang-migrate
 * (db/migrations), Flyway (db/migration, src/main/resources/db/migration), sqitch (deploy/),
 * Prisma (prisma/migrations/<ts>_name/migration.sql), Rails (db/migrate, db/seeds.rb, db/seeds/)
 * and Django apps (<app>/migrations/*.py). Which files in them run forward is the languages'
 * business (../lint/migrationTools.ts): down, undo, revert and verify scripts are skipped there.
 */
export const CONVENTIONAL_LINT_PATHS: readonly string[] = [
  'migrations',
  'db/migrations',
  'db/migration',
  'src/main/resources/db/migration',
  'deploy',
  'prisma/migrations',
  'db/migrate',
  'db/seeds.rb',
  'db/seeds',
  '*/migrations/*.py',
];

/**
 * Seed files where Rails and Django keep them. They stay linted when greenlight.yaml exists but
 * does not list them in database.seeds: writing the project file must not silently switch off
 * the warnings the same files had a moment before.
 */
export const CONVENTIONAL_SEED_PATHS: readonly string[] = ['db/seeds.rb', 'db/seeds', '*/migrations/*.py'];

/**
 * File name endings a lint language may handle; other files in a directory are not even read.
 * Scripts (.js, .ts, …) are read but only linted when they are arangojs migrations.
 */
export const LINTABLE_EXTENSIONS: readonly string[] = ['.sql', '.pgsql', '.psql', '.aql', '.json', '.rb', '.py', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];

/** Directories never descended into: dependencies, VCS data, build output, virtualenvs. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'out', '.venv', 'venv', '__pycache__', '.tools']);

/** A bound on a directory walk, so a mistyped glob such as "**" cannot read a whole disk. */
export const MAX_LINT_FILES = 20_000;

export interface LintTargets {
  /** The folder relative patterns are resolved against (where greenlight.yaml is, or the workspace root). */
  readonly root: string;
  /** Paths or globs relative to root (or absolute), in the order they were declared. */
  readonly patterns: readonly string[];
  /** Where the patterns came from, for messages: "greenlight.yaml", "conventional paths". */
  readonly origin: 'config' | 'conventional';
  /** The config file when one was found and valid. */
  readonly configFile?: string;
  /** Problems of a greenlight.yaml that exists but is invalid (the conventional paths are used then). */
  readonly configProblems?: readonly ConfigProblem[];
  /** The rules and severities of greenlight.yaml's `lint:` block (empty without one). */
  readonly options?: LintOptions;
}

/**
 * The lint targets of a project folder: `database.migrations`, `database.seeds` and `lint.paths`
 * of its greenlight.yaml when there is one (and it is valid), else the conventional paths; `extra`
 * (settings, CLI) is added either way. The `lint.rules` of the file come back as `options`.
 */
export async function resolveLintTargets(root: string, extra: readonly string[] = []): Promise<LintTargets> {
  const configFile = path.join(root, CONFIG_FILE_NAME);
  // Loaded when needed: the YAML parser and the schema cost a CLI run on explicit paths for nothing.
  const { loadConfig } = await import('../config/load');
  const result = await loadConfig(configFile);
  if (result.ok) {
    const db = result.config.database;
    const own = db ? [db.migrations, ...db.seeds] : [];
    const lint = result.config.lint;
    return { root, patterns: dedupe([...own, ...CONVENTIONAL_SEED_PATHS, ...(lint?.paths ?? []), ...extra]), origin: 'config', configFile, options: lintOptionsFromConfig(lint) };
  }
  const missing = result.missing === true;
  return {
    root,
    patterns: dedupe([...CONVENTIONAL_LINT_PATHS, ...extra]),
    origin: 'conventional',
    configProblems: missing ? undefined : result.problems,
  };
}

function dedupe(xs: readonly string[]): string[] {
  return [...new Set(xs.map((x) => x.trim()).filter((x) => x.length > 0))];
}

const GLOB_CHARS = /[*?{[]/;

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

function toSlashes(p: string): string {
  return p.split(path.sep).join('/');
}

/**
 * A glob as an anchored regular expression over '/'-separated paths: `**` crosses directories,
 * `*` and `?` do not, `{a,b}` is an alternative, `[abc]` a class. A match of a directory covers
 * everything below it, so "migrations" and "migrations/**" mean the same.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        re += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close < 0) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = close;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(?:/.*)?$`);
}

/** Decides whether a file belongs to the lint targets (the language server asks this for open documents). */
export class LintPathMatcher {
  readonly #res: RegExp[];

  constructor(readonly targets: Pick<LintTargets, 'root' | 'patterns'>) {
    this.#res = targets.patterns.map((p) => globToRegExp(toSlashes(path.resolve(targets.root, p))));
  }

  matches(file: string): boolean {
    const abs = toSlashes(path.resolve(file));
    return this.#res.some((re) => re.test(abs));
  }
}

export interface CollectedFiles {
  /** Absolute paths of candidate files, sorted, without duplicates. */
  readonly files: string[];
  /** Patterns that matched nothing on disk (a plain path that does not exist, a glob without matches). */
  readonly unmatched: string[];
  /** True when the walk stopped at MAX_LINT_FILES. */
  readonly truncated: boolean;
}

export interface CollectOptions {
  readonly signal?: AbortSignal;
  readonly maxFiles?: number;
  /**
   * Plain file paths given explicitly (a CLI argument naming one file) are returned whatever their
   * extension; files found by walking a directory are kept only if they have a lintable extension.
   */
  readonly explicitFiles?: boolean;
  /**
   * Read directories with blocking calls: for a process that has nothing else to do meanwhile (the
   * CLI), a directory costs a system call instead of a round trip through libuv's thread pool
   * (a migrations folder of 400 directories waited 100 ms that way). Never in the service.
   */
  readonly blocking?: boolean;
}

/** localeCompare's order (ECMA-402 defines it as this collator's), without a collator per call. */
const byName = new Intl.Collator().compare;

/**
 * Expands patterns (relative to root) into candidate files on disk. A directory contributes every
 * file below it with a lintable extension; a glob is matched against files and directories.
 */
export async function collectLintFiles(root: string, patterns: readonly string[], opts: CollectOptions = {}): Promise<CollectedFiles> {
  const max = opts.maxFiles ?? MAX_LINT_FILES;
  const found = new Set<string>();
  const unmatched: string[] = [];
  let truncated = false;
  const add = (f: string): boolean => {
    if (found.size >= max) {
      truncated = true;
      return false;
    }
    found.add(f);
    return true;
  };
  const walk = async (dir: string, accept: (file: string) => boolean): Promise<number> => {
    let n = 0;
    let entries;
    try {
      entries = opts.blocking ? readdirSync(dir, { withFileTypes: true }) : await readdir(dir, { withFileTypes: true });
    } catch {
      return 0;
    }
    entries.sort((a, b) => byName(a.name, b.name));
    // One join per directory: an entry's name is one plain segment, so path.join(dir, name) is
    // what path.join(dir, 'x') is without its 'x', followed by the name ('.' → '', '/a' → '/a/').
    const prefix = path.join(dir, 'x').slice(0, -1);
    for (const e of entries) {
      opts.signal?.throwIfAborted();
      const full = prefix + e.name;
      if (e.isDirectory()) {
        if (SKIPPED_DIRS.has(e.name) || e.name.startsWith('.')) continue;
        n += await walk(full, accept);
      } else if (e.isFile() && accept(full)) {
        if (!add(full)) return n;
        n++;
      }
      if (truncated) return n;
    }
    return n;
  };
  const lintable = (f: string): boolean => LINTABLE_EXTENSIONS.includes(path.extname(f).toLowerCase());

  for (const pattern of patterns) {
    const before = found.size;
    const abs = path.resolve(root, pattern);
    if (!isGlob(pattern)) {
      const s = await stat(abs).catch(() => undefined);
      if (s?.isDirectory()) await walk(abs, lintable);
      else if (s?.isFile() && (opts.explicitFiles || lintable(abs))) add(abs);
    } else {
      const matcher = new LintPathMatcher({ root, patterns: [pattern] });
      // Walk only from the part of the pattern before its first glob segment.
      const segments = toSlashes(abs).split('/');
      const firstGlob = segments.findIndex((s) => isGlob(s));
      const base = segments.slice(0, firstGlob).join('/') || '/';
      await walk(base, (f) => lintable(f) && matcher.matches(f));
    }
    if (found.size === before && !truncated) unmatched.push(pattern);
    if (truncated) break;
  }
  return { files: [...found].sort(), unmatched, truncated };
}
