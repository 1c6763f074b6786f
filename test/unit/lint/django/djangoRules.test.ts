// Valid/invalid tables for the Django migration rules, and RunSQL linted by the SQL rules with
// positions mapped back into the .py file.
import * as assert from 'node:assert/strict';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { ruleTester } from '../ruleTester';

const linter = createDefaultLinter();
const F = 'shop/migrations/0003_data.py';

/** A migration module whose RunPython forward function has `body` (indented 4). */
const withForward = (body: string, extra = ''): string =>
  `from django.db import migrations\nfrom django.db.models import F\n\n\ndef forwards(apps, schema_editor):\n    Product = apps.get_model("shop", "Product")\n${body
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n')}\n${extra}\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n`;

suite('(unit) lint django rules', () => {
  ruleTester('django-runpython-create', { linter, file: F,
    valid: [
      withForward('Product.objects.get_or_create(sku="A1", defaults={"name": "Apple"})'),
      withForward('Product.objects.update_or_create(sku="A1", defaults={"name": "Apple"})'),
      withForward('if not Product.objects.filter(sku="A1").exists():\n    Product.objects.create(sku="A1")'),
      withForward('if Product.objects.filter(sku="A1").exists():\n    return\nProduct.objects.create(sku="A1")'),
      withForward('Product.objects.bulk_create([Product(sku="A1")], ignore_conflicts=True)'),
      withForward('try:\n    Product.objects.create(sku="A1")\nexcept IntegrityError:\n    pass'),
      // A function that RunPython does not run is not checked.
      withForward('pass', '\n\ndef unused(apps, schema_editor):\n    apps.get_model("shop", "Product").objects.create(sku="x")'),
      // Words in comments and strings are not code.
      withForward('# Product.objects.create(sku="A1")\nnote = "Product.objects.create(sku=1)"'),
    ],
    invalid: [
      {
        code: withForward('Product.objects.create(sku="A1", name="Apple")'),
        errors: [{ line: 7, column: 5, endLine: 7, endColumn: 51, message: /In forwards\(\): objects\.create\(\) inserts a new row/ }],
        output: withForward('Product.objects.get_or_create(sku="A1", name="Apple")'),
      },
      { code: withForward('for sku in ["A1", "B2"]:\n    Product(sku=sku).save()'), errors: [{ line: 8, column: 9, message: /every iteration of the for loop/ }] },
      { code: withForward('p = Product(sku="A1")\np.save()'), errors: [{ line: 8, column: 5 }] },
      { code: withForward('Product.objects.bulk_create([Product(sku="A1")])'), errors: [{ line: 7, column: 5, message: /ignore_conflicts/ }] },
      // A condition that does not query the database is no guard.
      { code: withForward('if settings.DEBUG:\n    Product.objects.create(sku="demo")'), errors: [{ line: 8, column: 9 }] },
      // A helper called from the forward function is followed.
      { code: withForward('add_defaults(Product)', '\n\ndef add_defaults(model):\n    model.objects.create(sku="D")'), errors: [{ line: 11, column: 5, message: /In add_defaults\(\)/ }] },
    ],
  });

  ruleTester('django-runpython-update-not-idempotent', { linter, file: F,
    valid: [
      withForward('Product.objects.update(active=True)'),
      withForward('Product.objects.filter(price_version__lt=2).update(price=F("price") * 2, price_version=2)'),
      withForward('Product.objects.update(display_name=F("name"))'),
    ],
    invalid: [
      { code: withForward('Product.objects.update(price=F("price") * 2)'), errors: [{ line: 7, column: 5, message: /"price" so that it is computed from its own current value/ }] },
      { code: withForward('Product.objects.filter(active=True).update(touched_at=timezone.now())'), errors: [{ line: 7, column: 5, message: /timezone\.now\(\) differs on every run/ }] },
      { code: withForward('Product.objects.update(title=F("name"), name="")'), errors: [{ line: 7, column: 5, message: /copies F\('name'\)/ }] },
    ],
  });

  ruleTester('django-runpython-delete-all', { linter, file: F,
    valid: [withForward('Product.objects.filter(sku__startswith="TMP").delete()')],
    invalid: [{ code: withForward('Product.objects.all().delete()'), errors: [{ line: 7, column: 5, endColumn: 35 }] }],
  });

  ruleTester('django-runsql-not-literal', { linter, file: F,
    valid: ['from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL("SELECT 1", migrations.RunSQL.noop)]\n'],
    invalid: [
      { code: 'from django.db import migrations\nT = "x"\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL(f"DROP TABLE {T}")]\n', errors: [{ line: 5, column: 37, message: /f-string/ }] },
      { code: 'from django.db import migrations\nSQL = open("x.sql").read()\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL(SQL)]\n', errors: [{ line: 5, column: 37, message: /computed \(identifier\)/ }] },
    ],
  });

  test('framework-managed operations are not flagged', async () => {
    const text = `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [\n        migrations.CreateModel(name="Product", fields=[("id", models.AutoField(primary_key=True))]),\n        migrations.AddField("product", "sku", models.CharField(max_length=20, default="")),\n        migrations.AddIndex("product", models.Index(fields=["sku"], name="sku_idx")),\n        migrations.RenameField("product", "sku", "code"),\n        migrations.RemoveField("product", "code"),\n        migrations.DeleteModel("Legacy"),\n    ]\n`;
    const { language, findings } = await linter.lint('shop/migrations/0001_initial.py', text);
    assert.equal(language, 'python');
    assert.deepEqual(findings, []);
  });

  test('RunSQL is linted by the SQL rules, with positions in the .py file', async () => {
    const text = [
      'from django.db import migrations',
      '',
      'class Migration(migrations.Migration):',
      '    operations = [',
      '        migrations.RunSQL("CREATE TABLE audit (id int)"),',
      '        migrations.RunSQL(',
      '            "CREATE INDEX IF NOT EXISTS audit_id ON audit (id);\\n"',
      "            'CREATE INDEX audit_id2 ON audit (id)',",
      '            reverse_sql="DROP TABLE audit",',
      '        ),',
      '        migrations.RunSQL(sql=[("INSERT INTO audit VALUES (%s)", [1]), "CREATE TABLE IF NOT EXISTS b (id int)"]),',
      '        migrations.RunSQL(r"""',
      '            CREATE SCHEMA reports',
      '        """),',
      '    ]',
      '',
    ].join('\n');
    const { findings } = await linter.lint(F, text);
    const got = findings.map((f) => [f.code, f.startPos.line, f.startPos.column, text.slice(f.start, f.end)]);
    assert.deepEqual(got, [
      ['sql-create-table-if-not-exists', 5, 28, 'CREATE TABLE audit (id int)'],
      ['sql-create-index-if-not-exists', 8, 14, 'CREATE INDEX audit_id2 ON audit (id)'],
      ['sql-insert-without-conflict-handling', 11, 34, 'INSERT INTO audit VALUES (%s)'],
      ['sql-create-schema-if-not-exists', 13, 13, 'CREATE SCHEMA reports'],
    ]);
  });

  test('# greenlight-ignore before an operation suppresses its embedded SQL findings', async () => {
    const text = 'from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [\n        # greenlight-ignore sql-create-table-if-not-exists\n        migrations.RunSQL("CREATE TABLE a (id int)"),\n        migrations.RunSQL("CREATE TABLE b (id int)"),\n    ]\n';
    const { findings } = await linter.lint(F, text);
    assert.deepEqual(findings.map((f) => [f.code, f.startPos.line]), [['sql-create-table-if-not-exists', 7]]);
  });

  test('a syntax error is one parse-error at the right place', async () => {
    const { findings } = await linter.lint(F, 'from django.db import migrations\n\ndef forwards(apps, schema_editor:\n    pass\n');
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.code, 'parse-error');
    assert.equal(findings[0]!.startPos.line, 3);
  });

  test('which files are Django migrations', () => {
    assert.equal(linter.languageFor('shop/migrations/0001_initial.py', '')?.id, 'python');
    assert.equal(linter.languageFor('shop/migrations/__init__.py', ''), undefined);
    assert.equal(linter.languageFor('shop/models.py', 'class A: pass'), undefined);
    assert.equal(linter.languageFor('tools/m.py', 'class Migration(migrations.Migration): pass')?.id, 'python');
  });
});
