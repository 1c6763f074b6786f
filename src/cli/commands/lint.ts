// `greenlight lint [paths…]`: lints migration and seed files for idempotency, the same engine the
// editor uses. Without paths it lints what greenlight.yaml declares (database.migrations,
// database.seeds and lint.paths); `-` lints standard input. The rules and severities of
// greenlight.yaml's `lint:` block apply either way, `--rule` on top. Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, config or
// unreadable-file errors (each message names the file and why).
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../../core/common/errors';
import { CONFIG_FILE_NAME } from '../../core/config/fileName';
import { createDefaultLinter } from '../../core/lint/defaultLinter';
import type { Linter } from '../../core/lint/engine';
import { lintOptionsFromConfig, mergeLintOptions, ruleCodeLine, unknownRuleCodes } from '../../core/lint/projectLintConfig';
import { DEFAULT_LINT_BUDGET, LintPool, type LintRunner } from '../../core/lint/pool/lintPool';
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

/** A runner for one run (made before the files are found, so it can start loading); close() ends its workers. */
export type RunnerFactory = (opts: LintCommandOptions) => LintRunner & { close?(): Promise<void> };
/** Files read and queued for linting at once. */
const IN_FLIGHT = 64;

function budgetNumber(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`${flag} ${JSON.stringify(value)}: expected a positive whole number`);
  return n;
}

/**
 * The CLI's runner: a pool of worker threads, one per core at most (more start only for a backlog
 * of files), each file under the budget (a file over it is reported as not linted instead of
 * hanging the run). The first worker starts at once and loads while the files are found.
 */
export const workerPoolRunner: RunnerFactory = (opts) =>
  new LintPool({
    size: availableParallelism(),
    // With --cache most files are usually answered from the cache: a worker starts only when needed.
    warm: !opts.cache,
    budget: { timeMs: budgetNumber('--max-file-ms', opts.maxFileMs, DEFAULT_LINT_BUDGET.timeMs), memoryMb: budgetNumber('--max-file-mb', opts.maxFileMb, DEFAULT_LINT_BUDGET.memoryMb) },
  });

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

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ELOOP: 'too many levels of symbolic links',
    ENOTDIR: 'a part of the path is not a directory',
    EISDIR: 'is a directory',
    EMFILE: 'too many open files',
  };
  return err?.code ? `${reasons[err.code] ?? err.message} (${err.code})` : String(e);
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
      const c = await collectLintFiles(io.cwd, [p]);
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
      const c = await collectLintFiles(abs, ['.']);
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
    const c = await collectLintFiles(result.root, [p], { explicitFiles: true });
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
  const { loadConfig } = await import('../../core/config/load');
  const result = await loadConfig(file);
  const shown = displayPath(file, io.cwd);
  if (!result.ok) {
    // Without paths, targetsFromConfig reports the problems and fails.
    if (!result.missing && pathsGiven) io.err(`warning: ${shown} is invalid, so its lint settings are not used (greenlight config check says why)`);
    return {};
  }
  const unknown = unknownRuleCodes(result.config.lint, knownCodes);
  if (unknown.length > 0) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const where = (code: string): string => {
      const line = ruleCodeLine(text, code);
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
  const runner = createRunner ? createRunner(opts) : linter;
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
  const slots: (LintResult | undefined)[] = [];
  const unread: (string | undefined)[] = [];
  const texts = new Map<string, string>();
  const lintOne = async (i: number): Promise<void> => {
    const file = targets.files[i]!;
    let text: string;
    try {
      text = stdinText ?? (await readFile(file, 'utf8'));
    } catch (e) {
      unread[i] = `${displayPath(file, io.cwd)}: cannot read: ${why(e)}`;
      return;
    }
    if (!linter.languageFor(file, text)) {
      if (targets.explicit.has(file)) io.err(`note: ${displayPath(file, io.cwd)}: skipped: not a migration or seed file Greenlight can lint`);
      return;
    }
    texts.set(file, text);
    if (!cache) {
      slots[i] = await runner.lint(file, text, options);
      return;
    }
    const hash = contentHash(text);
    const cached = cache.get(file, hash);
    if (cached) {
      slots[i] = cached;
      return;
    }
    slots[i] = await runner.lint(file, text, options);
    cache.set(file, hash, slots[i]!);
  };
  // A bounded number of files in flight: enough to keep every worker busy while the next files
  // are read, few enough that 10,000 files never hit the open-file limit.
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < targets.files.length) await lintOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, targets.files.length) }, lane));
  } finally {
    await (runner as { close?(): Promise<void> }).close?.();
  }
  problems.push(...unread.filter((p): p is string => p !== undefined));
  await cache?.save().catch((e: unknown) => io.err(`warning: could not write the lint cache ${displayPath(cache.file, io.cwd)}: ${why(e)}`));
  const results = slots.filter((r): r is LintResult => r !== undefined);

  const docsDir = installedRuleDocsDir();
  const report: LintReport = { results, texts, rules, cwd: io.cwd, docsUri: (code) => ruleDocsUri(code, docsDir), toolVersion };
  io.out(opts.format === 'json' ? formatJson(report) : opts.format === 'sarif' ? formatSarif(report) : formatText(report));
  for (const p of problems) io.err(`error: ${p}`);
  if (problems.length) return 2;
  return failsAt(results, opts.failOn) ? 1 : 0;
}
