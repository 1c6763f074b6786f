// Property tests: whatever text arrives (random, or a real migration cut and mutated the way
// typing mutates it), the SQL linter returns findings without throwing and within 1 s per file.
// Bounded runs here; the benchmark runs longer.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { lintSql } from '../ruleTester';

const CORPUS = join(__dirname, '..', '..', '..', 'fixtures', 'lint-corpus', 'sql');
const SAMPLES = readdirSync(CORPUS).filter((f) => f.endsWith('.sql')).sort().map((f) => readFileSync(join(CORPUS, f), 'utf8'));
const LIMIT_MS = 1000;

async function lintWithinLimit(text: string): Promise<void> {
  const t0 = performance.now();
  const findings = await lintSql(text);
  const ms = performance.now() - t0;
  assert.ok(ms < LIMIT_MS, `linting took ${ms.toFixed(0)} ms on ${JSON.stringify(text.slice(0, 200))}`);
  for (const f of findings) {
    assert.ok(f.start >= 0 && f.end >= f.start && f.end <= text.length, `range ${f.start}-${f.end} outside the text (${text.length})`);
    assert.ok(f.startPos.line >= 1 && f.startPos.column >= 1);
  }
}

/** Edits like a person typing: insert, delete, duplicate or replace a slice. */
const mutation = fc.record({
  sample: fc.nat({ max: SAMPLES.length - 1 }),
  edits: fc.array(
    fc.record({
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      len: fc.nat({ max: 40 }),
      kind: fc.constantFrom('insert', 'delete', 'duplicate', 'truncate'),
      text: fc.oneof(fc.string(), fc.constantFrom('$$', "'", '"', '/*', '--', ';', 'DO $$ BEGIN', 'END $$;', 'IF NOT EXISTS', '(', ')', 'é', '😀', 'EXECUTE format(\'%I\')')),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

function mutate(m: { sample: number; edits: { at: number; len: number; kind: string; text: string }[] }): string {
  let s = SAMPLES[m.sample]!;
  for (const e of m.edits) {
    const at = Math.floor(e.at * s.length);
    if (e.kind === 'insert') s = s.slice(0, at) + e.text + s.slice(at);
    else if (e.kind === 'delete') s = s.slice(0, at) + s.slice(at + e.len);
    else if (e.kind === 'duplicate') s = s.slice(0, at + e.len) + s.slice(at, at + e.len) + s.slice(at + e.len);
    else s = s.slice(0, at);
  }
  return s;
}

const KEYWORDS = ['CREATE', 'TABLE', 'INDEX', 'IF', 'NOT', 'EXISTS', 'ALTER', 'ADD', 'COLUMN', 'DROP', 'INSERT', 'INTO', 'VALUES', 'UPDATE', 'SET', 'DELETE', 'FROM', 'WHERE', 'DO', '$$', 'BEGIN', 'END', 'EXCEPTION', 'WHEN', 'THEN', 'NULL', ';', '(', ')', ',', 't', 'c', '1', "'x'", '=', '+', 'ON', 'CONFLICT', 'NOTHING'];

suite('(unit) lint sql robustness (fast-check)', () => {
  test('random text never throws and stays under 1 s', async function () {
    this.timeout(120000);
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 400 }), lintWithinLimit), { numRuns: 200 });
  });

  test('random keyword soup never throws and stays under 1 s', async function () {
    this.timeout(120000);
    await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom(...KEYWORDS), { maxLength: 80 }).map((w) => w.join(' ')), lintWithinLimit), { numRuns: 300 });
  });

  test('mutated corpus migrations never throw and stay under 1 s', async function () {
    this.timeout(120000);
    await fc.assert(fc.asyncProperty(mutation.map(mutate), lintWithinLimit), { numRuns: 300 });
  });

  test('a 2,000-line migration lints under 1 s', async function () {
    this.timeout(60000);
    const big = SAMPLES.join('\n');
    assert.ok(big.split('\n').length > 2000);
    // The first call compiles the WASM parser's hot paths; that is once per process, not per file.
    await lintSql(big);
    await lintWithinLimit(big);
  });
});
