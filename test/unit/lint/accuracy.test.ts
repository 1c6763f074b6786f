// Precision and recall of the idempotency linter on the labelled corpus, per language (folder).
// Either figure below 0.97 for any language with files fails the test.
import * as assert from 'node:assert/strict';
import { scoreCorpus } from './corpusScore';

const THRESHOLD = 0.97;

suite('(unit) lint accuracy on the labelled corpus', () => {
  test(`precision and recall are at least ${THRESHOLD} for every language with files`, async function () {
    this.timeout(120000);
    const scores = await scoreCorpus();
    const withFiles = scores.filter((s) => s.files > 0);
    assert.ok(withFiles.some((s) => s.folder === 'sql'), 'the SQL corpus is missing');
    for (const s of withFiles) {
      console.log(`      ${s.folder.padEnd(7)} files ${String(s.files).padStart(4)}  tp ${s.tp} fp ${s.fp} fn ${s.fn} tn ${s.tn}  precision ${s.precision.toFixed(3)}  recall ${s.recall.toFixed(3)}`);
      for (const m of s.misses) console.log(`        ${m}`);
    }
    const total = withFiles.reduce((n, s) => n + s.files, 0);
    console.log(`      total files ${total}`);
    for (const s of withFiles) {
      assert.ok(s.precision >= THRESHOLD, `${s.folder}: precision ${s.precision.toFixed(3)} < ${THRESHOLD}\n${s.misses.join('\n')}`);
      assert.ok(s.recall >= THRESHOLD, `${s.folder}: recall ${s.recall.toFixed(3)} < ${THRESHOLD}\n${s.misses.join('\n')}`);
    }
  });
});
