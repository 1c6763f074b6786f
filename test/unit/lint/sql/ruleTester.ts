// ESLint-RuleTester-style tables for SQL rules: `valid` snippets must produce no finding with the
// rule's code; `invalid` ones must produce exactly the listed findings, at the listed 1-based
// line/column ranges, and (when given) a fix whose result is `output`.
import * as assert from 'node:assert/strict';
import { Linter } from '../../../../src/core/lint/engine';
import { sqlLanguage } from '../../../../src/core/lint/languages/sql';
import type { Finding } from '../../../../src/core/lint/types';

export interface InvalidCase {
  readonly code: string;
  readonly errors: readonly { line: number; column: number; endLine?: number; endColumn?: number; message?: RegExp }[];
  /** The text after applying the first finding's fix. */
  readonly output?: string;
}

const linter = new Linter([sqlLanguage()]);

export async function lintSql(code: string): Promise<readonly Finding[]> {
  return (await linter.lint('test.sql', code)).findings;
}

export function applyFix(text: string, f: Finding): string {
  assert.ok(f.fix, `${f.code} offers no fix`);
  const edits = [...f.fix.edits].sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}

export function ruleTester(rule: string, cases: { valid: readonly string[]; invalid: readonly InvalidCase[] }): void {
  suite(`(unit) lint sql rule ${rule}`, () => {
    cases.valid.forEach((code, i) => {
      test(`valid #${i + 1}: ${code.replace(/\s+/g, ' ').slice(0, 70)}`, async () => {
        const found = (await lintSql(code)).filter((f) => f.code === rule || f.code === 'parse-error');
        assert.deepEqual(found.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.code} ${f.message}`), []);
      });
    });
    cases.invalid.forEach((c, i) => {
      test(`invalid #${i + 1}: ${c.code.replace(/\s+/g, ' ').slice(0, 70)}`, async () => {
        const all = await lintSql(c.code);
        assert.ok(!all.some((f) => f.code === 'parse-error'), `parse error: ${all.map((f) => f.message).join()}`);
        const found = all.filter((f) => f.code === rule);
        assert.equal(found.length, c.errors.length, `expected ${c.errors.length} ${rule} finding(s), got: ${found.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.message}`).join(' | ') || 'none'}`);
        c.errors.forEach((e, k) => {
          const f = found[k]!;
          assert.deepEqual(
            { line: f.startPos.line, column: f.startPos.column, ...(e.endLine !== undefined ? { endLine: f.endPos.line, endColumn: f.endPos.column } : {}) },
            { line: e.line, column: e.column, ...(e.endLine !== undefined ? { endLine: e.endLine, endColumn: e.endColumn } : {}) },
          );
          if (e.message) assert.match(f.message, e.message);
          assert.ok(f.tags.length > 0);
        });
        if (c.output !== undefined) assert.equal(applyFix(c.code, found[0]!), c.output);
      });
    });
  });
}
