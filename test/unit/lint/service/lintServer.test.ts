import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Diagnostic, TextDocumentEdit, TextEdit } from 'vscode-languageserver/node';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { toyLinter } from '../report/toyLanguage';
import { startSession, uriOf, type Session } from './harness';

const CONFIG = 'project: p\nservices: []\ndatabase:\n  kind: postgres\n  migrations: db/m\n  seeds: []\nenvironments: {}\n';
const BAD = 'SELECT 1;\n  CREATE TABLE users (id int);\n';

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-lint-lsp-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const codes = (ds: Diagnostic[] | undefined): string[] => (ds ?? []).map((d) => String(d.code));

suite('(unit) lint service: language server diagnostics and quick fixes', () => {
  let root: string;
  let docs: string;
  let s: Session;

  setup(async () => {
    root = workspace({ 'greenlight.yaml': CONFIG, 'db/m/001.sql': BAD, 'db/m/002.sql': 'SELECT 1;\n', 'elsewhere/x.sql': 'CREATE TABLE t (id int);\n' });
    docs = workspace({ 'toy-create-table.md': '# toy-create-table\n' });
  });
  teardown(() => {
    s?.dispose();
    rmSync(root, { recursive: true, force: true });
    rmSync(docs, { recursive: true, force: true });
  });

  test('at start, files under database.migrations are linted from disk; others are not', async () => {
    s = await startSession(root, toyLinter, docs);
    const ds = await s.next(path.join(root, 'db/m/001.sql'), (d) => d.length > 0);
    assert.equal(ds.length, 1);
    const d = ds[0]!;
    assert.equal(d.code, 'toy-create-table');
    assert.equal(d.source, 'greenlight');
    assert.equal(d.severity, 2);
    assert.deepEqual(d.range, { start: { line: 1, character: 2 }, end: { line: 1, character: 30 } });
    assert.equal(d.codeDescription?.href, uriOf(path.join(docs, 'toy-create-table.md')));
    assert.equal(d.message, 'CREATE TABLE fails when the table already exists\nWrite CREATE TABLE IF NOT EXISTS.');
    assert.deepEqual((d.data as { tags: string[] }).tags, ['idempotency']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.latest(path.join(root, 'elsewhere/x.sql')), undefined);
    // The watchers follow the lint paths.
    const watch = s.registrations.find((r) => r.method === 'workspace/didChangeWatchedFiles');
    assert.ok(JSON.stringify(watch?.registerOptions).includes('{db/m,db/m/**}'));
  });

  test('a rule without a docs page gets no link', async () => {
    s = await startSession(root, toyLinter, docs);
    s.open(path.join(root, 'db/m/003.sql'), 'TRUNCATE t;\n');
    const [d] = await s.next(path.join(root, 'db/m/003.sql'));
    assert.equal(d!.code, 'toy-truncate');
    assert.equal(d!.codeDescription, undefined);
  });

  test('an open file is linted as it changes, after the quiet time, with its version', async () => {
    s = await startSession(root, toyLinter, docs);
    const file = path.join(root, 'db/m/002.sql');
    s.open(file, 'SELECT 1;\n');
    assert.deepEqual(await s.next(file), []);
    const t0 = Date.now();
    s.change(file, 'SELECT 1;\nCREATE TAB', 2);
    s.change(file, 'SELECT 1;\nCREATE TABLE a (id int);', 3);
    const ds = await s.next(file, (d) => d.length > 0);
    assert.ok(Date.now() - t0 >= 140, `waited for the quiet time (${Date.now() - t0} ms)`);
    assert.deepEqual(codes(ds), ['toy-create-table']);
    const last = s.published.filter((p) => p.uri === uriOf(file)).at(-1)!;
    assert.equal(last.version, 3);
    // Only the last of the two quick edits was linted.
    assert.equal(s.published.filter((p) => p.uri === uriOf(file) && p.version === 2).length, 0);
  });

  test('files outside the lint paths are not linted even when open', async () => {
    s = await startSession(root, toyLinter, docs);
    const file = path.join(root, 'elsewhere/x.sql');
    s.open(file, 'CREATE TABLE t (id int);\n');
    s.open(path.join(root, 'db/m/002.sql'), 'TRUNCATE t;');
    await s.next(path.join(root, 'db/m/002.sql'), (d) => d.length > 0);
    assert.equal(s.latest(file), undefined);
  });

  test('settings: severity overrides, rules off, extra paths and enable apply live', async () => {
    s = await startSession(root, toyLinter, docs, { rules: { 'toy-create-table': 'error' } });
    const f1 = path.join(root, 'db/m/001.sql');
    const ds = await s.next(f1, (d) => d.length > 0);
    assert.equal(ds[0]!.severity, 1);
    assert.ok(s.registrations.some((r) => r.method === 'workspace/didChangeConfiguration'));

    s.settings = { rules: { 'toy-create-table': 'off' }, paths: ['elsewhere'] };
    void s.client.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.deepEqual(await s.next(f1, (d) => d.length === 0), []);
    // The extra path is linted, with the rule now off: published, but empty.
    const other = await s.next(path.join(root, 'elsewhere/x.sql'));
    assert.deepEqual(other, []);

    s.settings = { paths: ['elsewhere'] };
    void s.client.sendNotification('workspace/didChangeConfiguration', { settings: null });
    assert.deepEqual(codes(await s.next(path.join(root, 'elsewhere/x.sql'), (d) => d.length > 0)), ['toy-create-table']);

    s.settings = { enable: false };
    void s.client.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await s.next(f1, (d) => d.length === 0);
    await s.next(path.join(root, 'elsewhere/x.sql'), (d) => d.length === 0);
  });

  test("greenlight.yaml's lint block sets severities, switches rules off and adds paths; the editor settings override it", async () => {
    writeFileSync(path.join(root, 'greenlight.yaml'), CONFIG + 'lint:\n  rules:\n    toy-create-table: error\n  paths: [elsewhere]\n');
    s = await startSession(root, toyLinter, docs);
    const ds = await s.next(path.join(root, 'db/m/001.sql'), (d) => d.length > 0);
    assert.equal(ds[0]!.severity, 1);
    assert.deepEqual(codes(await s.next(path.join(root, 'elsewhere/x.sql'), (d) => d.length > 0)), ['toy-create-table']);
    s.settings = { rules: { 'toy-create-table': 'info' } };
    void s.client.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const local = await s.next(path.join(root, 'db/m/001.sql'), (d) => d.length > 0 && d[0]!.severity === 3);
    assert.equal(local[0]!.severity, 3);
    writeFileSync(path.join(root, 'greenlight.yaml'), CONFIG + 'lint:\n  rules:\n    toy-create-table: off\n');
    s.settings = {};
    void s.client.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(path.join(root, 'greenlight.yaml')), type: 2 }] });
    assert.deepEqual(await s.next(path.join(root, 'db/m/001.sql'), (d) => d.length === 0), []);
  });

  test('a file created or deleted on disk is linted or cleared (watched files)', async () => {
    s = await startSession(root, toyLinter, docs);
    await s.next(path.join(root, 'db/m/001.sql'), (d) => d.length > 0);
    const f = path.join(root, 'db/m/004.sql');
    writeFileSync(f, 'TRUNCATE x;\n');
    void s.client.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(f), type: 1 }] });
    assert.deepEqual(codes(await s.next(f)), ['toy-truncate']);
    rmSync(f);
    void s.client.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(f), type: 3 }] });
    assert.deepEqual(await s.next(f), []);
  });

  test('a changed greenlight.yaml moves the lint paths', async () => {
    s = await startSession(root, toyLinter, docs);
    await s.next(path.join(root, 'db/m/001.sql'), (d) => d.length > 0);
    writeFileSync(path.join(root, 'greenlight.yaml'), CONFIG.replace('db/m', 'elsewhere'));
    void s.client.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(path.join(root, 'greenlight.yaml')), type: 2 }] });
    assert.deepEqual(codes(await s.next(path.join(root, 'elsewhere/x.sql'))), ['toy-create-table']);
    assert.deepEqual(await s.next(path.join(root, 'db/m/001.sql')), []);
  });

  async function actionsFor(file: string, text: string): Promise<{ doc: TextDocument; diag: Diagnostic; actions: CodeAction[] }> {
    s.open(file, text);
    const [diag] = await s.next(file, (d) => d.length > 0);
    const actions: CodeAction[] = await s.client.sendRequest('textDocument/codeAction', {
      textDocument: { uri: uriOf(file) },
      range: diag!.range,
      context: { diagnostics: [diag] },
    });
    return { doc: TextDocument.create(uriOf(file), 'sql', 1, text), diag: diag!, actions };
  }

  function apply(doc: TextDocument, action: CodeAction): string {
    const change = action.edit!.documentChanges![0] as TextDocumentEdit;
    assert.equal(change.textDocument.version, doc.version);
    return TextDocument.applyEdits(doc, change.edits as TextEdit[]);
  }

  test('quick fixes: the rule fix, ignore for this statement (indented), ignore for this file', async () => {
    s = await startSession(root, toyLinter, docs);
    const file = path.join(root, 'db/m/010.sql');
    const { doc, actions } = await actionsFor(file, BAD);
    assert.deepEqual(
      actions.map((a) => [a.title, a.kind, a.isPreferred ?? false]),
      [
        ['Add IF NOT EXISTS', 'quickfix', true],
        ['Ignore toy-create-table for this statement', 'quickfix', false],
        ['Ignore toy-create-table for this file', 'quickfix', false],
      ],
    );
    assert.equal(apply(doc, actions[0]!), 'SELECT 1;\n  CREATE TABLE IF NOT EXISTS users (id int);\n');
    const ignored = apply(doc, actions[1]!);
    assert.equal(ignored, 'SELECT 1;\n  -- greenlight-ignore toy-create-table\n  CREATE TABLE users (id int);\n');
    assert.equal(apply(doc, actions[2]!), '-- greenlight-ignore-file toy-create-table\n' + BAD);

    // Applying the statement ignore makes the diagnostic go.
    s.change(file, ignored, 2);
    assert.deepEqual(await s.next(file), []);
  });

  test('with a client that resolves edits (VS Code), "ignore for this statement" gets its edit from codeAction/resolve', async () => {
    s = await startSession(root, toyLinter, docs, {}, { resolveEdits: true });
    const file = path.join(root, 'db/m/013.sql');
    const { doc, actions } = await actionsFor(file, BAD);
    const lazy = actions.find((a) => a.title === 'Ignore toy-create-table for this statement')!;
    assert.equal(lazy.edit, undefined, 'no edit until the action is picked');
    assert.ok(actions.find((a) => a.title === 'Add IF NOT EXISTS')!.edit, 'cheap edits are sent at once');
    const resolved: CodeAction = await s.client.sendRequest('codeAction/resolve', lazy);
    assert.equal(apply(doc, resolved), 'SELECT 1;\n  -- greenlight-ignore toy-create-table\n  CREATE TABLE users (id int);\n');
    // After an edit the stale action resolves to nothing rather than to an edit in the wrong place.
    s.change(file, 'SELECT 2;\n' + BAD, 2);
    await s.next(file);
    const stale: CodeAction = await s.client.sendRequest('codeAction/resolve', lazy);
    assert.equal(stale.edit, undefined);
  });

  test('code actions are not offered for a parse error, and not when only other kinds are asked for', async () => {
    s = await startSession(root, toyLinter, docs);
    const { actions } = await actionsFor(path.join(root, 'db/m/011.sql'), 'SELECT @@;\n');
    assert.deepEqual(actions, []);
    const file = path.join(root, 'db/m/012.sql');
    const r = await actionsFor(file, 'TRUNCATE t;\n');
    assert.deepEqual(r.actions.map((a) => a.title), ['Ignore toy-truncate for this statement', 'Ignore toy-truncate for this file']);
    const none = await s.client.sendRequest('textDocument/codeAction', { textDocument: { uri: uriOf(file) }, range: r.diag.range, context: { diagnostics: [r.diag], only: ['refactor'] } });
    assert.deepEqual(none, []);
  });

  test('closing a file keeps the diagnostics of its saved state', async () => {
    s = await startSession(root, toyLinter, docs);
    const file = path.join(root, 'db/m/002.sql');
    await s.next(file);
    s.open(file, 'TRUNCATE t;\n');
    assert.deepEqual(codes(await s.next(file, (d) => d.length > 0)), ['toy-truncate']);
    s.close(file);
    assert.deepEqual(await s.next(file), []);
  });
});

suite('(unit) lint service: real languages (SQL, Ruby seeds, AQL) through the language server', function () {
  // The first parse loads each language's WASM parser.
  this.timeout(60_000);
  const fixtures = path.resolve(__dirname, '../../../host/workspaces/lint');
  let root: string;
  let s: Session;
  setup(() => {
    root = workspace({ 'greenlight.yaml': CONFIG.replace('db/m', 'lint-fixtures') });
    cpSync(fixtures, path.join(root, 'lint-fixtures'), { recursive: true });
  });
  teardown(() => {
    s?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  async function quickFix(file: string, code: string, title: string): Promise<string> {
    const text = readFileSync(file, 'utf8');
    s.open(file, text);
    const ds = await s.next(file, (d) => d.some((x) => x.code === code));
    const diag = ds.find((x) => x.code === code)!;
    const actions: CodeAction[] = await s.client.sendRequest('textDocument/codeAction', { textDocument: { uri: uriOf(file) }, range: diag.range, context: { diagnostics: [diag] } });
    const action = actions.find((a) => a.title === title);
    assert.ok(action, `"${title}" among ${JSON.stringify(actions.map((a) => a.title))}`);
    const change = action.edit!.documentChanges![0] as TextDocumentEdit;
    const out = TextDocument.applyEdits(TextDocument.create(uriOf(file), 'x', 1, text), change.edits as TextEdit[]);
    s.change(file, out, 2);
    const after = await s.next(file, (d) => !d.some((x) => x.code === code && x.range.start.line === diag.range.start.line + (out.split('\n').length - text.split('\n').length)));
    assert.ok(!after.some((x) => x.message === diag.message), `${code} is gone after "${title}":\n${out}`);
    return out;
  }

  test('SQL, seed and AQL fixtures are published from disk with their codes', async () => {
    s = await startSession(root, createDefaultLinter, path.resolve(__dirname, '../../../../docs/rules'));
    const sql = await s.eventually(path.join(root, 'lint-fixtures/001_create_invoices.sql'), (d) => d.length > 0, 20000);
    assert.deepEqual(codes(sql), ['sql-create-table-if-not-exists', 'sql-create-index-if-not-exists', 'sql-insert-without-conflict-handling']);
    assert.deepEqual(sql[0]!.range, { start: { line: 3, character: 0 }, end: { line: 6, character: 1 } });
    const seed = await s.eventually(path.join(root, 'lint-fixtures/db/seeds.rb'), (d) => d.length > 0, 20000);
    assert.deepEqual(codes(seed), ['seed-unguarded-create']);
    const aql = await s.eventually(path.join(root, 'lint-fixtures/002_backfill.aql'), (d) => d.length > 0, 20000);
    assert.deepEqual(codes(aql), ['aql-update-not-idempotent', 'aql-insert-without-guard']);
  });

  for (const [rel, code, title, expected] of [
    ['001_create_invoices.sql', 'sql-insert-without-conflict-handling', 'Ignore sql-insert-without-conflict-handling for this statement', '    -- greenlight-ignore sql-insert-without-conflict-handling\n    INSERT INTO customers'],
    ['001_create_invoices.sql', 'sql-create-index-if-not-exists', 'Ignore sql-create-index-if-not-exists for this statement', 'greenlight-ignore sql-create-index-if-not-exists'],
    ['001_create_invoices.sql', 'sql-create-index-if-not-exists', 'Ignore sql-create-index-if-not-exists for this file', '-- greenlight-ignore-file sql-create-index-if-not-exists\n-- Two statements'],
    ['001_create_invoices.sql', 'sql-create-table-if-not-exists', 'Add IF NOT EXISTS', 'CREATE TABLE IF NOT EXISTS invoices'],
    ['db/seeds.rb', 'seed-unguarded-create', 'Ignore seed-unguarded-create for this statement', '# greenlight-ignore seed-unguarded-create\nUser.create!'],
    ['002_backfill.aql', 'aql-update-not-idempotent', 'Ignore aql-update-not-idempotent for this statement', '// greenlight-ignore aql-update-not-idempotent\n'],
    ['002_backfill.aql', 'aql-insert-without-guard', 'Ignore aql-insert-without-guard for this file', '// greenlight-ignore-file aql-insert-without-guard\n'],
  ] as const) {
    test(`${rel}: "${title}" makes ${code} go`, async () => {
      s = await startSession(root, createDefaultLinter, path.resolve(__dirname, '../../../../docs/rules'));
      const out = await quickFix(path.join(root, 'lint-fixtures', rel), code, title);
      assert.ok(out.includes(expected), out);
    });
  }
});
