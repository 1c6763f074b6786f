import { ruleTester } from '../ruleTester';

ruleTester('sql-insert-without-conflict-handling', {
  valid: [
    "INSERT INTO users (email) VALUES ('a') ON CONFLICT DO NOTHING;",
    "INSERT INTO s (k, v) SELECT 'a', 'b' WHERE NOT EXISTS (SELECT 1 FROM s WHERE k = 'a');",
    "INSERT INTO c (code) SELECT x FROM unnest(ARRAY['a']) x WHERE x NOT IN (SELECT code FROM c);",
    "INSERT INTO c (code) SELECT v FROM (VALUES ('a')) AS t (v) EXCEPT SELECT code FROM c;",
    "INSERT INTO r (name) SELECT v.n FROM (VALUES ('a')) v (n) LEFT JOIN r ON r.name = v.n WHERE r.name IS NULL;",
    "TRUNCATE zones; INSERT INTO zones VALUES ('eu');",
    "DELETE FROM settings WHERE key = 'a'; INSERT INTO settings VALUES ('a', 'b');",
    "DROP TABLE IF EXISTS h; CREATE TABLE h (d date); INSERT INTO h VALUES ('2025-01-01');",
    "DO $$ BEGIN INSERT INTO u VALUES (1); EXCEPTION WHEN unique_violation THEN NULL; END $$;",
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM u WHERE id = 1) THEN INSERT INTO u VALUES (1); END IF; END $$;",
  ],
  invalid: [
    { code: "INSERT INTO users (email) VALUES ('a@example.com');", errors: [{ line: 1, column: 1, endLine: 1, endColumn: 51 }], output: "INSERT INTO users (email) VALUES ('a@example.com') ON CONFLICT DO NOTHING;" },
    { code: 'INSERT INTO t (a) VALUES (1) RETURNING id;', errors: [{ line: 1, column: 1 }], output: 'INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING RETURNING id;' },
    { code: 'INSERT INTO snap SELECT * FROM items;', errors: [{ line: 1, column: 1 }] },
    { code: 'INSERT INTO beats DEFAULT VALUES;', errors: [{ line: 1, column: 1 }] },
    { code: "-- ON CONFLICT DO NOTHING\nINSERT INTO t VALUES ('ON CONFLICT DO NOTHING');", errors: [{ line: 2, column: 1 }] },
  ],
});

ruleTester('sql-upsert-changes-on-rerun', {
  valid: [
    'INSERT INTO t (k, v) VALUES (1, 2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v;',
    'INSERT INTO t (k, v) VALUES (1, 2) ON CONFLICT (k) DO UPDATE SET v = greatest(t.v, EXCLUDED.v);',
    'INSERT INTO t (k, v) VALUES (1, 2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, at = now() WHERE t.v IS DISTINCT FROM EXCLUDED.v;',
  ],
  invalid: [
    { code: 'INSERT INTO t (k, n) VALUES (1, 1)\nON CONFLICT (k) DO UPDATE SET n = t.n + EXCLUDED.n;', errors: [{ line: 1, column: 1, endLine: 2, endColumn: 51, message: /changes n again.*own current value/ }] },
    { code: 'INSERT INTO t (k) VALUES (1) ON CONFLICT (k) DO UPDATE SET at = now();', errors: [{ line: 1, column: 1, message: /new time/ }] },
  ],
});

ruleTester('sql-update-changes-on-rerun', {
  valid: [
    "UPDATE users SET status = 'active' WHERE status = 'pending';",
    "UPDATE people SET display = first || ' ' || last;",
    'UPDATE users SET email = lower(trim(email));',
    'UPDATE items SET price = coalesce(price, 0);',
    'UPDATE items SET cents = round(price * 100), migrated = true WHERE migrated IS NOT TRUE;',
    'UPDATE items SET cents = round(price * 100), migrated = true WHERE NOT migrated;',
    "UPDATE p SET w = w * 1000, unit = 'g' WHERE unit = 'kg';",
    'UPDATE p SET v = v + 1, version = 2 WHERE version < 2;',
    'UPDATE users SET confirmed_at = now() WHERE confirmed_at IS NULL;',
    'UPDATE users SET n = (SELECT count(*) FROM items WHERE items.user_id = users.id);',
    "UPDATE accounts SET balance = balance + 10 WHERE NOT EXISTS (SELECT 1 FROM data_migrations WHERE name = 'bonus'); INSERT INTO data_migrations VALUES ('bonus');",
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns WHERE column_name = 'price') THEN UPDATE items SET cents = price * 100; END IF; END $$;",
    // The new value surely matches the pattern, so NOT LIKE skips the rows already migrated.
    "UPDATE notes SET body = body || ' [archived]' WHERE body NOT LIKE '%[archived]%';",
    "UPDATE jobs SET params = json_build_object('job_id', params::int)::text WHERE kind = 'sync' AND params NOT LIKE '%job_id%';",
    "UPDATE jobs SET params = jsonb_build_object('job_id', params, 'v', 2)::varchar WHERE params NOT LIKE '%\"job_id\"%';",
    "UPDATE users SET handle = concat('legacy_', handle, '') WHERE handle NOT LIKE 'legacy\\_%';",
    "UPDATE tags SET name = 'Old: ' || name WHERE name NOT ILIKE 'old:%';",
    "UPDATE tags SET name = (name || '-v2')::text WHERE name NOT LIKE '%-v_%';",
    "UPDATE s SET code = code || '-x', state = 'done' WHERE state LIKE 'pend%';",
  ],
  invalid: [
    { code: 'UPDATE items SET stock = stock + 5;', errors: [{ line: 1, column: 1, endLine: 1, endColumn: 35, message: /own current value/ }] },
    { code: "UPDATE items SET updated_at = now() WHERE sku = 'a';", errors: [{ line: 1, column: 1, message: /new time/ }] },
    { code: "UPDATE items SET tags = tags || ARRAY['sale'];", errors: [{ line: 1, column: 1 }] },
    { code: 'UPDATE p SET a = b, b = a;', errors: [{ line: 1, column: 1, message: /reads b/ }] },
    { code: 'UPDATE items SET active = NOT active;', errors: [{ line: 1, column: 1 }] },
    { code: 'UPDATE items SET price = price * 100 WHERE price IS NOT NULL;', errors: [{ line: 1, column: 1 }] },
    { code: 'UPDATE users SET token = md5(random()::text);', errors: [{ line: 1, column: 1 }] },
    { code: 'UPDATE c SET n = n + 1 WHERE n < 10;', errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE users AS u SET name = u.name || '!' WHERE u.id = 1;", errors: [{ line: 1, column: 1 }] },
    // LIKE filters that the new value does not provably defeat keep the finding.
    { code: "UPDATE notes SET body = body || ' [archived]' WHERE body NOT LIKE '%[old]%';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE notes SET body = body || 'x' WHERE body NOT LIKE 'x%';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE jobs SET params = json_build_object('job_id', params::int)::text WHERE params::text NOT LIKE '%job_id%';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE jobs SET params = json_build_object('job\"id', params::int)::text WHERE params NOT LIKE '%job\"id%';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE c SET n = n + 1 WHERE label NOT LIKE '%x%';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE s SET code = code || '-x', state = 'pending' WHERE state LIKE 'pend%';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE s SET code = code || '-x' WHERE code LIKE '%-x';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE t SET v = w || v WHERE v NOT LIKE '%x%';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE t SET v = v || 'Ä' WHERE v NOT ILIKE '%ä';", errors: [{ line: 1, column: 1 }] },
    // A char(n) column pads the value with spaces, which LIKE sees: a suffix or an exact value proves nothing then.
    { code: "UPDATE notes SET body = body || ' [archived]' WHERE body NOT LIKE '%[archived]';", errors: [{ line: 1, column: 1 }] },
    { code: "UPDATE s SET code = code || '-x', state = 'done' WHERE state LIKE 'done_';", errors: [{ line: 1, column: 1 }] },
  ],
});

ruleTester('sql-delete-changes-on-rerun', {
  valid: [
    "DELETE FROM users WHERE status = 'deleted';",
    'DELETE FROM s WHERE id NOT IN (SELECT min(id) FROM s GROUP BY email);',
    'DELETE FROM s a USING s b WHERE a.email = b.email AND a.id > b.id;',
    'DELETE FROM t;',
    "DELETE FROM sessions WHERE created_at < now() - interval '30 days';",
  ],
  invalid: [
    { code: 'DELETE FROM jobs WHERE id IN (SELECT id FROM jobs ORDER BY at LIMIT 5);', errors: [{ line: 1, column: 1, endLine: 1, endColumn: 71 }] },
    { code: 'DELETE FROM n WHERE id = (SELECT max(id) FROM n);', errors: [{ line: 1, column: 1 }] },
    { code: 'DELETE FROM n WHERE random() < 0.1;', errors: [{ line: 1, column: 1, message: /random/ }] },
  ],
});

ruleTester('sql-conflict-key-rewritten', {
  valid: [
    "INSERT INTO users (email) VALUES (lower('A@x.io')) ON CONFLICT (email) DO NOTHING;\nUPDATE users SET name = 'x';",
    "UPDATE users SET email = lower(email);\nINSERT INTO users (email) VALUES ('a@x.io') ON CONFLICT (email) DO NOTHING;",
  ],
  invalid: [
    { code: "INSERT INTO users (email) VALUES ('Mixed@Example.com') ON CONFLICT (email) DO NOTHING;\nUPDATE users SET email = lower(trim(email));", errors: [{ line: 2, column: 1, endLine: 2, endColumn: 44, message: /rewrites email.*line 1/ }] },
  ],
});
