// Readable snapshots (squawk-style): each case renders the findings with the source line and a
// caret underline, compared with a stored .snap file. Regenerate after an intended change with
// UPDATE_SNAPSHOTS=1 and review the diff.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintSql } from './ruleTester';

const SNAP_DIR = join(__dirname, '__snapshots__');
const CORPUS = join(__dirname, '..', '..', '..', 'fixtures', 'lint-corpus', 'sql');

async function render(text: string): Promise<string> {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const f of await lintSql(text)) {
    out.push(`${f.severity}[${f.code}] ${f.startPos.line}:${f.startPos.column}-${f.endPos.line}:${f.endPos.column} ${f.message}`);
    const src = lines[f.startPos.line - 1] ?? '';
    const width = f.endPos.line === f.startPos.line ? Math.max(1, f.endPos.column - f.startPos.column) : Math.max(1, src.length - f.startPos.column + 1);
    out.push(`  | ${src}`, `  | ${' '.repeat(f.startPos.column - 1)}${'^'.repeat(width)}`);
    out.push(`  = help: ${f.help}`);
    if (f.fix) out.push(`  = fix: ${f.fix.title}: ${f.fix.edits.map((e) => JSON.stringify(e.newText)).join(', ')}`);
  }
  return out.length ? `${out.join('\n')}\n` : '(no findings)\n';
}

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
      const actual = await render(text());
      const file = join(SNAP_DIR, `${name}.snap`);
      if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) {
        if (process.env.CI && !existsSync(file)) assert.fail(`missing snapshot ${file}: run with UPDATE_SNAPSHOTS=1 and commit it`);
        mkdirSync(SNAP_DIR, { recursive: true });
        writeFileSync(file, actual);
      }
      assert.equal(actual, readFileSync(file, 'utf8'));
    });
  }
});
