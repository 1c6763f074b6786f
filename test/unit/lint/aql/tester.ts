// A small ESLint-RuleTester-like helper for the AQL, ArangoDB JSON, seed and Django rule tables:
// each valid case must produce no finding of the rule (and parse), each invalid case exactly the
// listed findings of the rule at the listed 1-based line/column, and — when given — the text after
// applying the fixes. Plus a readable renderer for snapshot files.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Linter } from '../../../../src/core/lint/engine';
import type { Finding } from '../../../../src/core/lint/types';

export interface Expected {
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
  readonly message?: RegExp;
}

export interface InvalidCase {
  readonly text: string;
  readonly errors: readonly Expected[];
  /** The text after applying every fix of this rule's findings. */
  readonly output?: string;
}

export interface RuleTable {
  readonly valid: readonly string[];
  readonly invalid: readonly InvalidCase[];
}

export function applyFixes(text: string, findings: readonly Finding[]): string {
  const edits = findings.flatMap((f) => f.fix?.edits ?? []).sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

/** Registers one mocha test per case. */
export function ruleTable(linter: Linter, file: string, code: string, table: RuleTable): void {
  table.valid.forEach((text, i) => {
    test(`${code} valid #${i + 1}`, async () => {
      const { findings } = await linter.lint(file, text);
      assert.deepEqual(findings.filter((f) => f.code === 'parse-error').map((f) => f.message), [], 'valid case must parse');
      assert.deepEqual(findings.filter((f) => f.code === code).map((f) => `${f.startPos.line}:${f.startPos.column} ${f.message}`), []);
    });
  });
  table.invalid.forEach((c, i) => {
    test(`${code} invalid #${i + 1}`, async () => {
      const { findings } = await linter.lint(file, c.text);
      assert.deepEqual(findings.filter((f) => f.code === 'parse-error').map((f) => f.message), [], 'invalid case must parse');
      const mine = findings.filter((f) => f.code === code);
      const got = mine.map((f, k) => {
        const e = c.errors[k];
        return {
          line: f.startPos.line,
          column: f.startPos.column,
          ...(e?.endLine !== undefined ? { endLine: f.endPos.line } : {}),
          ...(e?.endColumn !== undefined ? { endColumn: f.endPos.column } : {}),
        };
      });
      assert.deepEqual(got, c.errors.map(({ message: _m, ...pos }) => pos));
      c.errors.forEach((e, k) => {
        if (e.message) assert.match(mine[k]!.message, e.message);
      });
      if (c.output !== undefined) assert.equal(applyFixes(c.text, mine), c.output);
    });
  });
}

/** Findings as text: `line:col code severity message`, the source line and a caret line. */
export function renderFindings(text: string, findings: readonly Finding[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const f of findings) {
    out.push(`${f.startPos.line}:${f.startPos.column} ${f.code} (${f.severity}) ${f.message}`);
    const src = lines[f.startPos.line - 1] ?? '';
    out.push(`  | ${src}`);
    const width = f.endPos.line === f.startPos.line ? Math.max(1, f.endPos.column - f.startPos.column) : Math.max(1, src.length - f.startPos.column + 1);
    out.push(`  | ${' '.repeat(f.startPos.column - 1)}${'^'.repeat(width)}`);
    if (f.fix) out.push(`  fix: ${f.fix.title}`);
  }
  return out.length ? out.join('\n') : '(no findings)';
}

/**
 * Compares `actual` with the snapshot file. A missing or different snapshot fails; run with
 * UPDATE_SNAPSHOTS=1 to (re)write it after reviewing the change.
 */
export function matchSnapshot(file: string, actual: string): void {
  const normalized = actual.endsWith('\n') ? actual : actual + '\n';
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, normalized);
    return;
  }
  assert.ok(existsSync(file), `snapshot ${file} is missing; run with UPDATE_SNAPSHOTS=1 to write it`);
  assert.equal(normalized, readFileSync(file, 'utf8'), `snapshot ${file} differs; review, then run with UPDATE_SNAPSHOTS=1`);
}
