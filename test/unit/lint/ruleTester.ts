// The one rule tester for every language, in the manner of ESLint's RuleTester: `valid` snippets
// must parse and produce no finding of the rule; `invalid` ones must produce exactly the listed
// findings of the rule at the listed 1-based line/column ranges and, when given, the text after
// applying the fixes of those findings. The linter and the file name (which picks the language)
// default to SQL; other languages pass theirs.
//
// And the one snapshot helper: findings rendered by the product's own text reporter (what
// `greenlight lint` prints), compared with a stored file; a missing or different snapshot fails,
// and UPDATE_SNAPSHOTS=1 (re)writes them after the change has been reviewed.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Linter } from '../../../src/core/lint/engine';
import { sqlLanguage } from '../../../src/core/lint/languages/sql';
import { formatText } from '../../../src/core/lint/report/text';
import type { Finding, LintResult } from '../../../src/core/lint/types';

export interface Expected {
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
  readonly message?: RegExp;
}

export interface InvalidCase {
  readonly code: string;
  readonly errors: readonly Expected[];
  /** The text after applying the fixes of this rule's findings. */
  readonly output?: string;
}

export interface RuleTable {
  readonly valid: readonly string[];
  readonly invalid: readonly InvalidCase[];
  /** The linter of the rule's language (default: SQL). */
  readonly linter?: Linter;
  /** The file name the cases are linted as; it picks the language (default: test.sql). */
  readonly file?: string;
}

const sqlLinter = new Linter([sqlLanguage()]);

export async function lintSql(code: string): Promise<readonly Finding[]> {
  return (await sqlLinter.lint('test.sql', code)).findings;
}

export function applyFixes(text: string, findings: readonly Finding[]): string {
  const edits = findings.flatMap((f) => f.fix?.edits ?? []).sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

const short = (code: string): string => code.replace(/\s+/g, ' ').slice(0, 70);

/** Registers a suite with one test per case. */
export function ruleTester(rule: string, table: RuleTable): void {
  const linter = table.linter ?? sqlLinter;
  const file = table.file ?? 'test.sql';
  suite(`(unit) lint rule ${rule} (${path.extname(file) || file})`, () => {
    table.valid.forEach((code, i) => {
      test(`valid #${i + 1}: ${short(code)}`, async () => {
        const { findings } = await linter.lint(file, code);
        assert.deepEqual(findings.filter((f) => f.code === 'parse-error').map((f) => f.message), [], 'a valid case must parse');
        assert.deepEqual(findings.filter((f) => f.code === rule).map((f) => `${f.startPos.line}:${f.startPos.column} ${f.message}`), []);
      });
    });
    table.invalid.forEach((c, i) => {
      test(`invalid #${i + 1}: ${short(c.code)}`, async () => {
        const { findings } = await linter.lint(file, c.code);
        assert.deepEqual(findings.filter((f) => f.code === 'parse-error').map((f) => f.message), [], 'an invalid case must parse');
        const mine = findings.filter((f) => f.code === rule);
        const got = mine.map((f, k) => {
          const e = c.errors[k];
          return {
            line: f.startPos.line,
            column: f.startPos.column,
            ...(e?.endLine !== undefined ? { endLine: f.endPos.line } : {}),
            ...(e?.endColumn !== undefined ? { endColumn: f.endPos.column } : {}),
          };
        });
        assert.deepEqual(got, c.errors.map(({ message: _m, ...pos }) => pos), `${rule} findings: ${mine.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.message}`).join(' | ') || 'none'}`);
        c.errors.forEach((e, k) => {
          if (e.message) assert.match(mine[k]!.message, e.message);
          assert.ok(mine[k]!.tags.length > 0, 'every finding carries its rule tags');
        });
        if (c.output !== undefined) assert.equal(applyFixes(c.code, mine), c.output);
      });
    });
  });
}

/** Findings of several files as `greenlight lint` prints them (paths relative to `cwd`). */
export function renderReport(cwd: string, files: readonly { readonly file: string; readonly text: string; readonly findings: readonly Finding[] }[]): string {
  const results: LintResult[] = files.map((f) => ({ file: f.file, language: undefined, findings: f.findings }));
  return formatText({ results, texts: new Map(files.map((f) => [f.file, f.text])), rules: [], cwd, docsUri: (c) => c, toolVersion: 'test' });
}

/** Compares `actual` with the snapshot file; a missing or different one fails (UPDATE_SNAPSHOTS=1 writes it). */
export function matchSnapshot(file: string, actual: string): void {
  const normalized = actual.endsWith('\n') ? actual : actual + '\n';
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, normalized);
    return;
  }
  assert.ok(existsSync(file), `snapshot ${file} is missing; run with UPDATE_SNAPSHOTS=1 to write it, review it, and commit it`);
  assert.equal(normalized, readFileSync(file, 'utf8'), `snapshot ${file} differs; review the change, then run with UPDATE_SNAPSHOTS=1`);
}
