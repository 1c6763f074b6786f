// The `lint:` block of greenlight.yaml as engine options. The CLI and the language server both
// start from it, so CI and the editor report the same rules at the same severities; the CLI's
// `--rule` and the editor's `greenlight.lint.rules` setting are local overrides on top.
import type { GreenlightConfig } from '../config/schema';
import type { LintOptions, Severity } from './types';

export type ProjectLintConfig = NonNullable<GreenlightConfig['lint']>;

/** Engine options from the project file's `lint.rules` (no block: the rules' defaults). */
export function lintOptionsFromConfig(lint: ProjectLintConfig | undefined): LintOptions {
  const disabled: string[] = [];
  const severity: Record<string, Severity> = {};
  for (const [code, level] of Object.entries(lint?.rules ?? {})) {
    if (level === 'off') disabled.push(code);
    else severity[code] = level;
  }
  return { disabled, severity };
}

/**
 * `override` on top of `base`, code by code: a code the override switches off is off, a code it
 * gives a severity is on with that severity (even if the base switched it off), the rest is as
 * the base says.
 */
export function mergeLintOptions(base: LintOptions, override: LintOptions): LintOptions {
  const severity: Record<string, Severity> = { ...(base.severity ?? {}) };
  const disabled = new Set(base.disabled ?? []);
  for (const [code, level] of Object.entries(override.severity ?? {})) {
    severity[code] = level;
    disabled.delete(code);
  }
  for (const code of override.disabled ?? []) {
    disabled.add(code);
    delete severity[code];
  }
  return { disabled: [...disabled], severity };
}

/**
 * Whether a project file's text can hold a `lint:` block at all: a YAML key "lint" is spelled with
 * those letters, or with escapes (a backslash). Without either, a lint run on given paths has no
 * project settings to read and need not load the YAML parser and the schema (about 45 ms of a
 * one-file run, measured in docs/benchmarks.md).
 */
export function mayHoldLintBlock(configText: string): boolean {
  return configText.includes('lint') || configText.includes('\\');
}

/** The codes named in `lint.rules` that no rule has (a typo would silently do nothing). */
export function unknownRuleCodes(lint: ProjectLintConfig | undefined, known: ReadonlySet<string>): string[] {
  return Object.keys(lint?.rules ?? {}).filter((c) => !known.has(c));
}

/** The 1-based line of `code:` under `lint.rules` in the project file's text, when it can be found. */
export function ruleCodeLine(configText: string, code: string): number | undefined {
  const lines = configText.split('\n');
  const escaped = code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\s+["']?${escaped}["']?\\s*:`);
  const i = lines.findIndex((l) => re.test(l));
  return i < 0 ? undefined : i + 1;
}
