// Valid/invalid tables for the AQL rules, with exact positions and fix results.
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { ruleTester } from '../ruleTester';

const linter = createDefaultLinter();
const F = 'migrations/0001.aql';

suite('(unit) lint aql rules', () => {
  ruleTester('aql-update-not-idempotent', { linter, file: F,
    valid: [
      // Constant values: a rerun writes the same thing again.
      'FOR u IN users\n  UPDATE u WITH { role: "user", active: true } IN users',
      // Guarded by a FILTER on a written attribute.
      'FOR u IN users\n  FILTER u.schemaVersion < 2\n  UPDATE u WITH { schemaVersion: 2, visits: u.visits + 1 } IN users',
      'FOR u IN users\n  FILTER !HAS(u, "fullName")\n  UPDATE u WITH { fullName: u.name, name: null } IN users OPTIONS { keepNull: false }',
      // Computed from attributes it does not change.
      'FOR u IN users\n  UPDATE u WITH { fullName: CONCAT(u.first, " ", u.last) } IN users',
      // Defaulting keeps its own value: idempotent.
      'FOR u IN users\n  UPDATE u WITH { role: NOT_NULL(u.role, "user") } IN users',
      // Set-like appends do not grow on rerun.
      'FOR u IN users\n  UPDATE u WITH { tags: APPEND(u.tags, ["beta"], true) } IN users',
      'FOR u IN users\n  UPDATE u WITH { tags: UNION_DISTINCT(u.tags, ["beta"]) } IN users',
      // Words in comments and strings are not code.
      'FOR u IN users\n  // u.visits + 1 DATE_NOW()\n  UPDATE u WITH { note: "u.visits + 1 DATE_NOW()" } IN users',
    ],
    invalid: [
      {
        code: 'FOR u IN users\n  UPDATE u WITH { visits: u.visits + 1 } IN users',
        errors: [{ line: 2, column: 19, endLine: 2, endColumn: 39, message: /"visits" from its own current value/ }],
      },
      {
        code: 'FOR u IN users\n  UPDATE u WITH { fullName: u.name, name: null } IN users OPTIONS { keepNull: false }',
        errors: [{ line: 2, column: 19, message: /from "u\.name", which the same UPDATE also changes/ }],
      },
      {
        code: 'FOR u IN users\n  UPDATE u WITH { touchedAt: DATE_NOW() } IN users',
        errors: [{ line: 2, column: 19, message: /DATE_NOW\(\)/ }],
      },
      {
        code: 'FOR u IN users\n  REPLACE u WITH MERGE(UNSET(u, "old"), { neu: u.old }) IN users',
        errors: [{ line: 2, column: 43, message: /"neu" from "u\.old"/ }],
      },
      {
        code: 'FOR u IN users\n  FILTER u.active == true\n  UPDATE { _key: u._key, logins: u.logins * 2 } IN users',
        errors: [{ line: 3, column: 26 }],
      },
      {
        code: 'UPSERT { name: "home" }\nINSERT { name: "home", hits: 1 }\nUPDATE { hits: OLD.hits + 1 } IN pages',
        errors: [{ line: 3, column: 10, message: /UPSERT … UPDATE computes "hits"/ }],
      },
    ],
  });

  ruleTester('aql-insert-without-guard', { linter, file: F,
    valid: [
      'INSERT { _key: "admin", name: "Admin" } INTO roles OPTIONS { overwriteMode: "ignore" }',
      'INSERT { _key: "admin" } INTO roles OPTIONS { ignoreErrors: true }',
      'INSERT { _key: "admin" } INTO roles OPTIONS { overwrite: true }',
      'UPSERT { _key: "admin" } INSERT { _key: "admin", name: "Admin" } UPDATE {} IN roles',
      'FOR r IN @roles\n  FILTER LENGTH(FOR x IN roles FILTER x.name == r.name LIMIT 1 RETURN 1) == 0\n  INSERT r INTO roles',
      'FOR r IN @roles\n  LET existing = DOCUMENT(roles, r._key)\n  FILTER existing == null\n  INSERT r INTO roles',
    ],
    invalid: [
      {
        code: 'INSERT { _key: "admin", name: "Admin" } INTO roles',
        errors: [{ line: 1, column: 1, endColumn: 40, message: /fails on rerun/ }],
        output: 'INSERT { _key: "admin", name: "Admin" } INTO roles OPTIONS { overwriteMode: "ignore" }',
      },
      {
        code: '// roles\nFOR r IN ["a", "b"]\n  INSERT { name: r } INTO roles',
        errors: [{ line: 3, column: 3, message: /adds another copy/ }],
      },
      {
        // A FILTER that does not look at the target collection is no guard.
        code: 'FOR r IN @roles\n  FILTER r.enabled\n  INSERT r INTO roles OPTIONS { waitForSync: true }',
        errors: [{ line: 3, column: 3 }],
      },
      {
        // "overwriteMode" in a comment or a string is not an option.
        code: 'INSERT { _key: "a", note: "overwriteMode" } INTO roles // OPTIONS { overwriteMode: "ignore" }',
        errors: [{ line: 1, column: 1 }],
      },
    ],
  });

  ruleTester('aql-overwrite-without-key', { linter, file: F,
    valid: ['INSERT { _key: "a", n: 1 } INTO c OPTIONS { overwriteMode: "replace" }', 'FOR d IN @docs INSERT d INTO c OPTIONS { overwriteMode: "update" }'],
    invalid: [{ code: 'INSERT { name: "a" } INTO c OPTIONS { overwriteMode: "ignore" }', errors: [{ line: 1, column: 8, endColumn: 21 }] }],
  });

  ruleTester('aql-upsert-search-mismatch', { linter, file: F,
    valid: [
      'UPSERT { email: @email } INSERT { email: @email, name: @name } UPDATE { name: @name } IN users',
      'UPSERT { email: @email } INSERT MERGE({ email: @email }, @doc) UPDATE @doc IN users',
    ],
    invalid: [
      { code: 'UPSERT { email: @email }\n  INSERT { name: @name }\n  UPDATE {} IN users', errors: [{ line: 2, column: 10, message: /has no "email"/ }] },
      { code: 'UPSERT { email: LOWER(@email) } INSERT { email: @email } UPDATE {} IN users', errors: [{ line: 1, column: 42 }] },
      { code: 'UPSERT { token: UUID() } INSERT { token: UUID() } UPDATE {} IN tokens', errors: [{ line: 1, column: 8, message: /UUID\(\)/ }] },
    ],
  });

  ruleTester('aql-unfiltered-remove', { linter, file: F,
    valid: [
      'FOR s IN sessions\n  FILTER s.expiresAt < @now\n  REMOVE s IN sessions',
      'FOR k IN @keys REMOVE k IN sessions OPTIONS { ignoreErrors: true }',
    ],
    invalid: [
      { code: 'FOR s IN sessions\n  REMOVE s IN sessions', errors: [{ line: 2, column: 3, endColumn: 23 }] },
      { code: 'FOR s IN @@coll\n  LIMIT 1000\n  REMOVE s IN @@coll', errors: [{ line: 3, column: 3 }] },
    ],
  });

  ruleTester('aql-remove-without-ignore-errors', { linter, file: F,
    valid: [
      'REMOVE "legacy" IN settings OPTIONS { ignoreErrors: true }',
      'FOR s IN settings FILTER s._key == "legacy" REMOVE s IN settings',
      'FOR s IN settings FILTER s._key IN @keys REMOVE { _key: s._key } IN settings',
    ],
    invalid: [
      { code: 'REMOVE "legacy" IN settings', errors: [{ line: 1, column: 1, endColumn: 16 }], output: 'REMOVE "legacy" IN settings OPTIONS { ignoreErrors: true }' },
      { code: 'FOR k IN ["a", "b"]\n  REMOVE { _key: k } IN settings', errors: [{ line: 2, column: 3 }] },
      { code: 'REMOVE @key IN settings OPTIONS { waitForSync: true }', errors: [{ line: 1, column: 1 }] },
    ],
  });
});
