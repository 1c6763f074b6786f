// A migration that fails on production data must not copy that data into the failure ledger
// (or, through the same message, the audit log): the real server's and PGlite's own error texts,
// for the row-level errors that carry values, are checked after the runner stored them.
import * as assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { quietContext } from '../../../src/core/common/job';
import { loadMigrations } from '../../../src/core/migrate/files';
import { PgBackend } from '../../../src/core/migrate/pgBackend';
import { migrateUp } from '../../../src/core/migrate/runner';
import { ENGINES, freshDatabase, removeDir, type TestDatabase } from './engines';

const SECRET = 'ann.secret@example.com';

const CASES: { name: string; sql: string; keeps: RegExp }[] = [
  { name: 'unique violation', sql: `INSERT INTO people (email, age) VALUES ('${SECRET}', 41);`, keeps: /duplicate key value violates unique constraint "people_email_key" \[23505\] — Key \(email\)=\(…\) already exists/ },
  { name: 'unique index over existing duplicates', sql: `INSERT INTO dupes VALUES ('${SECRET}'), ('${SECRET}');\nCREATE UNIQUE INDEX dupes_v ON dupes (v);`, keeps: /could not create unique index "dupes_v" \[23505\] — Key \(v\)=\(…\) is duplicated/ },
  { name: 'check constraint', sql: `ALTER TABLE people ADD CONSTRAINT adult CHECK (age >= 18);\nUPDATE people SET age = 3;`, keeps: /violates check constraint "adult" \[23514\] — Failing row contains \(…\)/ },
  { name: 'not-null constraint', sql: `ALTER TABLE people ALTER COLUMN age SET NOT NULL;\nUPDATE people SET age = NULL;`, keeps: /null value in column "age" .*violates not-null constraint \[23502\] — Failing row contains \(…\)/ },
  { name: 'foreign key to missing rows', sql: `CREATE TABLE owners (email text PRIMARY KEY);\nALTER TABLE people ADD FOREIGN KEY (email) REFERENCES owners (email);`, keeps: /foreign key constraint .*\[23503\] — Key \(email\)=\(…\) is not present in table "owners"/ },
  { name: 'cast of existing values', sql: `ALTER TABLE people ALTER COLUMN email TYPE integer USING email::integer;`, keeps: /invalid input syntax for type integer: "…" \[22P02\]/ },
];

for (const engine of ENGINES) {
  suite(`(integration) migrate: row values stay out of stored failures on ${engine}`, function () {
    let db: TestDatabase;
    let dir: string;
    setup(async () => {
      db = await freshDatabase(engine);
      dir = await mkdtemp(path.join(os.tmpdir(), 'gl-rowvalues-'));
      await writeFile(path.join(dir, '20250101T000000_people.sql'), `CREATE TABLE people (email text UNIQUE, age int);\nCREATE TABLE dupes (v text);\nINSERT INTO people VALUES ('${SECRET}', 41);\n`);
    });
    teardown(async () => {
      await db?.drop();
      await removeDir(dir);
    });

    for (const c of CASES) {
      test(`${c.name}: the failure and its ledger row name columns and constraint, not the values`, async () => {
        await writeFile(path.join(dir, '20250102T000000_breaks.sql'), `${c.sql}\n`);
        const r = await migrateUp(new PgBackend(db.session), await loadMigrations(dir, { kinds: ['sql'] }), quietContext());
        assert.ok(r.failure, 'the migration failed');
        assert.match(r.failure.message, c.keeps);
        assert.ok(!r.failure.message.includes(SECRET) && !r.failure.message.includes('41'), r.failure.message);
        const stored = await new PgBackend(db.session).readFailures();
        assert.equal(stored.length, 1);
        const text = JSON.stringify(stored);
        assert.ok(!text.includes(SECRET), `the failure ledger holds the value: ${text}`);
      });
    }
  });
}
