// Idioms from real migrations (the real-world corpus, scripts/bench/accuracy.ts) that the oracle
// finds re-runnable in context, and their near misses that still fail on a second run.
import { ruleTester } from '../ruleTester';

ruleTester('sql-drop-if-exists', {
  valid: [
    // DROP then CREATE of the same object: the first run ends with it in place again.
    'DROP INDEX index_crates_name;\nCREATE UNIQUE INDEX index_crates_name ON crates (lower(name));',
    'DROP TRIGGER trg ON crates;\nCREATE TRIGGER trg BEFORE UPDATE ON crates FOR EACH ROW EXECUTE FUNCTION f();',
    'DROP TABLE cache;\nCREATE TABLE cache (k text PRIMARY KEY);',
    'DROP FUNCTION to_semver(text);\nDROP TYPE triple;\nCREATE TYPE triple AS (a int);\nCREATE FUNCTION to_semver(text) RETURNS triple LANGUAGE sql AS $$ SELECT ROW(1)::triple $$;',
    // The same inside one ALTER TABLE, and the unnamed primary key named <table>_pkey.
    'ALTER TABLE "crate_owners"\n  DROP CONSTRAINT "fk_owner",\n  ADD CONSTRAINT "fk_owner" FOREIGN KEY (crate_id) REFERENCES crates(id) ON DELETE CASCADE;',
    'ALTER TABLE devices DROP CONSTRAINT devices_pkey;\nALTER TABLE devices ADD PRIMARY KEY (uuid, user_uuid);',
    'ALTER TABLE "Api" DROP COLUMN "externalId",\nADD COLUMN "externalId" INTEGER NOT NULL;',
    'ALTER TABLE current_executions DROP COLUMN data_encoding;\nALTER TABLE current_executions ADD COLUMN data_encoding VARCHAR(16) NOT NULL DEFAULT \'\';',
    // A loop over the catalog drops only indexes that exist.
    "DO $$\nDECLARE r record;\nBEGIN\n  FOR r IN SELECT indexname FROM pg_indexes WHERE indexname IN ('a', 'b') LOOP\n    EXECUTE format('DROP INDEX %I', r.indexname);\n  END LOOP;\nEND $$;",
  ],
  invalid: [
    { code: 'DROP INDEX index_crates_name;\nCREATE UNIQUE INDEX other_name ON crates (lower(name));', errors: [{ line: 1, column: 1, message: /DROP INDEX fails/ }] },
    { code: 'ALTER TABLE t DROP CONSTRAINT c, ADD CONSTRAINT d CHECK (x > 0);', errors: [{ line: 1, column: 1, message: /DROP CONSTRAINT c/ }] },
    { code: 'ALTER TABLE t ADD COLUMN b int, DROP COLUMN b;', errors: [{ line: 1, column: 1, message: /DROP COLUMN b/ }] },
    { code: "DO $$\nDECLARE r record;\nBEGIN\n  FOR r IN SELECT name FROM my_list LOOP\n    EXECUTE format('DROP INDEX %I', r.name);\n  END LOOP;\nEND $$;", errors: [{ line: 5, column: 5 }] },
  ],
});

ruleTester('sql-add-constraint-guarded', {
  valid: [
    'ALTER TABLE "crate_owners"\n  DROP CONSTRAINT "fk_owner",\n  ADD CONSTRAINT "fk_owner" FOREIGN KEY (crate_id) REFERENCES crates(id);',
    'ALTER TABLE t DROP CONSTRAINT IF EXISTS t_x_check, ADD CONSTRAINT t_x_check CHECK (x > 0);',
    'ALTER TABLE devices DROP CONSTRAINT devices_pkey;\nALTER TABLE devices ADD PRIMARY KEY (uuid, user_uuid);',
  ],
  invalid: [
    { code: 'ALTER TABLE t ADD CONSTRAINT t_x_check CHECK (x > 0), DROP CONSTRAINT IF EXISTS t_x_check;', errors: [{ line: 1, column: 1, message: /ADD CONSTRAINT t_x_check/ }] },
    { code: 'ALTER TABLE devices DROP CONSTRAINT other_pkey;\nALTER TABLE devices ADD PRIMARY KEY (uuid);', errors: [{ line: 2, column: 1, message: /already has a primary key/ }] },
  ],
});

ruleTester('sql-add-column-if-not-exists', {
  valid: ['ALTER TABLE "Api" DROP COLUMN "externalId",\nADD COLUMN "externalId" INTEGER NOT NULL;'],
  invalid: [{ code: 'ALTER TABLE "Api" ADD COLUMN "externalId" INTEGER, DROP COLUMN "externalId";', errors: [{ line: 1, column: 1, message: /ADD COLUMN externalId/ }] }],
});

ruleTester('sql-create-index-if-not-exists', {
  valid: [
    // Dropping the column dropped the index on it: the CREATE INDEX below builds it anew on every run.
    'ALTER TABLE posts DROP COLUMN search;\nALTER TABLE posts ADD COLUMN search tsvector;\nCREATE INDEX idx_posts_search ON posts USING GIN (search);',
  ],
  invalid: [{ code: 'ALTER TABLE posts DROP COLUMN other;\nCREATE INDEX idx_posts_search ON posts USING GIN (search);', errors: [{ line: 2, column: 1 }], output: 'ALTER TABLE posts DROP COLUMN other;\nCREATE INDEX IF NOT EXISTS idx_posts_search ON posts USING GIN (search);' }],
});

ruleTester('sql-rename-guarded', {
  valid: [
    // Move a column aside, add it again, copy, drop the old one: every run finds the same columns.
    'alter table feeds rename column auth_pass to auth_pass_old;\nalter table feeds add column auth_pass text;\nupdate feeds set auth_pass = auth_pass_old;\nalter table feeds drop column auth_pass_old;',
    // Prisma's enum rebuild: the new type takes the old name, the old one is dropped.
    'CREATE TYPE "Status_new" AS ENUM (\'A\', \'B\');\nALTER TABLE "T" ALTER COLUMN "status" TYPE "Status_new" USING ("status"::text::"Status_new");\nALTER TYPE "Status" RENAME TO "Status_old";\nALTER TYPE "Status_new" RENAME TO "Status";\nDROP TYPE "Status_old";',
  ],
  invalid: [
    { code: 'alter table feeds rename column auth_pass to auth_pass_old;\nalter table feeds add column auth_pass text;', errors: [{ line: 1, column: 1, message: /RENAME COLUMN auth_pass TO auth_pass_old/ }] },
    { code: 'ALTER TYPE "Status" RENAME TO "Status_old";\nDROP TYPE "Status_old";', errors: [{ line: 1, column: 1, message: /RENAME type/ }] },
  ],
});

ruleTester('sql-create-type-guarded', {
  valid: ['CREATE TYPE "Status_new" AS ENUM (\'A\');\nALTER TYPE "Status" RENAME TO "Status_old";\nALTER TYPE "Status_new" RENAME TO "Status";\nDROP TYPE "Status_old";'],
  invalid: [{ code: 'CREATE TYPE "Status_new" AS ENUM (\'A\');\nALTER TYPE "Status" RENAME TO "Status_old";', errors: [{ line: 1, column: 1, message: /CREATE TYPE/ }] }],
});

ruleTester('sql-insert-without-conflict-handling', {
  valid: [
    'WITH todo AS (\n  SELECT c.id AS crate_id, k.id AS keyword_id FROM crates c JOIN keywords k ON true\n  WHERE k.id NOT IN (SELECT keyword_id FROM crates_keywords ck WHERE ck.crate_id = c.id)\n)\nINSERT INTO crates_keywords (crate_id, keyword_id) SELECT crate_id, keyword_id FROM todo;',
  ],
  invalid: [
    { code: 'WITH todo AS (\n  SELECT c.id AS crate_id, k.id AS keyword_id FROM crates c JOIN keywords k ON true\n  WHERE k.id NOT IN (SELECT id FROM banned)\n)\nINSERT INTO crates_keywords (crate_id, keyword_id) SELECT crate_id, keyword_id FROM todo;', errors: [{ line: 1, column: 1 }] },
  ],
});

ruleTester('sql-alter-column-type-using', {
  valid: [
    'ALTER TABLE crates ALTER COLUMN features TYPE jsonb USING features::jsonb;',
    'ALTER TABLE "Run" ALTER COLUMN "status" TYPE "Status_new" USING ("status"::text::"Status_new");',
    'ALTER TABLE t ALTER COLUMN n TYPE bigint;',
    'ALTER TABLE t ADD COLUMN IF NOT EXISTS c text;\nALTER TABLE t ALTER COLUMN c TYPE text[] USING string_to_array(c, \',\');',
    "DO $$\nBEGIN\n  IF (SELECT data_type FROM information_schema.columns WHERE table_name = 'd' AND column_name = 'f') = 'text' THEN\n    ALTER TABLE d ALTER COLUMN f TYPE text[] USING string_to_array(f, ',');\n  END IF;\nEND $$;",
  ],
  invalid: [
    { code: "ALTER TABLE dependencies ALTER COLUMN features TYPE text[] USING string_to_array(features, ',');", errors: [{ line: 1, column: 1, message: /ALTER COLUMN features on dependencies/ }] },
    { code: 'ALTER TABLE api_tokens ALTER COLUMN token TYPE bytea USING decode(token, \'hex\');', errors: [{ line: 1, column: 1 }] },
    { code: 'ALTER TABLE prices ALTER COLUMN amount TYPE bigint USING amount * 100;', errors: [{ line: 1, column: 1 }] },
  ],
});

ruleTester('sql-upsert-changes-on-rerun', {
  valid: [
    'MERGE INTO stock s USING incoming i ON s.sku = i.sku WHEN MATCHED THEN UPDATE SET qty = i.qty WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (i.sku, i.qty);',
    'MERGE INTO stock s USING incoming i ON s.sku = i.sku WHEN MATCHED AND s.batch <> i.batch THEN UPDATE SET qty = s.qty + i.qty, batch = i.batch;',
    'MERGE INTO stock s USING incoming i ON s.sku = i.sku WHEN MATCHED THEN DELETE;',
  ],
  invalid: [
    { code: 'MERGE INTO stock s USING incoming i ON s.sku = i.sku\nWHEN MATCHED THEN UPDATE SET qty = s.qty + i.qty\nWHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (i.sku, i.qty);', errors: [{ line: 1, column: 1, message: /MERGE … WHEN MATCHED THEN UPDATE of stock changes qty/ }] },
    { code: 'MERGE INTO settings t USING (SELECT 1 AS id) v ON t.id = v.id WHEN MATCHED THEN UPDATE SET touched_at = now();', errors: [{ line: 1, column: 1, message: /touched_at/ }] },
  ],
});

ruleTester('sql-enum-value-removed', {
  valid: [
    // Compared through text, the statement stays valid after the rebuild.
    'UPDATE "Step" SET "type" = \'DISCONNECTION\' WHERE "type"::text = \'INTERRUPTION\';\nCREATE TYPE "StepType_new" AS ENUM (\'OUTPUT\', \'DISCONNECTION\');\nALTER TABLE "Step" ALTER COLUMN "type" TYPE "StepType_new" USING ("type"::text::"StepType_new");',
    // The value survives the rebuild.
    'UPDATE "Step" SET "note" = \'x\' WHERE "type" = \'OUTPUT\';\nCREATE TYPE "StepType_new" AS ENUM (\'OUTPUT\', \'DISCONNECTION\');\nALTER TABLE "Step" ALTER COLUMN "type" TYPE "StepType_new" USING ("type"::text::"StepType_new");',
    // Another table's column.
    'UPDATE "Other" SET "type" = \'A\' WHERE "type" = \'INTERRUPTION\';\nCREATE TYPE "StepType_new" AS ENUM (\'OUTPUT\');\nALTER TABLE "Step" ALTER COLUMN "type" TYPE "StepType_new" USING ("type"::text::"StepType_new");',
  ],
  invalid: [
    {
      code: 'UPDATE "Step" SET "type" = \'DISCONNECTION\' WHERE "type" = \'INTERRUPTION\';\nBEGIN;\nCREATE TYPE "StepType_new" AS ENUM (\'OUTPUT\', \'DISCONNECTION\');\nALTER TABLE "Step" ALTER COLUMN "type" TYPE "StepType_new" USING ("type"::text::"StepType_new");\nALTER TYPE "StepType" RENAME TO "StepType_old";\nALTER TYPE "StepType_new" RENAME TO "StepType";\nDROP TYPE "StepType_old";\nCOMMIT;',
      errors: [{ line: 1, column: 1, message: /compares type with 'INTERRUPTION'/ }],
    },
    { code: 'DELETE FROM runs WHERE status IN (\'INTERRUPTED\', \'FAILED\');\nCREATE TYPE status_new AS ENUM (\'FAILED\', \'DONE\');\nALTER TABLE runs ALTER COLUMN status TYPE status_new USING (status::text::status_new);', errors: [{ line: 1, column: 1, message: /'INTERRUPTED'/ }] },
  ],
});
