import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fc from 'fast-check';
import { shellJoin, shellQuote } from '../../../src/core/ship/shellQuote';

suite('(unit) ship: shellQuote', () => {
  const table: [string, string][] = [
    ['plain', 'plain'],
    ['/var/backups/greenlight', '/var/backups/greenlight'],
    ['DOCKER_HOST=unix:///x.sock', "'DOCKER_HOST=unix:///x.sock'"],
    ['', "''"],
    ['two words', "'two words'"],
    ["it's", `'it'\\''s'`],
    ['$(rm -rf /)', "'$(rm -rf /)'"],
    ['`id`', "'`id`'"],
    ['a;b', "'a;b'"],
    ['*', "'*'"],
    ['~/x', "'~/x'"],
    ['line\nbreak', "'line\nbreak'"],
  ];
  for (const [input, want] of table) {
    test(`quotes ${JSON.stringify(input)} as ${want}`, () => assert.equal(shellQuote(input), want));
  }

  test('joins argv with spaces', () => {
    assert.equal(shellJoin(['pg_dump', '-Fc', '-d', 'my db', '-f', "/b/x'y.dump"]), `pg_dump -Fc -d 'my db' -f '/b/x'\\''y.dump'`);
  });

  test('refuses NUL and empty argv', () => {
    assert.throws(() => shellQuote('a\0b'), /NUL/);
    assert.throws(() => shellJoin([]), /empty/);
  });

  test('a real POSIX shell gives every argument back byte for byte', () => {
    // printf '%s\0' prints each argument NUL-terminated, so splitting the output recovers argv exactly.
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 0, maxLength: 20 }).filter((s) => !s.includes('\0')), { minLength: 1, maxLength: 6 }), (args) => {
        const out = execFileSync('/bin/sh', ['-c', shellJoin(['printf', '%s\\0', ...args])]);
        const got = out.toString('utf8').split('\0').slice(0, -1);
        assert.deepEqual(got, args.map((a) => Buffer.from(a, 'utf8').toString('utf8')));
      }),
      { numRuns: 150 },
    );
  });
});
