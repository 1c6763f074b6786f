// Django data-migration idioms from the real-world corpus (scripts/bench/accuracy.ts): writes
// through `.using(alias)`, the delete-then-move of content types, `__isnull=False` filters, and
// RunSQL pieces that only make sense together.
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { ruleTester } from '../ruleTester';

const linter = createDefaultLinter();
const F = 'netbox/dcim/migrations/0200_data.py';

const withForward = (body: string): string =>
  `from django.db import migrations\nfrom django.db.models import F\n\n\ndef forwards(apps, schema_editor):\n    db_alias = schema_editor.connection.alias\n    ContentType = apps.get_model("contenttypes", "ContentType")\n    MACAddress = apps.get_model("dcim", "MACAddress")\n${body
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n')}\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]\n`;

const withRunSql = (...sql: string[]): string =>
  `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = [\n${sql.map((s) => `        migrations.RunSQL(${JSON.stringify(s)}),`).join('\n')}\n    ]\n`;

suite('(unit) lint django rules on real-world idioms', () => {
  ruleTester('django-runpython-create', { linter, file: F,
    valid: [withForward('MACAddress.objects.using(db_alias).bulk_create(macs, ignore_conflicts=True)'), withForward('MACAddress.objects.using(db_alias).get_or_create(mac_address="00:00:00:00:00:01")')],
    invalid: [
      { code: withForward('MACAddress.objects.using(db_alias).bulk_create(macs, batch_size=100)'), errors: [{ line: 9, column: 5, message: /bulk_create\(\) without ignore_conflicts/ }] },
      { code: withForward('MACAddress.objects.db_manager(db_alias).create(mac_address="x")'), errors: [{ line: 9, column: 5, message: /objects\.create\(\)/ }] },
    ],
  });

  ruleTester('django-runpython-delete-all', { linter, file: F,
    valid: [
      // A scoped delete no later update feeds.
      withForward('ContentType.objects.filter(app_label="core", model="x").delete()\nContentType.objects.filter(app_label="extras", model="y").update(app_label="core")'),
      withForward('ContentType.objects.filter(app_label="extras", model="x").update(app_label="core")\nContentType.objects.filter(app_label="extras", model="x").delete()'),
    ],
    invalid: [
      {
        code: withForward('ContentType.objects.using(db_alias).filter(app_label="core", model="objectchange").delete()\nContentType.objects.using(db_alias).filter(app_label="extras", model="objectchange").update(app_label="core")'),
        errors: [{ line: 9, column: 5, message: /moves rows into what it deletes/ }],
      },
    ],
  });

  ruleTester('django-runpython-update-not-idempotent', { linter, file: F,
    valid: [withForward('MACAddress.objects.filter(size__lt=1000).update(size=F("size") * 1024)')],
    invalid: [{ code: withForward('MACAddress.objects.using(db_alias).filter(size__isnull=False).update(size=F("size") * 1024)'), errors: [{ line: 9, column: 5 }] }],
  });

  ruleTester('sql-insert-without-conflict-handling', { linter, file: F,
    valid: [
      // The source table is emptied by a later RunSQL of the same migration.
      withRunSql("INSERT INTO users_group (SELECT id, name, '' AS description FROM auth_group)", 'DELETE from auth_group_permissions', 'DELETE from auth_group'),
    ],
    invalid: [{ code: withRunSql("INSERT INTO users_group (SELECT id, name, '' AS description FROM auth_group)", 'DELETE from auth_group_permissions'), errors: [{ line: 6, column: 28 }] }],
  });

  const module = (body: string): string => `from django.db import migrations\nimport uuid\n\n\n${body}\n`;

  ruleTester('django-runpython-create', { linter, file: F,
    valid: [
      // The helper that creates is called only when no matching group was found.
      module('def find_group(perms, groups):\n    for g in groups:\n        if g.perms == perms:\n            return g\n\n\ndef make_group(perms, Group):\n    return Group.objects.create(name=str(perms))\n\n\ndef forwards(apps, schema_editor):\n    Group = apps.get_model("auth", "Group")\n    groups = Group.objects.all()\n    for perms in [1, 2]:\n        group = find_group(perms, groups)\n        if group:\n            group.users.add(1)\n            continue\n        group = make_group(perms, Group)\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards)]'),
    ],
    invalid: [
      {
        code: module('def forwards(apps, schema_editor):\n    ServiceAccount = apps.get_model("account", "ServiceAccount")\n    for sa in ServiceAccount.objects.iterator():\n        sa.tokens.create(name="Default", auth_token=sa.auth_token)\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards)]'),
        errors: [{ line: 8, column: 9, message: /objects\.create\(\) inserts a new row for every iteration/ }],
      },
    ],
  });

  ruleTester('django-runpython-update-not-idempotent', { linter, file: F,
    valid: [
      module('def forwards(apps, schema_editor):\n    Notification = apps.get_model("api", "Notification")\n    for n in Notification.objects.filter(code=None):\n        n.code = uuid.uuid4()\n        n.save()\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards)]'),
    ],
    invalid: [
      {
        code: module('def get_token():\n    return str(uuid.uuid4())\n\n\ndef forwards(apps, schema_editor):\n    accounts = apps.get_model("account", "User").objects.all()\n    for account in accounts:\n        account.token = get_token()\n        account.save()\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards)]'),
        errors: [{ line: 12, column: 9, message: /"token" so that get_token\(\) differs on every run/ }],
      },
      {
        code: module('def forwards(apps, schema_editor):\n    User = apps.get_model("account", "User")\n    User.objects.update(uuid=RandomUUID())\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards)]'),
        errors: [{ line: 7, column: 5, message: /RandomUUID/ }],
      },
    ],
  });

  ruleTester('sql-drop-if-exists', { linter, file: F,
    valid: [module('DROP_OLD = """\nALTER TABLE perms DROP CONSTRAINT IF EXISTS perms_fk;\n"""\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL(DROP_OLD, reverse_sql=migrations.RunSQL.noop)]')],
    invalid: [
      {
        // The SQL of a module-level constant is checked where the constant is written.
        code: module('DROP_OLD = """\nALTER TABLE perms DROP CONSTRAINT perms_fk;\n"""\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL(DROP_OLD, reverse_sql=migrations.RunSQL.noop)]'),
        errors: [{ line: 6, column: 1, message: /DROP CONSTRAINT perms_fk/ }],
      },
    ],
  });
});
