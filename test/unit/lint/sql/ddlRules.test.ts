import { ruleTester } from '../ruleTester';

ruleTester('sql-create-table-if-not-exists', {
  valid: [
    'CREATE TABLE IF NOT EXISTS users (id int);',
    'DROP TABLE IF EXISTS cache; CREATE TABLE cache (k text);',
    'CREATE TABLE scratch (n int); DROP TABLE scratch;',
    'CREATE TEMP TABLE t (n int);',
    "DO $$ BEGIN CREATE TABLE t (n int); EXCEPTION WHEN duplicate_table THEN NULL; END $$;",
    "DO $$ BEGIN IF to_regclass('public.t') IS NULL THEN CREATE TABLE t (n int); END IF; END $$;",
    "CREATE TABLE IF NOT EXISTS notes (body text DEFAULT 'CREATE TABLE x (id int)');",
  ],
  invalid: [
    { code: 'CREATE TABLE users (id int);', errors: [{ line: 1, column: 1, endLine: 1, endColumn: 28, message: /CREATE TABLE users fails on the second run/ }], output: 'CREATE TABLE IF NOT EXISTS users (id int);' },
    { code: '-- IF NOT EXISTS\nCREATE UNLOGGED TABLE hits (n int);', errors: [{ line: 2, column: 1, endLine: 2, endColumn: 35 }], output: '-- IF NOT EXISTS\nCREATE UNLOGGED TABLE IF NOT EXISTS hits (n int);' },
    { code: 'CREATE TABLE a AS SELECT 1 AS x;', errors: [{ line: 1, column: 1 }], output: 'CREATE TABLE IF NOT EXISTS a AS SELECT 1 AS x;' },
    { code: 'SELECT 1 AS x INTO backup_x;', errors: [{ line: 1, column: 1 }] },
    { code: "SELECT 'é';\n  CREATE TABLE \"ünï\" (id int);", errors: [{ line: 2, column: 3, endLine: 2, endColumn: 30 }] },
    { code: "DO $$\nBEGIN\n  CREATE TABLE t (n int);\nEXCEPTION WHEN unique_violation THEN NULL;\nEND $$;", errors: [{ line: 3, column: 3, endLine: 3, endColumn: 25 }] },
  ],
});

ruleTester('sql-add-column-if-not-exists', {
  valid: [
    'ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;',
    'DROP TABLE IF EXISTS t; CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN b int;',
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'u' AND column_name = 'c') THEN ALTER TABLE u ADD COLUMN c int; END IF; END $$;",
    "DO $$ BEGIN ALTER TABLE u ADD COLUMN c int; EXCEPTION WHEN duplicate_column THEN NULL; END $$;",
    "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS c int', 'u'); END $$;",
  ],
  invalid: [
    { code: 'ALTER TABLE users ADD COLUMN email text;', errors: [{ line: 1, column: 1, endLine: 1, endColumn: 40, message: /ADD COLUMN email on users/ }], output: 'ALTER TABLE users ADD COLUMN IF NOT EXISTS email text;' },
    { code: 'ALTER TABLE users ADD phone text;', errors: [{ line: 1, column: 1 }], output: 'ALTER TABLE users ADD IF NOT EXISTS phone text;' },
    { code: 'ALTER TABLE t\n  ADD COLUMN IF NOT EXISTS a int,\n  ADD COLUMN b int;', errors: [{ line: 1, column: 1, endLine: 3, endColumn: 19, message: /ADD COLUMN b/ }] },
    { code: "DO $$\nBEGIN\n  EXECUTE format('ALTER TABLE %I ADD COLUMN c int', 'u');\nEND $$;", errors: [{ line: 3, column: 3 }] },
    { code: "DO $$\nBEGIN\n  IF current_setting('x') = 'y' THEN\n    ALTER TABLE u ADD COLUMN c int;\n  END IF;\nEND $$;", errors: [{ line: 4, column: 5, endLine: 4, endColumn: 35 }] },
  ],
});

ruleTester('sql-create-index-if-not-exists', {
  valid: [
    'CREATE INDEX IF NOT EXISTS i ON t (c);',
    'DROP INDEX IF EXISTS i; CREATE INDEX i ON t (c);',
    "DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM pg_indexes WHERE indexname = 'i'; IF n = 0 THEN CREATE INDEX i ON t (c); END IF; END $$;",
  ],
  invalid: [
    { code: 'CREATE UNIQUE INDEX i ON t (lower(c));', errors: [{ line: 1, column: 1, endLine: 1, endColumn: 38 }], output: 'CREATE UNIQUE INDEX IF NOT EXISTS i ON t (lower(c));' },
    { code: 'CREATE INDEX CONCURRENTLY i ON t (c);', errors: [{ line: 1, column: 1 }], output: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);' },
    { code: 'CREATE INDEX ON t (c);', errors: [{ line: 1, column: 1, message: /has no name/ }] },
  ],
});

ruleTester('sql-concurrent-index-invalid', {
  valid: ['DROP INDEX CONCURRENTLY IF EXISTS i;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);', 'CREATE INDEX IF NOT EXISTS i ON t (c);'],
  invalid: [
    { code: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);', errors: [{ line: 1, column: 1, message: /INVALID/ }], output: 'DROP INDEX CONCURRENTLY IF EXISTS i;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (c);' },
  ],
});

ruleTester('sql-create-sequence-if-not-exists', {
  valid: ['CREATE SEQUENCE IF NOT EXISTS s;', 'CREATE TEMP SEQUENCE s;'],
  invalid: [{ code: 'CREATE SEQUENCE s START 10;', errors: [{ line: 1, column: 1, endLine: 1, endColumn: 27 }], output: 'CREATE SEQUENCE IF NOT EXISTS s START 10;' }],
});

ruleTester('sql-create-schema-if-not-exists', {
  valid: ['CREATE SCHEMA IF NOT EXISTS app;', 'DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app;', "DO $$ BEGIN PERFORM 1 FROM pg_namespace WHERE nspname = 'b'; IF NOT FOUND THEN CREATE SCHEMA b; END IF; END $$;"],
  invalid: [{ code: 'CREATE SCHEMA app;', errors: [{ line: 1, column: 1 }], output: 'CREATE SCHEMA IF NOT EXISTS app;' }],
});

ruleTester('sql-create-view-or-replace', {
  valid: ['CREATE OR REPLACE VIEW v AS SELECT 1;', 'CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT 1;', 'DROP VIEW IF EXISTS v; CREATE VIEW v AS SELECT 1;'],
  invalid: [
    { code: 'CREATE VIEW v AS SELECT 1;', errors: [{ line: 1, column: 1 }], output: 'CREATE OR REPLACE VIEW v AS SELECT 1;' },
    { code: 'CREATE MATERIALIZED VIEW m AS SELECT 1;', errors: [{ line: 1, column: 1 }], output: 'CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT 1;' },
  ],
});

ruleTester('sql-create-type-guarded', {
  valid: [
    "DO $$ BEGIN CREATE TYPE s AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 's') THEN CREATE TYPE s AS ENUM ('a'); END IF; END $$;",
    "DROP TYPE IF EXISTS s; CREATE TYPE s AS ENUM ('a');",
    "DO $$ BEGIN CREATE DOMAIN d AS int; EXCEPTION WHEN SQLSTATE '42710' THEN NULL; END $$;",
  ],
  invalid: [
    { code: "CREATE TYPE s AS ENUM ('a');", errors: [{ line: 1, column: 1, endLine: 1, endColumn: 28 }], output: "DO $$\nBEGIN\n  CREATE TYPE s AS ENUM ('a');\nEXCEPTION WHEN duplicate_object THEN NULL;\nEND $$;" },
    { code: 'CREATE TYPE money_amount AS (amount numeric, currency char(3));', errors: [{ line: 1, column: 1 }] },
    { code: "CREATE DOMAIN email AS text CHECK (VALUE ~ '@');", errors: [{ line: 1, column: 1, message: /CREATE DOMAIN email/ }] },
  ],
});

ruleTester('sql-enum-add-value-if-not-exists', {
  valid: ["ALTER TYPE s ADD VALUE IF NOT EXISTS 'b';"],
  invalid: [{ code: "ALTER TYPE s ADD VALUE 'b' AFTER 'a';", errors: [{ line: 1, column: 1, message: /ADD VALUE 'b'/ }], output: "ALTER TYPE s ADD VALUE IF NOT EXISTS 'b' AFTER 'a';" }],
});

ruleTester('sql-create-extension-if-not-exists', {
  valid: ['CREATE EXTENSION IF NOT EXISTS pgcrypto;'],
  invalid: [{ code: 'CREATE EXTENSION "uuid-ossp";', errors: [{ line: 1, column: 1 }], output: 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";' }],
});

ruleTester('sql-create-function-or-replace', {
  valid: ['CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;', 'DROP FUNCTION IF EXISTS f(); CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;'],
  invalid: [
    { code: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;', errors: [{ line: 1, column: 1 }], output: 'CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;' },
    { code: 'CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$;', errors: [{ line: 1, column: 1, message: /PROCEDURE/ }] },
  ],
});

ruleTester('sql-create-trigger-guarded', {
  valid: ['CREATE OR REPLACE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();', 'DROP TRIGGER IF EXISTS tr ON t;\nCREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();'],
  invalid: [{ code: 'CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();', errors: [{ line: 1, column: 1 }], output: 'CREATE OR REPLACE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();' }],
});

ruleTester('sql-create-policy-guarded', {
  valid: ['DROP POLICY IF EXISTS p ON t; CREATE POLICY p ON t USING (true);', "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE policyname = 'p') THEN CREATE POLICY p ON t USING (true); END IF; END $$;"],
  invalid: [{ code: 'CREATE POLICY p ON app.t USING (true);', errors: [{ line: 1, column: 1 }], output: 'DROP POLICY IF EXISTS p ON app.t;\nCREATE POLICY p ON app.t USING (true);' }],
});

ruleTester('sql-add-constraint-guarded', {
  valid: [
    'ALTER TABLE t DROP CONSTRAINT IF EXISTS c; ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0);',
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'c') THEN ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0); END IF; END $$;",
    'DO $$ BEGIN ALTER TABLE t ADD CONSTRAINT c UNIQUE (x); EXCEPTION WHEN duplicate_table OR duplicate_object THEN NULL; END $$;',
    'ALTER TABLE t VALIDATE CONSTRAINT c;',
  ],
  invalid: [
    { code: 'ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0);', errors: [{ line: 1, column: 1 }], output: 'ALTER TABLE t DROP CONSTRAINT IF EXISTS c;\nALTER TABLE t ADD CONSTRAINT c CHECK (x > 0);' },
    { code: 'ALTER TABLE t ADD CHECK (x > 0);', errors: [{ line: 1, column: 1, message: /unnamed CHECK/ }] },
    { code: 'ALTER TABLE t ADD PRIMARY KEY (id);', errors: [{ line: 1, column: 1, message: /primary key/ }] },
  ],
});

ruleTester('sql-rename-guarded', {
  valid: [
    'ALTER TABLE IF EXISTS a RENAME TO b;',
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE column_name = 'a') THEN ALTER TABLE t RENAME COLUMN a TO b; END IF; END $$;",
    'DO $$ BEGIN ALTER TABLE t RENAME COLUMN a TO b; EXCEPTION WHEN undefined_column THEN NULL; END $$;',
  ],
  invalid: [
    { code: 'ALTER TABLE t RENAME COLUMN a TO b;', errors: [{ line: 1, column: 1, message: /RENAME COLUMN a TO b/ }] },
    { code: 'ALTER TABLE a RENAME TO b;', errors: [{ line: 1, column: 1 }] },
    { code: 'ALTER INDEX i RENAME TO j;', errors: [{ line: 1, column: 1 }] },
    { code: "ALTER TYPE s RENAME VALUE 'a' TO 'b';", errors: [{ line: 1, column: 1 }] },
    { code: 'ALTER TABLE t SET SCHEMA archive;', errors: [{ line: 1, column: 1, message: /SET SCHEMA/ }] },
  ],
});

ruleTester('sql-drop-if-exists', {
  valid: ['DROP TABLE IF EXISTS t;', 'ALTER TABLE t DROP COLUMN IF EXISTS c;', 'CREATE TABLE IF NOT EXISTS s (n int); DROP TABLE s;', 'ALTER TABLE t ADD COLUMN IF NOT EXISTS tmp int; ALTER TABLE t DROP COLUMN tmp;'],
  invalid: [
    { code: 'DROP TABLE t;', errors: [{ line: 1, column: 1, endLine: 1, endColumn: 13 }], output: 'DROP TABLE IF EXISTS t;' },
    { code: 'DROP INDEX CONCURRENTLY i;', errors: [{ line: 1, column: 1 }], output: 'DROP INDEX CONCURRENTLY IF EXISTS i;' },
    { code: 'DROP MATERIALIZED VIEW m;', errors: [{ line: 1, column: 1 }], output: 'DROP MATERIALIZED VIEW IF EXISTS m;' },
    { code: 'ALTER TABLE t DROP COLUMN c;', errors: [{ line: 1, column: 1 }], output: 'ALTER TABLE t DROP COLUMN IF EXISTS c;' },
    { code: 'ALTER TABLE t DROP CONSTRAINT c;', errors: [{ line: 1, column: 1 }], output: 'ALTER TABLE t DROP CONSTRAINT IF EXISTS c;' },
    { code: 'DROP TRIGGER tr ON t;', errors: [{ line: 1, column: 1 }], output: 'DROP TRIGGER IF EXISTS tr ON t;' },
  ],
});

ruleTester('sql-alter-table-one-shot', {
  valid: ["DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attname = 'id' AND attidentity <> '') THEN ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY; END IF; END $$;", 'ALTER TABLE t ALTER COLUMN c SET NOT NULL;'],
  invalid: [
    { code: 'ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;', errors: [{ line: 1, column: 1, message: /IDENTITY/ }] },
    { code: 'ALTER TABLE c INHERIT p;', errors: [{ line: 1, column: 1 }] },
    { code: "ALTER TABLE e ATTACH PARTITION e1 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');", errors: [{ line: 1, column: 1 }] },
  ],
});

ruleTester('sql-create-object-guarded', {
  valid: ['CREATE STATISTICS IF NOT EXISTS s ON a, b FROM t;', 'CREATE OR REPLACE RULE r AS ON DELETE TO t DO INSTEAD NOTHING;', "DO $$ BEGIN CREATE ROLE app_ro; EXCEPTION WHEN duplicate_object THEN NULL; END $$;"],
  invalid: [
    { code: 'CREATE STATISTICS s ON a, b FROM t;', errors: [{ line: 1, column: 1 }] },
    { code: 'CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING;', errors: [{ line: 1, column: 1 }] },
    { code: 'CREATE ROLE app_ro;', errors: [{ line: 1, column: 1, message: /ROLE/ }] },
    { code: "CREATE AGGREGATE agg(text) (SFUNC = textcat, STYPE = text);", errors: [{ line: 1, column: 1, message: /AGGREGATE/ }] },
  ],
});
