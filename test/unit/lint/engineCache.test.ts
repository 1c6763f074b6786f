// The engine keeps the findings of embedded code per piece: linting a Django migration again after
// an edit outside its SQL parses nothing again, and an edit to a RunSQL parses the migration's SQL
// once (all RunSQL of a migration are one SQL text, so the rules see each other's effects); the
// findings are the same as a fresh linter's, at the right places.
import * as assert from 'node:assert/strict';
import { Linter, type AnyLanguage } from '../../../src/core/lint/engine';
import { pythonLanguage } from '../../../src/core/lint/languages/python';
import { sqlLanguage } from '../../../src/core/lint/languages/sql';

const migration = (extra: string): string =>
  [
    'from django.db import migrations',
    '',
    '',
    'class Migration(migrations.Migration):',
    '    operations = [',
    '        migrations.RunSQL("CREATE TABLE a (id int)"),',
    '        migrations.RunSQL("CREATE TABLE IF NOT EXISTS b (id int)"),',
    `        migrations.RunSQL("${extra}"),`,
    '    ]',
    '',
  ].join('\n');

function countingLinter(): { linter: Linter; parsed: string[] } {
  const sql = sqlLanguage();
  const parsed: string[] = [];
  const counting: AnyLanguage = { ...(sql as AnyLanguage), parse: (text, file) => (parsed.push(text), sql.parse(text, file)) };
  return { linter: new Linter([counting, pythonLanguage as AnyLanguage]), parsed };
}

suite('(unit) lint engine: embedded code is re-checked only where it changed', () => {
  test('an edit outside the SQL parses nothing again; an edit to a RunSQL parses the SQL once; findings equal a fresh linter’s', async () => {
    const { linter, parsed } = countingLinter();
    const file = '/p/app/migrations/0001_x.py';
    await linter.lint(file, migration('CREATE TABLE c (id int)'));
    assert.equal(parsed.length, 1);
    parsed.length = 0;
    const moved = `# a comment moves everything down\n${migration('CREATE TABLE c (id int)')}`;
    const same = await linter.lint(file, moved);
    assert.deepEqual(parsed, [], 'the SQL did not change: nothing is parsed again');
    assert.deepEqual(same, await countingLinter().linter.lint(file, moved));
    const edited = `# a comment moves everything down\n${migration('CREATE TABLE d (id int)')}`;
    const again = await linter.lint(file, edited);
    assert.equal(parsed.length, 1);
    assert.match(parsed[0]!, /CREATE TABLE d \(id int\)/);
    const fresh = await countingLinter().linter.lint(file, edited);
    assert.deepEqual(again, fresh);
    assert.deepEqual(again.findings.map((f) => [f.code, f.startPos.line]), [
      ['sql-create-table-if-not-exists', 7],
      ['sql-create-table-if-not-exists', 9],
    ]);
  });

  test('other options are another cache entry: a rule switched off is off for cached pieces too', async () => {
    const { linter } = countingLinter();
    const file = '/p/app/migrations/0001_x.py';
    const text = migration('SELECT 1');
    assert.equal((await linter.lint(file, text)).findings.length, 1);
    assert.deepEqual((await linter.lint(file, text, { disabled: ['sql-create-table-if-not-exists'] })).findings, []);
  });
});
