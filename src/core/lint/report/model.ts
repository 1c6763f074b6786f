// What the report formatters take: the lint results of a run and the rules that were active.
// Formatters are pure functions of this data (no I/O), so their output is tested exactly.
import { NOT_LINTED_CODE } from '../pool/budget';
import { PARSE_ERROR_CODE, type LintResult, type Severity } from '../types';

/** The part of a rule's meta a report needs (RuleMeta fits it). */
export interface RuleDescriptor {
  readonly code: string;
  readonly tags: readonly string[];
  readonly defaultSeverity: Severity;
  readonly description: string;
  readonly help: string;
  readonly fixable: boolean;
}

export interface LintReport {
  /** Every file that was checked, with its findings (possibly none). */
  readonly results: readonly LintResult[];
  /** The source text of each checked file, by LintResult.file (used for caret lines). */
  readonly texts: ReadonlyMap<string, string>;
  /** Every rule that could report, in a stable order. */
  readonly rules: readonly RuleDescriptor[];
  /** Directory file paths are shown relative to. */
  readonly cwd: string;
  /** The documentation URI of a rule code. */
  readonly docsUri: (code: string) => string;
  readonly toolVersion: string;
}

/** Findings that are not rules of a language but are reported like them. */
export const ENGINE_RULES: readonly RuleDescriptor[] = [
  {
    code: PARSE_ERROR_CODE,
    tags: ['syntax'],
    defaultSeverity: 'error',
    description: 'The file cannot be parsed, so no other rule could check it.',
    help: 'Fix the syntax so the file can be checked.',
    fixable: false,
  },
  {
    code: 'internal-error',
    tags: ['internal'],
    defaultSeverity: 'error',
    description: 'A rule failed while checking the file (a Greenlight bug); the other rules still ran.',
    help: 'Report this as a Greenlight bug.',
    fixable: false,
  },
  {
    code: NOT_LINTED_CODE,
    tags: ['internal'],
    defaultSeverity: 'error',
    description: 'The file was not linted: it went over the time or memory budget for one file, or its lint worker failed.',
    help: 'Split the file, or raise the budget (--max-file-ms, --max-file-mb) if it is legitimately this large.',
    fixable: false,
  },
];

/** Rules of the linter followed by the engine's own codes, without duplicates. */
export function reportRules(rules: readonly RuleDescriptor[]): RuleDescriptor[] {
  const seen = new Set<string>();
  const out: RuleDescriptor[] = [];
  for (const r of [...rules, ...ENGINE_RULES]) {
    if (seen.has(r.code)) continue;
    seen.add(r.code);
    out.push(r);
  }
  return out;
}

export interface Counts {
  readonly files: number;
  readonly filesWithFindings: number;
  readonly error: number;
  readonly warning: number;
  readonly info: number;
}

export function countFindings(results: readonly LintResult[]): Counts {
  const c = { files: results.length, filesWithFindings: 0, error: 0, warning: 0, info: 0 };
  for (const r of results) {
    if (r.findings.length) c.filesWithFindings++;
    for (const f of r.findings) c[f.severity]++;
  }
  return c;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
