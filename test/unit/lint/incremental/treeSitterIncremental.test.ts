// Incremental tree-sitter parsing (the previous tree of a document, edited and handed back to the
// parser) must give exactly what a fresh parse gives. Random edit sequences — single characters,
// quotes, brackets, newlines, non-ASCII text, whole statements — are applied to a Django migration
// and to an arangojs migration; after each edit the incremental tree equals a fresh tree, and the
// findings of a linter that keeps trees equal those of a cold parse of the same text.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { parseArangoJs } from '../../../../src/core/lint/js/arangojs';
import { parseDjango } from '../../../../src/core/lint/python/django';
import { PYTHON_GRAMMAR, pythonParser } from '../../../../src/core/lint/python/treeSitter';
import { editBetween, parseTree } from '../../../../src/core/lint/treeSitter';

const DJANGO = [
  'from django.db import migrations, models',
  '',
  '',
  'def forwards(apps, schema_editor):',
  '    User = apps.get_model("app", "User")',
  '    for u in User.objects.all():',
  '        u.token = uuid4()',
  '        u.save()',
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
  '        # greenlight-ignore sql-create-index-if-not-exists',
  '        migrations.RunSQL("CREATE INDEX i1 ON t1 (id)"),',
  '        migrations.AddField(model_name="m", name="f", field=models.IntegerField(default=0)),',
  '        migrations.RunSQL("UPDATE t1 SET n = n + 1"),',
  '    ]',
  '',
].join('\n');

const ARANGOJS = [
  "import { Database, aql } from 'arangojs';",
  '',
  'export async function up(db: Database): Promise<void> {',
  "  const users = db.collection('users');",
  '  await db.query(aql`FOR u IN ${users} UPDATE u WITH { visits: u.visits + 1 } IN ${users}`);',
  "  await db.createCollection('audit');",
  "  if (!(await db.collection('logs').exists())) await db.createCollection('logs');",
  "  await db.query('FOR d IN logs FILTER d.old REMOVE d IN logs');",
  '  // greenlight-ignore aql-js-truncate-collection',
  "  await db.collection('tmp').truncate();",
  '}',
  '',
  'export async function down(db: Database): Promise<void> {',
  "  await db.collection('audit').drop();",
  '}',
  '',
].join('\n');

/** An edit at a relative position: delete up to `remove` characters there and insert `insert`. */
const editArb = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  remove: fc.nat({ max: 6 }),
  insert: fc.oneof(
    fc.constantFrom(' ', '\n', 'x', '"', "'", '`', '(', ')', '[', ']', '{', '}', ',', ':', '#', '//', '\\', 'é', '日本', '😀', '    '),
    fc.constantFrom('migrations.RunSQL("DROP TABLE t2"),\n', "  await db.collection('c').drop();\n", 'def f():\n    pass\n', 'aql`FOR x IN y REMOVE x IN y`', '${v}'),
    fc.string({ maxLength: 4 }),
  ),
});

function apply(text: string, e: { at: number; remove: number; insert: string }): string {
  const at = Math.floor(e.at * text.length);
  return text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
}

suite('(unit) lint: incremental tree-sitter parsing equals a fresh parse', () => {
  test('editBetween finds the span between the common prefix and suffix, with rows and UTF-16 columns', () => {
    const e = editBetween('ab\ncdé\nfg', 'ab\ncXXé\nfg');
    assert.deepEqual(e, { startIndex: 4, oldEndIndex: 5, newEndIndex: 6, startPosition: { row: 1, column: 1 }, oldEndPosition: { row: 1, column: 2 }, newEndPosition: { row: 1, column: 3 } });
    assert.deepEqual(editBetween('same', 'same'), { startIndex: 4, oldEndIndex: 4, newEndIndex: 4, startPosition: { row: 0, column: 4 }, oldEndPosition: { row: 0, column: 4 }, newEndPosition: { row: 0, column: 4 } });
  });

  test('fast-check: after each random edit, the kept tree of a document is the tree a fresh parse gives', async () => {
    const parser = await pythonParser();
    let doc = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 12 }), async (edits) => {
        const document = `/p/app/migrations/fuzz_${doc++}.py`;
        let text = DJANGO;
        parseTree(parser, PYTHON_GRAMMAR, text, document)!.release();
        for (const e of edits) {
          text = apply(text, e);
          const kept = parseTree(parser, PYTHON_GRAMMAR, text, document)!;
          const fresh = parseTree(parser, PYTHON_GRAMMAR, text)!;
          try {
            assert.equal(kept.tree.rootNode.toString(), fresh.tree.rootNode.toString());
            assert.equal(kept.tree.rootNode.endIndex, text.length);
          } finally {
            kept.release();
            fresh.release();
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  test('fast-check: Django migrations — what the rules see and the findings equal a cold parse after every edit', async () => {
    const warm = createDefaultLinter();
    let doc = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 10 }), async (edits) => {
        const file = `/p/app/migrations/0001_fuzz_${doc++}.py`;
        let text = DJANGO;
        await warm.lint(file, text);
        for (const e of edits) {
          text = apply(text, e);
          assert.deepEqual(await parseDjango(text, file), await parseDjango(text));
          const kept = await warm.lint(file, text);
          // Another path is another document: nothing is kept for it, so it is parsed from scratch.
          const cold = await createDefaultLinter().lint(`${file}.cold.py`, text);
          assert.deepEqual(kept.findings, cold.findings);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('fast-check: arangojs migrations in TypeScript and JavaScript — extraction and findings equal a cold parse after every edit', async () => {
    const warm = createDefaultLinter();
    let doc = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('ts', 'js'), fc.array(editArb, { minLength: 1, maxLength: 10 }), async (ext, edits) => {
        const file = `/p/migrations/20240101_fuzz_${doc++}.${ext}`;
        const dialect = ext === 'ts' ? 'typescript' : 'javascript';
        let text = ext === 'ts' ? ARANGOJS : ARANGOJS.replace(/: Database|: Promise<void>/g, '');
        await warm.lint(file, text);
        for (const e of edits) {
          text = apply(text, e);
          assert.deepEqual(await parseArangoJs(text, dialect, file), await parseArangoJs(text, dialect));
          const kept = await warm.lint(file, text);
          const cold = await createDefaultLinter().lint(`${file}.cold.${ext}`, text);
          assert.deepEqual(kept.findings, cold.findings);
        }
      }),
      { numRuns: 40 },
    );
  });
});
