// fast-check properties for the AQL, ArangoDB JSON, Ruby-seed and Django languages: random text
// and randomly mutated corpus files never make the linter throw, never produce an internal-error
// finding, keep every finding inside the text, and take under a second per file. Run counts are
// bounded so CI stays quick; `npm run bench` is the place for long runs.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';

const CORPUS = path.join(__dirname, '..', '..', '..', 'fixtures', 'lint-corpus');
const linter = createDefaultLinter();
const RUNS = Number(process.env.GREENLIGHT_FC_RUNS ?? 120);

function corpus(folder: string, ext: RegExp): string[] {
  const dir = path.join(CORPUS, folder);
  return readdirSync(dir)
    .filter((f) => ext.test(f) && f !== 'labels.json')
    .map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/** Characters that matter to these grammars, mixed with arbitrary ones. */
const noise = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('"', "'", '`', '(', ')', '{', '}', '[', ']', ',', ';', '\n', '\n\n', '//', '/*', '*/', '#', '\\', '@', '@@', ' FOR ', ' IN ', ' UPDATE ', ' WITH ', ' INSERT ', ' REMOVE ', ' UPSERT ', ' do ', ' end ', 'def ', ':', '"""', 'é', '😀', '\u0000'),
);

/** Applies a few random edits (insert, delete, duplicate, truncate) to a text. */
function mutated(texts: string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 30 }), noise, fc.constantFrom('insert', 'delete', 'duplicate', 'truncate'));
  return fc.tuple(fc.constantFrom(...texts), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([text, edits]) => {
    let t = text;
    for (const [at, len, s, op] of edits) {
      const i = t.length ? at % (t.length + 1) : 0;
      if (op === 'insert') t = t.slice(0, i) + s + t.slice(i);
      else if (op === 'delete') t = t.slice(0, i) + t.slice(i + len);
      else if (op === 'duplicate') t = t.slice(0, i + len) + t.slice(i, i + len) + t.slice(i + len);
      else t = t.slice(0, i);
    }
    return t;
  });
}

async function lintsSafely(file: string, text: string): Promise<void> {
  const started = performance.now();
  const result = await linter.lint(file, text);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `linting took ${Math.round(ms)} ms on ${JSON.stringify(text.slice(0, 200))}`);
  // A mutation can remove what makes a file an ArangoDB migration ("operations"); then no
  // language claims it and there must be no findings.
  if (!result.language) {
    assert.deepEqual(result.findings, []);
    return;
  }
  for (const f of result.findings) {
    assert.notEqual(f.code, 'internal-error', `${f.message} on ${JSON.stringify(text.slice(0, 200))}`);
    assert.ok(f.start >= 0 && f.start <= f.end && f.end <= text.length, `finding ${f.code} outside the text`);
    assert.ok(f.startPos.line >= 1 && f.startPos.column >= 1);
  }
  // Files without embedded code have at most one parse-error (embedded texts may add their own).
  if (file.endsWith('.aql') || file.endsWith('.rb')) assert.ok(result.findings.filter((f) => f.code === 'parse-error').length <= 1, 'at most one parse-error');
}

const cases: { name: string; file: string; texts: string[] }[] = [
  { name: 'AQL', file: 'migrations/x.aql', texts: corpus('aql', /\.aql$/) },
  { name: 'ArangoDB JSON', file: 'migrations/x.json', texts: corpus('aql', /\.json$/) },
  { name: 'Ruby seeds', file: 'db/seeds.rb', texts: corpus('seed', /\.rb$/) },
  { name: 'Django migrations', file: 'app/migrations/0001_x.py', texts: corpus('django', /\.py$/) },
];

suite('(unit) lint aql/seed/django robustness (fast-check)', () => {
  for (const c of cases) {
    test(`${c.name}: mutated corpus files never throw and lint under 1 s`, async function () {
      this.timeout(120000);
      await fc.assert(fc.asyncProperty(mutated(c.texts), (text) => lintsSafely(c.file, text)), { numRuns: RUNS });
    });
    test(`${c.name}: random text never throws`, async function () {
      this.timeout(120000);
      const text = fc.array(noise, { maxLength: 60 }).map((parts) => parts.join(''));
      // JSON files are only ArangoDB migrations when they mention "operations".
      const prefix = c.file.endsWith('.json') ? '{"operations": [' : c.file.endsWith('.py') ? 'class Migration(migrations.Migration):\n' : '';
      await fc.assert(fc.asyncProperty(text, (t) => lintsSafely(c.file, prefix + t)), { numRuns: RUNS });
    });
  }

  test('deep nesting is a parse-error or a result, never a crash', async () => {
    const depth = 20000;
    const inputs: [string, string][] = [
      ['x.aql', 'RETURN ' + '('.repeat(depth) + '1' + ')'.repeat(depth)],
      ['x.aql', 'RETURN ' + '(FOR x IN y '.repeat(2000) + 'RETURN 1' + ')'.repeat(2000)],
      ['m.json', '{"operations": ' + '['.repeat(depth) + ']'.repeat(depth) + '}'],
      ['db/seeds.rb', '['.repeat(5000) + ']'.repeat(5000)],
      ['a/migrations/0001.py', 'class Migration(migrations.Migration):\n    x = ' + '['.repeat(1000) + ']'.repeat(1000) + '\n'],
    ];
    for (const [file, text] of inputs) await lintsSafely(file, text);
  });
});
