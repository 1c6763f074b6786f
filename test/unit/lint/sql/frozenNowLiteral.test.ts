import { ruleTester } from '../ruleTester';

const col = (text: string, needle: string): number => text.indexOf(needle) + 1;

const VIEW = "CREATE OR REPLACE VIEW recent AS SELECT * FROM posts WHERE published > 'now'::timestamp - '1 month'::interval;";
const CAST_VIEW = "DROP VIEW IF EXISTS days;\nCREATE VIEW days AS SELECT CAST('today' AS date) AS day;";
const DEFAULT = "CREATE TABLE events (id int, at timestamptz DEFAULT 'now');";

ruleTester('sql-frozen-now-literal', {
  valid: [
    "CREATE OR REPLACE VIEW recent AS SELECT * FROM posts WHERE published > now() - interval '1 month';",
    "CREATE OR REPLACE VIEW words AS SELECT 'now'::text AS word, 'epoch'::timestamp AS origin, 'now'::text::timestamp AS read_when_used;",
    // Not stored again by a second run: IF NOT EXISTS keeps the first run's definition.
    "CREATE TABLE IF NOT EXISTS t (at timestamp DEFAULT 'now');",
    "ALTER TABLE t ADD COLUMN IF NOT EXISTS d date DEFAULT 'today';",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT 'now'::timestamp AS at;",
    // Read when the statement runs, like now().
    "INSERT INTO log (at) VALUES ('now'::timestamptz);",
    "UPDATE t SET seen = 'today'::date WHERE seen IS NULL;",
    "CREATE TABLE notes (body text DEFAULT 'now');",
    // Two constants on one line are not joined (and are not valid here): nothing to find.
    "CREATE TABLE plain (id int, at timestamptz DEFAULT now(), note text DEFAULT 'n');",
  ],
  invalid: [
    { code: VIEW, errors: [{ line: 1, column: col(VIEW, "'now'"), endLine: 1, endColumn: col(VIEW, "'now'") + 5, message: /'now'::timestamp in a view is fixed.*LOCALTIMESTAMP/ }] },
    { code: CAST_VIEW, errors: [{ line: 2, column: col(CAST_VIEW.split('\n')[1]!, "'today'"), message: /'today'::date in a view.*write CURRENT_DATE to/ }] },
    { code: DEFAULT, errors: [{ line: 1, column: col(DEFAULT, "'now'"), message: /'now'::timestamptz in a column default.*now\(\)/ }] },
    { code: "ALTER TABLE t ALTER COLUMN due SET DEFAULT 'tomorrow'::date;", errors: [{ line: 1, column: 44, message: /CURRENT_DATE \+ 1/ }] },
    { code: "ALTER TABLE t ADD COLUMN d timestamp DEFAULT 'today';", errors: [{ line: 1, column: 46, message: /\(CURRENT_DATE\)::timestamp/ }] },
    // The word need not be spelled out in the text: escapes and constants joined across a newline
    // spell it too (the rule reads the text first and must not skip these).
    { code: "CREATE VIEW v AS SELECT E'\\x6eow'::timestamp AS at;", errors: [{ line: 1, column: 1, message: /'now'::timestamp in a view/ }] },
    { code: "CREATE VIEW v AS SELECT U&'\\0074oday'::date AS d;", errors: [{ line: 1, column: 1, message: /'today'::date in a view/ }] },
    { code: "CREATE VIEW v AS SELECT 'no'\n  'w'::timestamptz AS at;", errors: [{ line: 1, column: 25, message: /'now'::timestamptz in a view/ }] },
    // SQL run by EXECUTE has no text of its own in the file: its tree is walked.
    { code: "DO 'BEGIN EXECUTE ''CREATE TABLE events (at timestamptz DEFAULT ''''now'''')''; END';", errors: [{ line: 1, column: 1, message: /'now'::timestamptz in a column default/ }] },
    { code: "CREATE MATERIALIZED VIEW mv AS SELECT 'yesterday'::timestamptz AS at;", errors: [{ line: 1, column: 39, message: /materialized view.*\(CURRENT_DATE - 1\)::timestamptz/ }] },
  ],
});
