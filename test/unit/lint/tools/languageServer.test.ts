// The new languages through the language server, as an editor sees them: an arangojs migration
// script and a Rails migration under the configured migrations folder are linted from disk and as
// they are edited, with ranges in the host file, and the suppression quick fix writes a comment in
// the host language.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, TextDocumentEdit, TextEdit } from 'vscode-languageserver/node';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { startSession, uriOf, type Session } from '../service/harness';

const CONFIG = 'project: p\nservices: []\ndatabase:\n  kind: arangodb\n  migrations: migrations\n  seeds: []\nenvironments: {}\n';
const TS = "import { aql } from 'arangojs';\nexport async function up(db) {\n  await db.query(aql`FOR u IN users UPDATE u WITH { n: u.n + 1 } IN users`);\n}\n";
const RB = 'class X < ActiveRecord::Migration[7.1]\n  def up\n    execute "CREATE TABLE t (id int)"\n  end\nend\n';

suite('(unit) lint: arangojs and Rails migrations through the language server', function () {
  this.timeout(60_000);
  let root: string;
  let s: Session | undefined;
  setup(() => {
    root = mkdtempSync(path.join(tmpdir(), 'greenlight-lint-lsp-js-'));
    for (const [rel, text] of Object.entries({ 'greenlight.yaml': CONFIG, 'migrations/001_counter.ts': TS, 'migrations/db/migrate/002_t.rb': RB })) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    }
  });
  teardown(() => {
    s?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  test('published from disk with ranges in the host file', async () => {
    s = await startSession(root, createDefaultLinter, path.resolve(__dirname, '../../../../docs/rules'));
    const ts = await s.eventually(path.join(root, 'migrations/001_counter.ts'), (d) => d.length > 0, 20000);
    assert.deepEqual(ts.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['aql-update-not-idempotent', 2, TS.split('\n')[2]!.indexOf('n: u.n')]]);
    const rb = await s.eventually(path.join(root, 'migrations/db/migrate/002_t.rb'), (d) => d.length > 0, 20000);
    assert.deepEqual(rb.map((d) => [d.code, d.range.start.line, d.range.start.character]), [['sql-create-table-if-not-exists', 2, RB.split('\n')[2]!.indexOf('CREATE')]]);
  });

  test('"Ignore … for this statement" writes a // comment above the statement of the .ts file, and the finding goes', async () => {
    s = await startSession(root, createDefaultLinter, path.resolve(__dirname, '../../../../docs/rules'));
    const file = path.join(root, 'migrations/001_counter.ts');
    s.open(file, TS);
    const [diag] = await s.next(file, (d) => d.length > 0);
    const actions: CodeAction[] = await s.client.sendRequest('textDocument/codeAction', { textDocument: { uri: uriOf(file) }, range: diag!.range, context: { diagnostics: [diag] } });
    const ignore = actions.find((a) => a.title === 'Ignore aql-update-not-idempotent for this statement');
    assert.ok(ignore, JSON.stringify(actions.map((a) => a.title)));
    const resolved: CodeAction = ignore.edit ? ignore : await s.client.sendRequest('codeAction/resolve', ignore);
    const change = resolved.edit!.documentChanges![0] as TextDocumentEdit;
    const out = TextDocument.applyEdits(TextDocument.create(uriOf(file), 'typescript', 1, TS), change.edits as TextEdit[]);
    assert.match(out, /\n {2}\/\/ greenlight-ignore aql-update-not-idempotent\n {2}await db\.query/);
    s.change(file, out, 2);
    assert.deepEqual(await s.next(file, (d) => d.length === 0), []);
  });
});
