// `greenlight lint [paths…]`: lints migration and seed files for idempotency, the same engine the
// editor uses. Without paths it lints what greenlight.yaml declares (database.migrations,
// database.seeds and lint.paths); `-` lints standard input. The rules and severities of
// greenlight.yaml's `lint:` block apply either way, `--rule` on top. Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, config or
// unreadable-file errors (each message names the file and why).
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/fileName';
import { createDefaultLinter } from '../../core/lint/defaultLinter';
import type { Linter } from '../../core/lint/engine';
import { lintOptionsFromConfig, mayHoldLintBlock, mergeLintOptions, ruleCodeLine, unknownRuleCodes } from '../../core/lint/projectLintConfig';
import { DEFAULT_LINT_BUDGET, LintPool, type LintRunner } from '../../core/lint/pool/lintPool';
import type { FileItem, FileOutcome } from '../../core/lint/pool/protocol';
import { readFailureReason } from '../../core/lint/pool/readFailure';
import { contentHash, LintCache } from '../../core/lint/cache';
import { installedRuleDocsDir, ruleDocsUri } from '../../core/lint/report/docs';
import { formatJson } from '../../core/lint/report/json';
import type { LintReport } from '../../core/lint/report/model';
import { formatSarif } from '../../core/lint/report/sarif';
import { displayPath, formatText } from '../../core/lint/report/text';
import type { LintOptions, LintResult, Severity } from '../../core/lint/types';
import { collectLintFiles, isGlob } from '../../core/lint/workspace';
import type { CliIo } from '../io';

export const LINT_FORMATS = ['text', 'json', 'sarif'] as const;
export const FAIL_ON = ['error', 'warning', 'never'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];
export type FailOn = (typeof FAIL_ON)[number];

export interface LintCommandOptions {
  readonly format: LintFormat;
  readonly failOn: FailOn;
  readonly config: string;
  /** `--rule code=off|error|warning|info`, repeatable. */
  readonly rule: readonly string[];
  /** With the path `-`: the file name standard input is linted as (it picks the language). */
  readonly stdinFilename?: string;
  /** Time budget of one file, in ms (`--max-file-ms`). */
  readonly maxFileMs?: string;
  /** Memory budget of one file's worker, in MB (`--max-file-mb`). */
  readonly maxFileMb?: string;
  /** Reuse results of files whose content did not change (`--cache`). */
  readonly cache?: boolean;
  /** Where the cache lives (`--cache-location`, default .greenlight/lint-cache.json). */
  readonly cacheLocation?: string;
}

/** The path argument that means "read standard input", as in ESLint. */
export const STDIN_PATH = '-';
/** The file name standard input is linted as without --stdin-filename. */
export const DEFAULT_STDIN_FILENAME = 'stdin.sql';

export const DEFAULT_CACHE_LOCATION = '.greenlight/lint-cache.json';

/** What a run lints with: lint() for one file; lintFiles, when there, gets all files at once and reads them itself. */
export type RunLintRunner = LintRunner & { close?(): Promise<void>; lintFiles?(items: readonly FileItem[], options: LintOptions): Promise<FileOutcome[]> };
/**
 * A runner for one run, made before the files are found (so it can start loading) from the
 * options and the run's paths; close() ends its workers.
 */
export type RunnerFactory = (opts: LintCommandOptions, run: { readonly paths: readonly string[]; readonly cwd: string; readonly linter: Linter }) => RunLintRunner;
/** Files read and queued for linting at once. */
const IN_FLIGHT = 64;

function budgetNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`${flag} ${JSON.stringify(value)}: expected a positive whole number`);
  return n;
}

/** SQL file names: the one language whose parser and rules have no known hang (see SMALL_RUN_FILES). */
const SQL_FILE = /\.(sql|pgsql|psql)$/i;
/**
 * A run of at most this many SQL files of at most SMALL_RUN_BYTES together is linted on the main
 * thread: starting a worker thread (its own Node.js bootstrap, its own copy of the engine and the
 * parser) costs more than the files do, and one file is what a pre-commit hook or an editor
 * integration usually asks for. Only SQL runs so: the budgets exist for prism and tree-sitter,
 * which have hung on real input; PostgreSQL's own parser and the SQL rules take milliseconds on
 * a quarter of a megabyte.
 */
const SMALL_RUN_FILES = 4;
const SMALL_RUN_BYTES = 256 * 1024;

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    // Unreadable: the run reports it; it costs nothing to lint.
    return 0;
  }
}

/** Whether the paths name only a few SQL files (no directory, no glob): the run will likely be small. */
function namesFewSqlFiles(paths: readonly string[], cwd: string, stdinFilename: string | undefined): boolean {
  if (paths.length === 1 && paths[0] === STDIN_PATH) return SQL_FILE.test(stdinFilename ?? DEFAULT_STDIN_FILENAME);
  return paths.length > 0 && paths.length <= SMALL_RUN_FILES && paths.every((p) => !isGlob(p) && SQL_FILE.test(p) && !isDirectory(path.resolve(cwd, p)));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The CLI's runner: a pool of worker threads, one per core at most (more start only for a backlog
 * of files), each file under the budget (a file over it is reported as not linted instead of
 * hanging the run) — or, for a small SQL run, the engine on this thread. Unless the paths name
 * only a few SQL files, the first worker starts at once and loads while the files are found.
 */
export class CliRunner implements RunLintRunner {
  #pool: LintPool | undefined;

  /** Worker threads started so far (none for a small SQL run). */
  get workersStarted(): number {
    return this.#pool?.started ?? 0;
  }

  /** `started`: a pool already started (warm), used for every run size. */
  constructor(
    private readonly linter: Linter,
    private readonly makePool: () => LintPool,
    started?: LintPool,
  ) {
    this.#pool = started;
  }

  lint(file: string, text: string, options?: LintOptions): Promise<LintResult> {
    this.#pool ??= this.makePool();
    return this.#pool.lint(file, text, options);
  }

  lintFiles(items: readonly FileItem[], options: LintOptions): Promise<FileOutcome[]> {
    if (!this.#pool && items.length <= SMALL_RUN_FILES && items.every((it) => SQL_FILE.test(it.file))) {
      const bytes = items.reduce((n, it) => n + (it.text?.length ?? fileSize(it.file)), 0);
      if (bytes <= SMALL_RUN_BYTES) return lintEach(this.linter, this.linter, items, options);
    }
    this.#pool ??= this.makePool();
    return this.#pool.lintFiles(items, options);
  }

  async close(): Promise<void> {
    await this.#pool?.close();
  }
}

export const workerPoolRunner = (...[opts, run]: Parameters<RunnerFactory>): CliRunner => {
  const budget = { timeMs: budgetNumber('--max-file-ms', opts.maxFileMs, DEFAULT_LINT_BUDGET.timeMs), memoryMb: budgetNumber('--max-file-mb', opts.maxFileMb, DEFAULT_LINT_BUDGET.memoryMb) };
  const makePool = (warm = false): LintPool => new LintPool({ size: availableParallelism(), warm, budget });
  // With --cache most files are usually answered from the cache: a worker starts only when needed.
  const warm = !opts.cache && !namesFewSqlFiles(run.paths, run.cwd, opts.stdinFilename);
  return new CliRunner(run.linter, () => makePool(), warm ? makePool(true) : undefined);
};

export function registerLint(program: Command, io: CliIo, createLinter: () => Linter = createDefaultLinter): void {
  program
    .command('lint')
    .description('lint migrations and seed files for idempotency (default: the paths greenlight.yaml declares)')
    .argument('[paths...]', 'files, directories or globs, or - for standard input (default: database.migrations, database.seeds and lint.paths of greenlight.yaml)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(LINT_FORMATS).default('text'))
    .addOption(new Option('--fail-on <level>', 'exit 1 when a finding has this severity or higher').choices(FAIL_ON).default('warning'))
    .option('-c, --config <file>', 'project file used when no paths are given', CONFIG_FILE_NAME)
    .option('--rule <code=level>', 'switch a rule off or change its severity (off, error, warning, info); repeatable', collect, [])
    .option('--stdin-filename <file>', `with the path "-": lint standard input as this file (its name picks the language; default ${DEFAULT_STDIN_FILENAME})`)
    .option('--max-file-ms <ms>', `time one file may take before it is reported as not linted (default ${DEFAULT_LINT_BUDGET.timeMs})`)
    .option('--max-file-mb <mb>', `memory one file's worker may use before the file is reported as not linted (default ${DEFAULT_LINT_BUDGET.memoryMb})`)
    .option('--cache', 'lint only files whose content changed since the last run with --cache; reuse the other results')
    .option('--cache-location <file>', `where --cache keeps results (default ${DEFAULT_CACHE_LOCATION})`)
    .action(async (paths: string[], opts: LintCommandOptions) => {
      const code = await runLint(paths, opts, io, createLinter(), program.version() ?? '0.0.0', workerPoolRunner);
      io.exit(code);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Parses `--rule` values into engine options; a malformed value is a usage error. */
export function parseRuleOptions(values: readonly string[], knownCodes: ReadonlySet<string>): LintOptions {
  const disabled: string[] = [];
  const severity: Record<string, Severity> = {};
  for (const v of values) {
    const m = /^([a-z][a-z0-9-]*)=(off|error|warning|info)$/.exec(v.trim());
    if (!m) throw new InputError(`--rule ${JSON.stringify(v)}: expected <code>=off|error|warning|info`);
    const [, code, level] = m as unknown as [string, string, 'off' | Severity];
    if (knownCodes.size > 0 && !knownCodes.has(code)) throw new InputError(`--rule ${v}: unknown rule code "${code}" (known: ${[...knownCodes].sort().join(', ')})`);
    if (level === 'off') disabled.push(code);
    else severity[code] = level;
  }
  return { disabled, severity };
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function failsAt(results: readonly LintResult[], failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  const threshold = RANK[failOn];
  return results.some((r) => r.findings.some((f) => RANK[f.severity] >= threshold));
}

const why = readFailureReason;

function readTextOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A runner without a bulk path (the in-thread engine, tests' runners): the files one at a time
 * through lint(), a bounded number in flight — enough to keep a runner busy while the next files
 * are read, few enough that 10,000 files never hit the open-file limit.
 */
async function lintEach(runner: LintRunner, linter: Linter, items: readonly FileItem[], options: LintOptions): Promise<FileOutcome[]> {
  const out = new Array<FileOutcome>(items.length);
  const one = async (k: number): Promise<void> => {
    const { file } = items[k]!;
    let text = items[k]!.text;
    if (text === undefined) {
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        out[k] = { kind: 'unread', reason: readFailureReason(e) };
        return;
      }
      if (!linter.languageFor(file, text)) {
        out[k] = { kind: 'skipped' };
        return;
      }
    }
    out[k] = { kind: 'linted', result: await runner.lint(file, text, options) };
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, items.length) }, lane));
  return out;
}

interface Targets {
  readonly files: string[];
  /** Explicitly named files: a note is printed when no language handles them. */
  readonly explicit: Set<string>;
}

async function targetsFromArgs(paths: readonly string[], io: CliIo, problems: string[]): Promise<Targets> {
  const files = new Set<string>();
  const explicit = new Set<string>();
  for (const p of paths) {
    const abs = path.resolve(io.cwd, p);
    if (isGlob(p)) {
      const c = await collectLintFiles(io.cwd, [p], { blocking: true });
      if (c.files.length === 0) problems.push(`${p}: no files match this pattern`);
      c.files.forEach((f) => files.add(f));
      continue;
    }
    let s;
    try {
      s = await stat(abs);
    } catch (e) {
      problems.push(`${p}: cannot read: ${why(e)}`);
      continue;
    }
    if (s.isDirectory()) {
      const c = await collectLintFiles(abs, ['.'], { blocking: true });
      if (c.truncated) problems.push(`${p}: more than ${c.files.length} files; narrow the path`);
      c.files.forEach((f) => files.add(f));
    } else {
      files.add(abs);
      explicit.add(abs);
    }
  }
  return { files: [...files], explicit };
}

async function targetsFromConfig(configArg: string, io: CliIo): Promise<Targets> {
  const file = path.resolve(io.cwd, configArg);
  // Loaded only here: a run on explicit paths never needs the YAML parser and the schema.
  const { formatProblem, loadConfig } = await import('../../core/config/load');
  const result = await loadConfig(file);
  const shown = displayPath(file, io.cwd);
  if (!result.ok) {
    const missing = result.missing === true;
    if (missing) throw new InputError(`no paths given and ${shown} not found; pass files or directories to lint, or create ${CONFIG_FILE_NAME}`);
    for (const p of result.problems) io.err(formatProblem({ ...p, file: displayPath(p.file, io.cwd) }));
    throw new InputError(`${shown} is invalid (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}); fix it or pass paths to lint`);
  }
  const db = result.config.database;
  const extra = result.config.lint?.paths ?? [];
  if (!db && extra.length === 0) throw new InputError(`no paths given and ${shown} declares no database (database.migrations, database.seeds) and no lint.paths; pass paths to lint`);
  const files = new Set<string>();
  for (const p of [...(db ? [db.migrations, ...db.seeds] : []), ...extra]) {
    const c = await collectLintFiles(result.root, [p], { explicitFiles: true, blocking: true });
    // A project without seeds yet is normal: say so, but it is not an error.
    if (c.files.length === 0) io.err(`note: ${displayPath(path.resolve(result.root, p), io.cwd)} (from ${shown}) has no files to lint`);
    c.files.forEach((f) => files.add(f));
  }
  return { files: [...files], explicit: new Set() };
}

/**
 * The rules of greenlight.yaml's `lint:` block, the same ones the editor uses. A missing file means
 * the rules' defaults; when paths are given, an invalid file is a warning (its lint block is not
 * used) because the files to lint do not depend on it; a rule code no rule has is an input error.
 */
async function projectLintOptions(configArg: string, io: CliIo, knownCodes: ReadonlySet<string>, pathsGiven: boolean): Promise<LintOptions> {
  const file = path.resolve(io.cwd, configArg);
  // Read once: the text decides whether the loader is needed, is what it parses, and locates an
  // unknown rule code. Without the file there is nothing to load: the YAML parser and the schema
  // (a megabyte of code to compile) are not even required then.
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
  }
  // A run on given paths takes only the lint block from the file: a file that cannot hold one has
  // nothing for it (whether the rest of it is valid is `greenlight config check`'s to say).
  if (pathsGiven && text !== undefined && !mayHoldLintBlock(text)) return {};
  const { loadConfig, parseConfig } = await import('../../core/config/load');
  // An unreadable file goes through loadConfig, which says why as a problem.
  const result = text === undefined ? await loadConfig(file) : parseConfig(text, file);
  const shown = displayPath(file, io.cwd);
  if (!result.ok) {
    // Without paths, targetsFromConfig reports the problems and fails.
    if (!result.missing && pathsGiven) io.err(`warning: ${shown} is invalid, so its lint settings are not used (greenlight config check says why)`);
    return {};
  }
  const unknown = unknownRuleCodes(result.config.lint, knownCodes);
  if (unknown.length > 0) {
    const where = (code: string): string => {
      const line = ruleCodeLine(text ?? '', code);
      return line ? `${shown}:${line}` : shown;
    };
    throw new InputError(unknown.map((c) => `${where(c)}: lint.rules: unknown rule code "${c}" (known: ${[...knownCodes].sort().join(', ')})`).join('\n'));
  }
  return lintOptionsFromConfig(result.config.lint);
}

/**
 * Runs the lint verb and returns its exit code; output goes through io. `linter` knows the
 * languages and rules; the files are linted by the runner `createRunner` makes (default: `linter`
 * itself, in this thread), all at once, and reported in path order.
 */
export async function runLint(paths: readonly string[], opts: LintCommandOptions, io: CliIo, linter: Linter, toolVersion: string, createRunner?: RunnerFactory): Promise<0 | 1 | 2> {
  const rules = linter.rules.map((r) => r.meta);
  const known = new Set(rules.map((r) => r.code));
  // `--rule` is a local override on top of greenlight.yaml, as the editor settings are.
  const cliOptions = parseRuleOptions(opts.rule ?? [], known);
  const fromStdin = paths.length === 1 && paths[0] === STDIN_PATH;
  if (!fromStdin && paths.includes(STDIN_PATH)) throw new InputError(`"${STDIN_PATH}" (standard input) cannot be combined with other paths`);
  if (opts.stdinFilename !== undefined && !fromStdin) throw new InputError(`--stdin-filename needs the path "${STDIN_PATH}"`);
  const options = mergeLintOptions(await projectLintOptions(opts.config ?? CONFIG_FILE_NAME, io, known, paths.length > 0), cliOptions);
  const runner: RunLintRunner = createRunner ? createRunner(opts, { paths, cwd: io.cwd, linter }) : linter;
  const problems: string[] = [];
  let stdinText: string | undefined;
  let targets: Targets;
  try {
    if (fromStdin) {
      if (!io.readStdin) throw new InputError('standard input is not available here');
      stdinText = await io.readStdin();
      const file = path.resolve(io.cwd, opts.stdinFilename ?? DEFAULT_STDIN_FILENAME);
      targets = { files: [file], explicit: new Set([file]) };
    } else targets = paths.length ? await targetsFromArgs(paths, io, problems) : await targetsFromConfig(opts.config, io);
  } catch (e) {
    await (runner as { close?(): Promise<void> }).close?.();
    throw e;
  }
  targets.files.sort();

  const cache = opts.cache || opts.cacheLocation ? await LintCache.load(path.resolve(io.cwd, opts.cacheLocation ?? DEFAULT_CACHE_LOCATION), JSON.stringify([toolVersion, rules, options])) : undefined;
  const files = targets.files;
  const outcomes = new Array<FileOutcome | undefined>(files.length);
  // What goes to the runner: every file (the workers read them) unless the text is already here
  // (standard input; with --cache, files whose hash is not in the cache).
  const items: FileItem[] = [];
  const itemIndex: number[] = [];
  const hashes = new Map<number, string>();
  const given: (string | undefined)[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    if (stdinText === undefined && !cache) {
      items.push({ file });
      itemIndex.push(i);
      continue;
    }
    let text: string;
    try {
      text = stdinText ?? readFileSync(file, 'utf8');
    } catch (e) {
      outcomes[i] = { kind: 'unread', reason: readFailureReason(e) };
      continue;
    }
    if (!linter.languageFor(file, text)) {
      outcomes[i] = { kind: 'skipped' };
      continue;
    }
    const hash = cache ? contentHash(text) : '';
    const cached = cache?.get(file, hash);
    if (cached) {
      outcomes[i] = { kind: 'linted', result: cached };
      continue;
    }
    hashes.set(i, hash);
    given[i] = text;
    items.push({ file, text });
    itemIndex.push(i);
  }
  let linted: readonly FileOutcome[];
  try {
    linted = 'lintFiles' in runner && typeof runner.lintFiles === 'function' ? await runner.lintFiles(items, options) : await lintEach(runner, linter, items, options);
  } finally {
    await (runner as { close?(): Promise<void> }).close?.();
  }
  linted.forEach((o, k) => {
    const i = itemIndex[k]!;
    outcomes[i] = o;
    if (cache && o.kind === 'linted') cache.set(files[i]!, hashes.get(i)!, o.result);
  });

  const results: LintResult[] = [];
  const texts = new Map<string, string>();
  for (let i = 0; i < files.length; i++) {
    const o = outcomes[i];
    const file = files[i]!;
    if (o?.kind === 'unread') problems.push(`${displayPath(file, io.cwd)}: cannot read: ${o.reason}`);
    else if (o?.kind === 'skipped') {
      if (targets.explicit.has(file)) io.err(`note: ${displayPath(file, io.cwd)}: skipped: not a migration or seed file Greenlight can lint`);
    } else if (o?.kind === 'linted') {
      results.push(o.result);
      // Only the text report quotes source lines, and only of files with findings.
      if (opts.format === 'text' && o.result.findings.length > 0) {
        const text = given[i] ?? readTextOrUndefined(file);
        if (text !== undefined) texts.set(file, text);
      }
    }
  }
  await cache?.save().catch((e: unknown) => io.err(`warning: could not write the lint cache ${displayPath(cache.file, io.cwd)}: ${why(e)}`));

  const docsDir = installedRuleDocsDir();
  // One URI per rule, not per finding: 10,000 files have some 20,000 findings.
  const docsUris = new Map<string, string>();
  const docsUri = (code: string): string => docsUris.get(code) ?? docsUris.set(code, ruleDocsUri(code, docsDir)).get(code)!;
  const report: LintReport = { results, texts, rules, cwd: io.cwd, docsUri, toolVersion };
  io.out(opts.format === 'json' ? formatJson(report) : opts.format === 'sarif' ? formatSarif(report) : formatText(report));
  for (const p of problems) io.err(`error: ${p}`);
  if (problems.length) return 2;
  return failsAt(results, opts.failOn) ? 1 : 0;
}
