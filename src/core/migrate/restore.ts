// Reading pg_dump output for an isolated copy of a production database. Plain dumps are cleaned
// of what cannot apply to a scratch database: psql's \restrict/\unrestrict lines (pg_dump 15.14
// and later), ownership and privileges of roles that do not exist here. For PGlite, which has no
// COPY FROM STDIN over psql, the dump is split into SQL chunks and COPY data blocks.
import { InputError } from '../common/errors';

export function isCustomFormatDump(head: Uint8Array): boolean {
  return head.length >= 5 && Buffer.from(head.subarray(0, 5)).toString('latin1') === 'PGDMP';
}

const DROPPED_LINE = [/^\\(restrict|unrestrict)\b/, /^ALTER [A-Z ]+ .* OWNER TO .*;$/, /^(GRANT|REVOKE) .*;$/, /^ALTER DEFAULT PRIVILEGES .*;$/];

export function cleanPlainDump(text: string): string {
  return text
    .split('\n')
    .filter((l) => !DROPPED_LINE.some((re) => re.test(l)))
    .join('\n');
}

/** Strips the lines pg_dump ≥ 15.14 adds around a dump so two dumps of one schema compare equal. */
export function stripRestrictLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\\(restrict|unrestrict)\b/.test(l))
    .join('\n');
}

export type DumpPart = { readonly kind: 'sql'; readonly text: string; readonly line: number } | { readonly kind: 'copy'; readonly statement: string; readonly data: string; readonly line: number };

/** Splits a cleaned plain dump into SQL chunks and COPY … FROM stdin blocks with their data. */
export function splitPlainDump(text: string, file: string): DumpPart[] {
  // Dropped lines are blanked, not removed, so every part keeps its line in the original file.
  const lines = text.split('\n').map((l) => (DROPPED_LINE.some((re) => re.test(l)) ? '' : l));
  const parts: DumpPart[] = [];
  let sql: string[] = [];
  let sqlLine = 1;
  const flush = (): void => {
    if (sql.some((l) => l.trim() !== '' && !l.startsWith('--'))) parts.push({ kind: 'sql', text: sql.join('\n'), line: sqlLine });
    sql = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const copy = /^(COPY .+) FROM stdin;$/.exec(line);
    if (copy) {
      flush();
      const data: string[] = [];
      let j = i + 1;
      while (j < lines.length && lines[j] !== '\\.') data.push(lines[j++]!);
      if (j >= lines.length) throw new InputError(`the COPY data block is not terminated by "\\."`, { file, line: i + 1, column: 1 });
      parts.push({ kind: 'copy', statement: copy[1]!, data: data.length ? data.join('\n') + '\n' : '', line: i + 1 });
      i = j;
      sqlLine = j + 2;
      continue;
    }
    if (/^\\/.test(line)) throw new InputError(`psql meta-command ${line.split(/\s/)[0]} is not supported in a dump loaded into PGlite`, { file, line: i + 1, column: 1 });
    if (sql.length === 0) sqlLine = i + 1;
    sql.push(line);
  }
  flush();
  return parts;
}
