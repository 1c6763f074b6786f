// Readable snapshots: each case's findings as `greenlight lint` prints them (source line, caret
// underline, help, fix), compared with a stored .snap file. Regenerate after an intended change
// with UPDATE_SNAPSHOTS=1 and review the diff.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSql, matchSnapshot, renderReport } from '../ruleTester';

const SNAP_DIR = join(__dirname, '__snapshots__');
const CORPUS = join(__dirname, '..', '..', '..', 'fixtures', 'lint-corpus', 'sql');

const CASES: Record<string, () => string> = {
  'mixed-safe-then-unsafe': () => readFileSync(join(CORPUS, 'n059_mixed_safe_then_unsafe.sql'), 'utf8'),
  'do-block-guards': () => readFileSync(join(CORPUS, 's048_do_block_all_guarded.sql'), 'utf8'),
  'do-block-unguarded': () => readFileSync(join(CORPUS, 'n055_do_block_execute_format_unguarded.sql'), 'utf8'),
  'guard-in-comment': () => readFileSync(join(CORPUS, 'n057_guard_only_in_comment.sql'), 'utf8'),
  'data-changes': () => 'UPDATE items SET stock = stock + 1;\nUPDATE items SET sku = lower(sku);\nINSERT INTO items (sku) VALUES (\'a\');\nDELETE FROM jobs WHERE id = (SELECT min(id) FROM jobs);\n',
  'parse-error': () => 'CREATE TABLE IF NOT EXISTS a (id int);\nCREATE TABEL b (id int);\n',
  'suppressed': () => '-- greenlight-ignore sql-create-table-if-not-exists\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n',
};

suite('(unit) lint sql snapshots', () => {
  for (const [name, text] of Object.entries(CASES)) {
    test(name, async () => {
      const file = `${name}.sql`;
      const findings = await lintSql(text());
      matchSnapshot(join(SNAP_DIR, `${name}.snap`), renderReport('/', [{ file: `/${file}`, text: text(), findings }]));
    });
  }
});
