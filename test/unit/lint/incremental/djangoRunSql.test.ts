// The Django extraction keeps the SQL of each RunSQL call by the call's text (src/core/lint/python/django.ts,
// runSqlOf). After random edits anywhere in a migration — inside SQL strings, lists of statements,
// (sql, params) tuples, module constants named by a RunSQL — the extraction with what was kept from
// earlier versions equals one without any.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { forgetDjangoRunSql, parseDjango } from '../../../../src/core/lint/python/django';

const MIGRATION = [
  'from django.db import migrations, models',
  '',
  'DROP = "DROP TABLE old"',
  '',
  '',
  'def forwards(apps, schema_editor):',
  '    User = apps.get_model("app", "User")',
  '    User.objects.create(name="admin")',
  '',
  '',
  'class Migration(migrations.Migration):',
  '    operations = [',
  '        migrations.RunPython(forwards),',
  '        migrations.RunSQL("CREATE TABLE t1 (id int)", migrations.RunSQL.noop),',
  '        migrations.RunSQL(',
  '            "INSERT INTO t1 (id) VALUES (1)",',
  '            reverse_sql="DELETE FROM t1 WHERE id = 1",',
  '        ),',
  '        migrations.RunSQL(["CREATE INDEX i1 ON t1 (id)", ("INSERT INTO t1 VALUES (%s)", [2])]),',
  '        migrations.RunSQL(DROP),',
  '        migrations.RunSQL(sql=f"UPDATE t1 SET id = {1}"),',
  '        migrations.RunSQL("UPDATE t1 SET n = n + 1 -- \\u00e9"),',
  '    ]',
  '',
].join('\n');

const editArb = fc.record({
  // Per mille of the text (fc.double would put most edits at its very start).
  at: fc.nat({ max: 1000 }),
  remove: fc.nat({ max: 8 }),
  insert: fc.oneof(
    fc.constantFrom(' ', 'x', 'DROP', 'IF NOT EXISTS ', '"', "'", '(', ')', '[', ']', ',', '\\n', '\\\\', 'é', '%s'),
    fc.constantFrom('DROP = "SELECT 1"\n', 'OTHER = "DROP TABLE t9"\n', '        migrations.RunSQL(OTHER),\n', '        migrations.RunSQL("CREATE TABLE t2 (id int)"),\n', 'DROP = 1\n'),
    fc.string({ maxLength: 3 }),
  ),
});

function apply(text: string, e: { at: number; remove: number; insert: string }): string {
  const at = Math.floor((e.at / 1000) * text.length);
  return text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
}

suite('(unit) lint: Django RunSQL kept across edits', () => {
  test('fast-check: the extraction with RunSQL kept from earlier versions equals one without', async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 10 }), async (edits) => {
        let text = MIGRATION;
        await parseDjango(text);
        for (const e of edits) {
          text = apply(text, e);
          const kept = await parseDjango(text);
          forgetDjangoRunSql();
          const fresh = await parseDjango(text);
          assert.deepEqual(kept, fresh);
          if (fresh.ok && fresh.unit.runSql.length) compared++;
          // Warm again from this version, as an editor session would be.
          await parseDjango(text);
        }
      }),
      { numRuns: 300 },
    );
    assert.ok(compared > 100, `only ${compared} versions with SQL compared`);
  });
});
