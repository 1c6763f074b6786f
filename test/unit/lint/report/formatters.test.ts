import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ruleDocsUri, installedRuleDocsDir } from '../../../../src/core/lint/report/docs';
import { buildJsonReport } from '../../../../src/core/lint/report/json';
import type { LintReport } from '../../../../src/core/lint/report/model';
import { buildSarif, SARIF_SCHEMA } from '../../../../src/core/lint/report/sarif';
import { formatText, sourceExcerpt, summaryLine } from '../../../../src/core/lint/report/text';
import type { LintResult } from '../../../../src/core/lint/types';
import { toyLinter } from './toyLanguage';

const cwd = path.resolve('/project');
const DOCS = '/opt/greenlight/docs/rules';

async function reportOf(files: Record<string, string>): Promise<LintReport> {
  const linter = toyLinter();
  const results: LintResult[] = [];
  const texts = new Map<string, string>();
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(cwd, rel);
    results.push(await linter.lint(file, text));
    texts.set(file, text);
  }
  return { results, texts, rules: linter.rules.map((r) => r.meta), cwd, docsUri: (c) => ruleDocsUri(c, DOCS), toolVersion: '9.9.9' };
}

const BAD = 'SELECT 1;\n  CREATE TABLE users (id int);\nTRUNCATE users;\n';

suite('(unit) lint report: text', () => {
  test('prints file:line:col, severity, code, message, a caret line under the source, help and fix', async () => {
    const text = formatText(await reportOf({ 'migrations/001_bad.sql': BAD }));
    assert.equal(
      text,
      [
        'migrations/001_bad.sql:2:3: warning toy-create-table: CREATE TABLE fails when the table already exists',
        ' 2 |   CREATE TABLE users (id int);',
        '   |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
        '     = help: Write CREATE TABLE IF NOT EXISTS.',
        '     = fix: Add IF NOT EXISTS',
        '',
        'migrations/001_bad.sql:3:1: error toy-truncate: TRUNCATE deletes every row of the table',
        ' 3 | TRUNCATE users;',
        '   | ^^^^^^^^',
        '     = help: Delete only the rows the migration owns.',
        '',
        '2 problems (1 error, 1 warning) in 1 of 1 file.',
      ].join('\n'),
    );
  });

  test('a clean run says how many files were checked', async () => {
    const r = await reportOf({ 'a.sql': 'CREATE TABLE IF NOT EXISTS t (id int);', 'b.sql': 'SELECT 1;' });
    assert.equal(formatText(r), 'No problems in 2 files.');
  });

  test('the caret line keeps tabs so carets line up, and a zero-width range still gets one caret', () => {
    const lines = sourceExcerpt('\tx = 1\n', { startPos: { line: 1, column: 2 }, endPos: { line: 1, column: 2 } });
    assert.deepEqual(lines, [' 1 | \tx = 1', '   | \t^']);
  });

  test('a range over several lines is underlined to the end of its first line', () => {
    const lines = sourceExcerpt('ab\ncdef\ngh', { startPos: { line: 2, column: 2 }, endPos: { line: 3, column: 1 } });
    assert.deepEqual(lines, [' 2 | cdef', '   |  ^^^']);
  });

  test('very long lines are shown as a window around the finding', () => {
    const long = 'x'.repeat(500) + 'BAD' + 'y'.repeat(500);
    const [src, carets] = sourceExcerpt(long, { startPos: { line: 1, column: 501 }, endPos: { line: 1, column: 504 } });
    assert.ok(src!.length < 200, `window is short: ${src!.length}`);
    const at = carets!.indexOf('^');
    assert.equal(src!.slice(at, at + 3), 'BAD');
    assert.equal(carets!.slice(at), '^^^');
  });

  test('summary counts info findings separately', async () => {
    const r = await reportOf({ 'a.sql': 'SELECT * FROM t;' });
    assert.equal(summaryLine(r), '1 problem (0 errors, 0 warnings, 1 info) in 1 of 1 file.');
  });
});

suite('(unit) lint report: json', () => {
  test('has stable fields, 1-based positions, offsets, docs links and fixes', async () => {
    const j = buildJsonReport(await reportOf({ 'm/001.sql': BAD, 'm/002.sql': 'SELECT 1;' }));
    assert.equal(j.version, 1);
    assert.deepEqual(j.tool, { name: 'greenlight', version: '9.9.9' });
    assert.deepEqual(j.summary, { files: 2, errors: 1, warnings: 1, infos: 0 });
    assert.deepEqual(j.files.map((f) => [f.path, f.language, f.findings.length]), [['m/001.sql', 'sql', 2], ['m/002.sql', 'sql', 0]]);
    const f = j.files[0]!.findings[0]!;
    assert.deepEqual(
      { code: f.code, severity: f.severity, line: f.line, column: f.column, endLine: f.endLine, endColumn: f.endColumn, offset: f.offset, endOffset: f.endOffset, tags: f.tags },
      { code: 'toy-create-table', severity: 'warning', line: 2, column: 3, endLine: 2, endColumn: 31, offset: 12, endOffset: 40, tags: ['idempotency'] },
    );
    assert.equal(f.docs, 'file:///opt/greenlight/docs/rules/toy-create-table.md');
    assert.deepEqual(f.fix, { title: 'Add IF NOT EXISTS', edits: [{ offset: 25, endOffset: 25, newText: 'IF NOT EXISTS ' }] });
    assert.equal(BAD.slice(25, 30), 'users');
  });
});

suite('(unit) lint report: sarif 2.1.0', () => {
  test('has the 2.1.0 shape: version, $schema, one run with the tool driver and results', async () => {
    const s = buildSarif(await reportOf({ 'migrations/001 bad.sql': BAD }));
    assert.equal(s.version, '2.1.0');
    assert.equal(s.$schema, SARIF_SCHEMA);
    assert.equal(s.runs.length, 1);
    const run = s.runs[0]!;
    assert.equal(run.tool.driver.name, 'greenlight');
    assert.equal(run.tool.driver.version, '9.9.9');
    assert.equal(run.columnKind, 'utf16CodeUnits');
    assert.equal(run.originalUriBaseIds['%SRCROOT%']!.uri, 'file:///project/');
  });

  test('lists every rule (even those without results) with helpUri and properties.tags, plus the engine codes', async () => {
    const s = buildSarif(await reportOf({ 'a.sql': 'SELECT 1;' }));
    const rules = s.runs[0]!.tool.driver.rules;
    assert.deepEqual(rules.map((r) => r.id), ['toy-create-table', 'toy-truncate', 'toy-select-star', 'parse-error', 'internal-error', 'not-linted']);
    const ct = rules[0]!;
    assert.deepEqual(ct.properties.tags, ['idempotency']);
    assert.equal(ct.helpUri, 'file:///opt/greenlight/docs/rules/toy-create-table.md');
    assert.equal(ct.name, 'ToyCreateTable');
    assert.equal(ct.shortDescription.text, 'CREATE TABLE without IF NOT EXISTS fails when the migration runs again.');
    assert.equal(ct.help.text, 'Write CREATE TABLE IF NOT EXISTS.');
    assert.deepEqual(ct.defaultConfiguration, { level: 'warning' });
    assert.deepEqual(rules[2]!.defaultConfiguration, { level: 'note' });
    assert.equal(s.runs[0]!.results.length, 0);
  });

  test('results carry ruleId, ruleIndex, level, message and a physical location with a region', async () => {
    const s = buildSarif(await reportOf({ 'migrations/001 bad.sql': BAD }));
    const run = s.runs[0]!;
    assert.equal(run.results.length, 2);
    const [create, trunc] = run.results;
    assert.equal(create!.ruleId, 'toy-create-table');
    assert.equal(run.tool.driver.rules[create!.ruleIndex]!.id, 'toy-create-table');
    assert.equal(create!.level, 'warning');
    assert.equal(trunc!.level, 'error');
    assert.match(create!.message.text, /^CREATE TABLE fails when the table already exists/);
    const loc = create!.locations[0]!.physicalLocation;
    assert.deepEqual(loc.artifactLocation, { uri: 'migrations/001%20bad.sql', uriBaseId: '%SRCROOT%' });
    assert.deepEqual(loc.region, { startLine: 2, startColumn: 3, endLine: 2, endColumn: 31, charOffset: 12, charLength: 28 });
    assert.equal(create!.fixes?.length, 1);
    assert.equal(trunc!.fixes, undefined);
  });

  test('a parse error is a result of the parse-error rule at the right place', async () => {
    const s = buildSarif(await reportOf({ 'x.sql': 'SELECT 1;\nSELECT @@;' }));
    const r = s.runs[0]!.results[0]!;
    assert.equal(r.ruleId, 'parse-error');
    assert.equal(s.runs[0]!.tool.driver.rules[r.ruleIndex]!.id, 'parse-error');
    assert.deepEqual(r.locations[0]!.physicalLocation.region, { startLine: 2, startColumn: 8, endLine: 2, endColumn: 10, charOffset: 17, charLength: 2 });
  });

  test('a file outside the working directory gets an absolute file URI', async () => {
    const r = await reportOf({ '../elsewhere/x.sql': 'TRUNCATE t;' });
    const loc = buildSarif(r).runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation;
    assert.deepEqual(loc, { uri: 'file:///elsewhere/x.sql' });
  });
});

suite('(unit) lint report: docs links', () => {
  test('the installed docs folder is docs/rules of the greenlight package', () => {
    assert.equal(installedRuleDocsDir(), path.resolve(__dirname, '../../../../docs/rules'));
  });
});
