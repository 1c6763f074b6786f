import * as assert from 'node:assert/strict';
import { migrationFromText } from '../../../src/core/migrate/files';
import type { FailureEntry, LedgerEntry } from '../../../src/core/migrate/ledger';
import { checksumChangedMessage, computeStatus } from '../../../src/core/migrate/runner';
import { diffFingerprints } from '../../../src/core/migrate/fingerprint';
import { compareSchemas } from '../../../src/core/migrate/drift';
import { cleanPlainDump, isCustomFormatDump, splitPlainDump, stripRestrictLines } from '../../../src/core/migrate/restore';

const file = (name: string, text = `select '${name}';`) => migrationFromText(name, `/m/${name}`, text);
const applied = (name: string, checksum: string, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
  fileName: name,
  checksum,
  appliedAt: new Date('2025-01-20T10:00:00Z'),
  durationMs: 12,
  appliedBy: 'ann@ci',
  baseline: false,
  ...extra,
});

suite('(unit) migrate status, fingerprint diffs and dumps', () => {
  test('every state: applied, pending, out of order, checksum changed, failed, missing', () => {
    const a = file('001_a.sql');
    const b = file('002_b.sql');
    const c = file('003_c.sql');
    const d = file('004_d.sql');
    const e = file('005_e.sql');
    const failures: FailureEntry[] = [
      { fileName: '004_d.sql', checksum: d.checksum, failedAt: new Date(0), failedBy: 'x', error: 'boom', partial: false, statementIndex: 1 },
      { fileName: '005_e.sql', checksum: 'an-older-version', failedAt: new Date(0), failedBy: 'x', error: 'old', partial: false },
    ];
    const s = computeStatus([a, b, c, d, e], [applied('001_a.sql', a.checksum), applied('003_c.sql', 'edited', { imageVersion: 'v1' }), applied('000_gone.sql', 'x')], failures);
    assert.deepEqual(
      s.map((x) => [x.fileName, x.state, x.outOfOrder ?? false]),
      [
        ['000_gone.sql', 'missing', false],
        ['001_a.sql', 'applied', false],
        ['002_b.sql', 'pending', true],
        ['003_c.sql', 'checksum-changed', false],
        ['004_d.sql', 'failed', false],
        ['005_e.sql', 'pending', false],
      ],
    );
    assert.equal(s[4]!.failure?.statementIndex, 1);
    assert.equal(s[1]!.appliedAt, '2025-01-20T10:00:00.000Z');
    assert.match(checksumChangedMessage([s[3]!]), /003_c\.sql: applied with sha256 edited…, the file now has [0-9a-f]{12}…/);
  });

  test('fingerprint differences name the object and the change', () => {
    const before = { objects: new Map([['table public.t', ''], ['column public.t.a', 'integer']]), data: new Map([['public.t', { rows: 2, hash: '1' }]]) };
    const after = { objects: new Map([['table public.t', ''], ['column public.t.a', 'bigint'], ['index public.t_a', 'CREATE INDEX t_a ON public.t USING btree (a)']]), data: new Map([['public.t', { rows: 2, hash: '9' }]]) };
    assert.deepEqual(diffFingerprints(before, after).map((d) => d.text), [
      'column public.t.a changed: integer → bigint',
      'index public.t_a was added: CREATE INDEX t_a ON public.t USING btree (a)',
      'rows of table public.t changed (2 rows, same count, different content)',
    ]);
    assert.deepEqual(diffFingerprints(before, before), []);
    assert.deepEqual(compareSchemas(new Map([['x', '1'], ['y', '2']]), new Map([['y', '3'], ['z', '']])).map((d) => d.kind), ['missing', 'differs', 'extra']);
  });

  test('plain dumps: \\restrict lines, owners and grants are dropped; COPY blocks are split out', () => {
    const dump = ['\\restrict abc', 'SET x = 1;', 'ALTER TABLE public.t OWNER TO prod;', 'GRANT SELECT ON public.t TO reader;', 'COPY public.t (a, b) FROM stdin;', '1\tx', '2\t\\N', '\\.', 'SELECT 1;', '\\unrestrict abc', ''].join('\n');
    assert.equal(stripRestrictLines(dump).includes('restrict'), false);
    assert.equal(cleanPlainDump(dump).includes('OWNER TO'), false);
    const parts = splitPlainDump(dump, 'd.sql');
    assert.deepEqual(parts.map((p) => p.kind), ['sql', 'copy', 'sql']);
    assert.deepEqual(parts[1], { kind: 'copy', statement: 'COPY public.t (a, b)', data: '1\tx\n2\t\\N\n', line: 5 });
    assert.throws(() => splitPlainDump('COPY public.t (a) FROM stdin;\n1\n', 'd.sql'), /d\.sql:1:1: the COPY data block is not terminated/);
    assert.equal(isCustomFormatDump(Buffer.from('PGDMP\x01')), true);
    assert.equal(isCustomFormatDump(Buffer.from('--\n')), false);
  });
});
