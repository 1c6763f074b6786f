import * as assert from 'node:assert/strict';
import { collectSuppressions } from '../../../../src/core/lint/suppressions';
import type { Span, TextEdit } from '../../../../src/core/lint/types';
import { ignoreFileEdit, ignoreStatementEdit, statementAt } from '../../../../src/service/lint/suppressionEdits';

const apply = (text: string, e: TextEdit | undefined): string => {
  assert.ok(e, 'an edit was offered');
  return text.slice(0, e.start) + e.newText + text.slice(e.end);
};

/** Statements of ';'-separated SQL-ish text (enough for these cases). */
function statements(text: string): Span[] {
  const out: Span[] = [];
  // Comments are blanked (same length) so they are never part of a statement.
  const code = text.replace(/--[^\n]*/g, (c) => ' '.repeat(c.length));
  for (const m of code.matchAll(/[^;\s][^;]*;?/g)) out.push({ start: m.index, end: m.index + m[0].trimEnd().length });
  return out;
}

suite('(unit) lint service: ignore-comment edits', () => {
  test('statement: a directive above the statement, with its indentation', () => {
    const text = 'BEGIN;\n    CREATE TABLE t (id int);\nCOMMIT;\n';
    const at = text.indexOf('CREATE');
    assert.equal(apply(text, ignoreStatementEdit(text, '--', statements(text), at + 5, 'sql-x')), 'BEGIN;\n    -- greenlight-ignore sql-x\n    CREATE TABLE t (id int);\nCOMMIT;\n');
  });

  test('statement: Ruby and Python use #, AQL //; CRLF files stay CRLF', () => {
    const rb = 'User.create!(name: "a")\r\n';
    assert.equal(apply(rb, ignoreStatementEdit(rb, '#', [{ start: 0, end: 23 }], 3, 'seed-create')), '# greenlight-ignore seed-create\r\nUser.create!(name: "a")\r\n');
    const aql = '  FOR u IN users REMOVE u IN users';
    assert.equal(apply(aql, ignoreStatementEdit(aql, '//', [{ start: 2, end: aql.length }], 20, 'aql-remove')), '  // greenlight-ignore aql-remove\n  FOR u IN users REMOVE u IN users');
  });

  test('statement: an existing directive above gets the code appended; a code already there offers nothing', () => {
    const text = '-- greenlight-ignore sql-a\nCREATE TABLE t ();\n';
    const st = [{ start: 27, end: 45 }];
    assert.equal(apply(text, ignoreStatementEdit(text, '--', st, 30, 'sql-b')), '-- greenlight-ignore sql-a, sql-b\nCREATE TABLE t ();\n');
    assert.equal(ignoreStatementEdit(text, '--', st, 30, 'sql-a'), undefined);
  });

  test('statement: a statement sharing its line moves to its own line under the directive', () => {
    const text = 'SELECT 1; CREATE TABLE t ();\n';
    const out = apply(text, ignoreStatementEdit(text, '--', statements(text), 12, 'sql-x'));
    assert.equal(out, 'SELECT 1;\n-- greenlight-ignore sql-x\nCREATE TABLE t ();\n');
  });

  test('statement: nothing is offered outside any statement or without a comment syntax', () => {
    assert.equal(ignoreStatementEdit('  \n', '--', [], 1, 'x'), undefined);
    assert.equal(ignoreStatementEdit('a;', '', [{ start: 0, end: 2 }], 0, 'x'), undefined);
  });

  test('the innermost statement wins when statements nest', () => {
    assert.deepEqual(statementAt([{ start: 0, end: 100 }, { start: 10, end: 20 }], 15), { start: 10, end: 20 });
    assert.deepEqual(statementAt([{ start: 0, end: 100 }, { start: 10, end: 20 }], 25), { start: 0, end: 100 });
  });

  test('the inserted directive really suppresses the code (checked with the engine suppressions)', () => {
    for (const text of ['SELECT 1;\n  CREATE TABLE t ();\n', 'SELECT 1; CREATE TABLE t ();', 'CREATE TABLE t ();']) {
      const at = text.indexOf('CREATE');
      const out = apply(text, ignoreStatementEdit(text, '--', statements(text), at, 'sql-x'));
      const comments = [...out.matchAll(/--([^\n]*)/g)].map((m) => ({ start: m.index, end: m.index + m[0].length, body: m[1]! }));
      const sup = collectSuppressions(comments, statements(out));
      assert.equal(sup.isSuppressed('sql-x', out.indexOf('CREATE')), true, out);
      assert.equal(sup.isSuppressed('sql-x', out.indexOf('SELECT') < 0 ? -1 : out.indexOf('SELECT')), false, out);
    }
  });

  test('file: a directive at the top; after a shebang or a Python encoding line; appended to an existing one', () => {
    assert.equal(apply('SELECT 1;\n', ignoreFileEdit('SELECT 1;\n', '--', 'sql-x')), '-- greenlight-ignore-file sql-x\nSELECT 1;\n');
    const py = '# -*- coding: utf-8 -*-\nfrom django.db import migrations\n';
    assert.equal(apply(py, ignoreFileEdit(py, '#', 'django-x')), '# -*- coding: utf-8 -*-\n# greenlight-ignore-file django-x\nfrom django.db import migrations\n');
    const rb = '#!/usr/bin/env ruby\nUser.create!\n';
    assert.equal(apply(rb, ignoreFileEdit(rb, '#', 'seed-x')), '#!/usr/bin/env ruby\n# greenlight-ignore-file seed-x\nUser.create!\n');
    const has = '-- intro\n-- greenlight-ignore-file sql-a\nSELECT 1;\n';
    assert.equal(apply(has, ignoreFileEdit(has, '--', 'sql-b')), '-- intro\n-- greenlight-ignore-file sql-a, sql-b\nSELECT 1;\n');
    assert.equal(ignoreFileEdit(has, '--', 'sql-a'), undefined);
  });
});
