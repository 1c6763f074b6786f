// The AQL/ArangoDB JSON, seed and Django corpus folders: every file's findings are exactly the
// rule codes its label lists (the accuracy test only checks flagged/not flagged), and a readable
// snapshot of every finding (position, message, caret line) is kept per folder for review.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { matchSnapshot, renderReport } from '../ruleTester';

const CORPUS = path.join(__dirname, '..', '..', '..', 'fixtures', 'lint-corpus');
const SNAPSHOTS = path.join(__dirname, '__snapshots__');
const linter = createDefaultLinter();

for (const folder of ['aql', 'seed', 'django']) {
  suite(`(unit) lint corpus ${folder}`, () => {
    const dir = path.join(CORPUS, folder);
    const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as Record<string, { idempotent: boolean; codes?: string[] }>;
    const files = readdirSync(dir).filter((f) => f !== 'labels.json').sort();

    test('has realistic files for every rule of the language', () => {
      const languages = folder === 'aql' ? ['aql', 'arango-json'] : folder === 'seed' ? ['ruby'] : ['python'];
      const exercised = new Set(Object.values(labels).flatMap((l) => l.codes ?? []));
      const rules = linter.rules.filter((r) => languages.includes(r.meta.language) && r.meta.tags.includes('idempotency')).map((r) => r.meta.code);
      assert.deepEqual(rules.filter((c) => !exercised.has(c)), []);
      assert.ok(files.length >= 20, `${folder} has ${files.length} files`);
    });

    for (const f of files) {
      test(`${f}: findings match the label`, async () => {
        const text = readFileSync(path.join(dir, f), 'utf8');
        const { findings } = await linter.lint(path.join(dir, f), text);
        const codes = [...new Set(findings.filter((x) => x.tags.includes('idempotency') || x.code === 'parse-error').map((x) => x.code))].sort();
        assert.deepEqual(codes, [...(labels[f]!.codes ?? [])].sort());
        assert.equal(codes.length > 0, !labels[f]!.idempotent);
      });
    }

    test('snapshot of every finding', async () => {
      const parts: { file: string; text: string; findings: Awaited<ReturnType<typeof linter.lint>>['findings'] }[] = [];
      for (const f of files) {
        const text = readFileSync(path.join(dir, f), 'utf8');
        const { findings } = await linter.lint(path.join(dir, f), text);
        parts.push({ file: path.join(dir, f), text, findings });
      }
      matchSnapshot(path.join(SNAPSHOTS, `${folder}.snap`), renderReport(dir, parts));
    });
  });
}
