// The `greenlight.lint.*` settings as the service uses them. Values come from the editor
// (workspace/configuration, per workspace folder) and are validated here: a wrong value is
// ignored with a log line rather than breaking linting.
import type { LintOptions, Severity } from '../../core/lint/types';

export type RuleSetting = 'off' | 'default' | Severity;

export interface LintSettings {
  readonly enable: boolean;
  /** Per rule code: off, default, or a severity. */
  readonly rules: Readonly<Record<string, RuleSetting>>;
  /** Extra paths or globs (relative to the workspace folder) linted besides greenlight.yaml's. */
  readonly paths: readonly string[];
  /** Quiet time after the last keystroke before a file is linted again. */
  readonly debounceMs: number;
}

export const DEFAULT_LINT_SETTINGS: LintSettings = { enable: true, rules: {}, paths: [], debounceMs: 150 };

const RULE_SETTINGS = new Set<string>(['off', 'default', 'error', 'warning', 'info']);

/** Validates a raw `greenlight.lint` object; problems are reported through `warn`. */
export function parseLintSettings(raw: unknown, warn: (message: string) => void = () => undefined): LintSettings {
  if (raw === null || raw === undefined) return DEFAULT_LINT_SETTINGS;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    warn('greenlight.lint: expected an object; using the defaults');
    return DEFAULT_LINT_SETTINGS;
  }
  const r = raw as Record<string, unknown>;
  const enable = typeof r.enable === 'boolean' ? r.enable : DEFAULT_LINT_SETTINGS.enable;
  const rules: Record<string, RuleSetting> = {};
  if (r.rules && typeof r.rules === 'object' && !Array.isArray(r.rules)) {
    for (const [code, v] of Object.entries(r.rules as Record<string, unknown>)) {
      // `true`/`false` are accepted too: "rules on/off" is the common way to write it.
      const value = v === false ? 'off' : v === true ? 'default' : v;
      if (typeof value === 'string' && RULE_SETTINGS.has(value)) rules[code] = value as RuleSetting;
      else warn(`greenlight.lint.rules.${code}: expected one of off, default, error, warning, info; ignored`);
    }
  }
  const paths = Array.isArray(r.paths) ? r.paths.filter((p): p is string => typeof p === 'string' && p.trim().length > 0) : [];
  const debounce = typeof r.debounceMs === 'number' && Number.isFinite(r.debounceMs) ? Math.min(Math.max(0, Math.round(r.debounceMs)), 5000) : DEFAULT_LINT_SETTINGS.debounceMs;
  return { enable, rules, paths, debounceMs: debounce };
}

export function lintOptionsOf(s: LintSettings): LintOptions {
  const disabled: string[] = [];
  const severity: Record<string, Severity> = {};
  for (const [code, v] of Object.entries(s.rules)) {
    if (v === 'off') disabled.push(code);
    else if (v !== 'default') severity[code] = v;
  }
  return { disabled, severity };
}
