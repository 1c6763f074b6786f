// PostgreSQL puts the values of the offending row into some error texts: a unique violation's
// DETAIL is `Key (email)=(ann@example.com) already exists.`, a check or not-null violation's is
// `Failing row contains (…)`, a failed cast names the value it could not read. A migration that
// fails on production data would copy those values into the audit log and the failure ledger,
// which outlive the incident and are read by more people than the data. This keeps what makes
// the message useful (columns, constraint, table, type) and replaces the values with "…".
import type { PgErrorInfo } from './session';

const ELIDED = '…';

/** Parenthesised column lists may themselves contain parentheses (expression indexes). */
const COLUMNS = String.raw`\((?:[^()]|\([^()]*\))*\)`;

const KEY_VALUES = new RegExp(
  String.raw`(\b[Kk]ey ${COLUMNS}=\()[\s\S]*?(\) (?:already exists|is not present in table|is still referenced from table|conflicts with existing key|is duplicated))`,
  'g',
);
const EXISTING_KEY = new RegExp(String.raw`(conflicts with existing key ${COLUMNS}=\()[\s\S]*(\)\.?)$`);
const FAILING_ROW = /(Failing row contains \()[\s\S]*(\)\.?)$/;
const PARTITION_KEY = new RegExp(String.raw`(failing row contains ${COLUMNS} = \()[\s\S]*(\)\.?)$`);
const JSON_DATA = /(JSON data, line \d+: )[\s\S]*$/;
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/** A DETAIL text with the row's values replaced. */
export function redactDetail(detail: string, code?: string): string {
  let d = detail.replace(KEY_VALUES, `$1${ELIDED}$2`).replace(EXISTING_KEY, `$1${ELIDED}$2`).replace(FAILING_ROW, `$1${ELIDED}$2`).replace(PARTITION_KEY, `$1${ELIDED}$2`).replace(JSON_DATA, `$1${ELIDED}`);
  // Data exceptions (class 22) quote the value they could not read: `Token "x" is invalid.`
  if (code?.startsWith('22')) d = d.replace(QUOTED, `"${ELIDED}"`);
  return d;
}

/** The error with row values taken out of its message and detail; the SQLSTATE, hint and position stay. */
export function withoutRowValues(e: PgErrorInfo): PgErrorInfo {
  // A data exception's message names the value too: `invalid input syntax for type integer: "abc"`,
  // `value "99999999999" is out of range for type integer`. Names of objects are not quoted there.
  const message = e.code?.startsWith('22') ? e.message.replace(QUOTED, `"${ELIDED}"`) : e.message;
  return { ...e, message, detail: e.detail === undefined ? undefined : redactDetail(e.detail, e.code) };
}
