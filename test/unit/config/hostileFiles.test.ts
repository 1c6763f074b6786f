import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../../src/core/config/load';
import { runCli } from '../../../src/cli/program';
import { redactDetail, withoutRowValues } from '../../../src/core/migrate/rowValues';
import { captureIo } from '../cli/captureIo';

// Nine aliases of nine aliases of …: 9^6 = 531,441 strings from a 300-byte file.
const ALIAS_BOMB = `project: demo
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
`;

suite('(unit) config: hostile files', () => {
  test('a YAML alias bomb is a problem at the first alias that repeats aliases, not an exception', () => {
    const r = parseConfig(ALIAS_BOMB, '/w/greenlight.yaml');
    assert.ok(!r.ok);
    assert.equal(r.problems.length, 1);
    assert.deepEqual([r.problems[0]!.line, r.problems[0]!.column], [4, 8]);
    assert.match(r.problems[0]!.message, /^YAML: Excessive alias count .*alias expansions/);
  });

  test('greenlight config check on an alias bomb exits 2 with file:line:column', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-bomb-'));
    try {
      writeFileSync(path.join(dir, 'greenlight.yaml'), ALIAS_BOMB);
      const io = captureIo(dir);
      assert.equal(await runCli(['config', 'check'], io), 2);
      assert.match(io.stderr[0] ?? '', /^greenlight\.yaml:4:8: YAML: Excessive alias count/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an ordinary anchor and alias still work', () => {
    const r = parseConfig('project: demo\nservices:\n  - &web { name: web, port: 8080 }\nenvironments: {}\n', '/w/greenlight.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  });

  test('a password inside database.local.url is refused at its line, pointing at passwordEnv; the password is not repeated', () => {
    const text = 'project: demo\ndatabase:\n  kind: postgres\n  local:\n    url: postgres://app:hunter2@127.0.0.1:5432/app\n';
    const r = parseConfig(text, '/w/greenlight.yaml');
    assert.ok(!r.ok);
    assert.deepEqual(r.problems.map((p) => [p.line, p.column]), [[5, 10]]);
    assert.match(r.problems[0]!.message, /^database\.local\.url: must not contain a password: .*database\.local\.passwordEnv/);
    assert.ok(!r.problems[0]!.message.includes('hunter2'));
    const ok = parseConfig(text.replace('app:hunter2@', 'app@') + '    passwordEnv: LOCAL_PG_PASSWORD\n', '/w/greenlight.yaml');
    assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.problems));
  });
});

suite('(unit) migrate: row values out of PostgreSQL error texts', () => {
  // The DETAIL texts as PostgreSQL 15 writes them (src/backend/utils/adt/ri_triggers.c, nbtree, execMain.c, jsonfuncs.c).
  const cases: [string, string | undefined, string][] = [
    ['Key (email)=(ann@example.com) already exists.', '23505', 'Key (email)=(…) already exists.'],
    ['Key (lower(email::text))=(ann (work)@example.com) already exists.', '23505', 'Key (lower(email::text))=(…) already exists.'],
    ['Key (a, b)=(1, x) is duplicated.', '23505', 'Key (a, b)=(…) is duplicated.'],
    ['Key (owner_id)=(42) is not present in table "owners".', '23503', 'Key (owner_id)=(…) is not present in table "owners".'],
    ['Key (id)=(42) is still referenced from table "people".', '23503', 'Key (id)=(…) is still referenced from table "people".'],
    ['Key (during)=([2026-01-01,2026-01-05)) conflicts with existing key (during)=([2026-01-02,2026-01-03)).', '23P01', 'Key (during)=(…) conflicts with existing key (during)=(…).'],
    ['Failing row contains (ann@example.com, 3, (1,2)).', '23514', 'Failing row contains (…).'],
    ['Token "ann@example.com" is invalid.', '22P02', 'Token "…" is invalid.'],
    ['JSON data, line 1: {"email": "ann@example.com"', '22P02', 'JSON data, line 1: …'],
    ['Partition key of the failing row contains (region) = (eu).', '23514', 'Partition key of the failing row contains (region) = (…).'],
  ];
  for (const [detail, code, want] of cases) test(`${detail} → ${want}`, () => assert.equal(redactDetail(detail, code), want));

  test('a data exception\'s message loses the quoted value; names in other messages stay', () => {
    assert.equal(withoutRowValues({ message: 'invalid input syntax for type integer: "ann@example.com"', code: '22P02' }).message, 'invalid input syntax for type integer: "…"');
    assert.equal(withoutRowValues({ message: 'value "99999999999" is out of range for type integer', code: '22003' }).message, 'value "…" is out of range for type integer');
    const dup = withoutRowValues({ message: 'duplicate key value violates unique constraint "people_email_key"', code: '23505', detail: 'Key (email)=(ann@example.com) already exists.', hint: 'h' });
    assert.deepEqual(dup, { message: 'duplicate key value violates unique constraint "people_email_key"', code: '23505', detail: 'Key (email)=(…) already exists.', hint: 'h' });
  });
});
