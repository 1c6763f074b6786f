// UPDATEs inside a PL/pgSQL loop over rows whose filter an UPDATE of the same row makes false:
// a second run no longer visits those rows.
import { ruleTester } from '../ruleTester';

const loop = (body: string, query = "SELECT * FROM jobs WHERE state = 'running'"): string =>
  `DO $$\nDECLARE r RECORD;\nBEGIN\n  FOR r IN ${query} LOOP\n${body}\n  END LOOP;\nEND $$;`;

const MARK_THEN_COUNT = loop("    IF r.total > 0 THEN\n      UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.id;\n      UPDATE jobs SET finished_at = now() WHERE id = r.id;\n    END IF;");
const COUNT_THEN_MARK = loop("    UPDATE jobs SET attempts = attempts + 1 WHERE jobs.id = r.id;\n    UPDATE jobs SET state = 'done' WHERE r.id = id;");
const EXIT_BEFORE_MARK = loop("    UPDATE jobs SET attempts = attempts + 1 WHERE id = r.id;\n    EXIT WHEN r.total > 9;\n    UPDATE jobs SET state = 'done' WHERE id = r.id;");
const OTHER_ROW = loop("    UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.parent_id;");
const LIMITED = loop("    UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.id;", "SELECT * FROM jobs WHERE state = 'running' LIMIT 10");
const REOPENS = loop("    UPDATE jobs SET state = 'done' WHERE id = r.id;\n    UPDATE jobs SET attempts = attempts + 1, state = 'running' WHERE id = r.id;");
const NOT_EXCLUDED = loop("    UPDATE jobs SET state = 'running', attempts = attempts + 1 WHERE id = r.id;");
const VARIABLE_FILTER = "DO $$\nDECLARE r RECORD; wanted text := 'running';\nBEGIN\n  FOR r IN SELECT * FROM jobs WHERE state = wanted LOOP\n    UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.id;\n  END LOOP;\nEND $$;";
const RENAMED = loop("    UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.id;", "SELECT parent_id AS id FROM jobs WHERE state = 'running'");
const LISTED = loop("    UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.id;", "SELECT id, total FROM jobs WHERE state = 'running'");
const INSERTS = loop("    UPDATE jobs SET state = 'done', attempts = attempts + 1 WHERE id = r.id;\n    INSERT INTO jobs (state) VALUES ('running');");

const lineOf = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;

ruleTester('sql-update-changes-on-rerun', {
  valid: [MARK_THEN_COUNT, COUNT_THEN_MARK, LISTED],
  invalid: [
    // After an EXIT the marker may not have run: the UPDATE before it can repeat.
    { code: EXIT_BEFORE_MARK, errors: [{ line: lineOf(EXIT_BEFORE_MARK, 'UPDATE jobs SET attempts'), column: 5 }] },
    { code: OTHER_ROW, errors: [{ line: 5, column: 5 }] },
    { code: LIMITED, errors: [{ line: 5, column: 5 }] },
    { code: REOPENS, errors: [{ line: 6, column: 5 }] },
    { code: NOT_EXCLUDED, errors: [{ line: 5, column: 5 }] },
    { code: VARIABLE_FILTER, errors: [{ line: 5, column: 5 }] },
    { code: INSERTS, errors: [{ line: 5, column: 5 }] },
    // r.id holds another column's value: the UPDATE does not touch the visited row.
    { code: RENAMED, errors: [{ line: 5, column: 5 }] },
  ],
});
