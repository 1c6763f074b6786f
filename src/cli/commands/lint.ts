// `greenlight lint [paths…]`: lints migration and seed files for idempotency, the same engine the
// editor uses. Without paths it lints what greenlight.yaml declares (database.migrations,
// database.seeds and lint.paths); `-` lints standard input. The rules and severities of
// greenlight.yaml's `lint:` block apply either way, `--rule` on top. Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage, config or
// unreadable-file errors (each message names the file and why).
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../../core/common/errors';
import { CONFIG_FILE_NAME, formatProblem, loadConfig } from '../../core/config/load';
import { createDefaultLinter } from '../../core/lint/defaultLinter';
import type { Linter } from '../../core/lint/engine';
import { lintOptionsFromConfig, mergeLintOptions, ruleCodeLine, unknownRuleCodes } from '../../core/lint/projectLintConfig';
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
}

/** The path argument that means "read standard input", as in ESLint. */
export const STDIN_PATH = '-';
/** The file name standard input is linted as without --stdin-filename. */
export const DEFAULT_STDIN_FILENAME = 'stdin.sql';

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
    .action(async (paths: string[], opts: LintCommandOptions) => {
      const code = await runLint(paths, opts, io, createLinter(), program.version() ?? '0.0.0');
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

/** Runs the lint verb and returns its exit code; output goes through io. */
export async function runLint(paths: readonly string[], opts: LintCommandOptions, io: CliIo, linter: Linter, toolVersion: string): Promise<0 | 1 | 2> {
  const rules = linter.rules.map((r) => r.meta);
  const known = new Set(rules.map((r) => r.code));
  // `--rule` is a local override on top of greenlight.yaml, as the editor settings are.
  const cliOptions = parseRuleOptions(opts.rule ?? [], known);
  const fromStdin = paths.length === 1 && paths[0] === STDIN_PATH;
  if (!fromStdin && paths.includes(STDIN_PATH)) throw new InputError(`"${STDIN_PATH}" (standard input) cannot be combined with other paths`);
  if (opts.stdinFilename !== undefined && !fromStdin) throw new InputError(`--stdin-filename needs the path "${STDIN_PATH}"`);
  const options = mergeLintOptions(await projectLintOptions(opts.config ?? CONFIG_FILE_NAME, io, known, paths.length > 0), cliOptions);
  const problems: string[] = [];
  let stdinText: string | undefined;
  let targets: Targets;
  if (fromStdin) {
    if (!io.readStdin) throw new InputError('standard input is not available here');
    stdinText = await io.readStdin();
    const file = path.resolve(io.cwd, opts.stdinFilename ?? DEFAULT_STDIN_FILENAME);
    targets = { files: [file], explicit: new Set([file]) };
  } else targets = paths.length ? await targetsFromArgs(paths, io, problems) : await targetsFromConfig(opts.config, io);
  targets.files.sort();

  const results: LintResult[] = [];
  const texts = new Map<string, string>();
  for (const file of targets.files) {
    let text: string;
    try {
      text = stdinText ?? (await readFile(file, 'utf8'));
    } catch (e) {
      problems.push(`${displayPath(file, io.cwd)}: cannot read: ${why(e)}`);
      continue;
    }
    if (!linter.languageFor(file, text)) {
      if (targets.explicit.has(file)) io.err(`note: ${displayPath(file, io.cwd)}: skipped: not a migration or seed file Greenlight can lint`);
      continue;
    }
    results.push(await linter.lint(file, text, options));
    texts.set(file, text);
  }

  const docsDir = installedRuleDocsDir();
  const report: LintReport = { results, texts, rules, cwd: io.cwd, docsUri: (code) => ruleDocsUri(code, docsDir), toolVersion };
  io.out(opts.format === 'json' ? formatJson(report) : opts.format === 'sarif' ? formatSarif(report) : formatText(report));
  for (const p of problems) io.err(`error: ${p}`);
  if (problems.length) return 2;
  return failsAt(results, opts.failOn) ? 1 : 0;
}
