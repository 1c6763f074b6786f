// Lint diagnostics inside the real VS Code: the fixtures of test/host/workspaces/lint are copied
// into the workspace as lint-fixtures/ and added through the greenlight.lint.paths setting, so
// they show in the Problems panel before they are opened; then quick fixes are applied the way
// the lightbulb does (vscode.executeCodeActionProvider + workspace.applyEdit) and each diagnostic
// must go away; settings change severities and switch rules off live.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeApi, greenlightDiagnostics, waitFor, workspaceRoot } from './helpers';

const FIXTURES = 'lint-fixtures';

function fixture(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), FIXTURES, ...rel.split('/'));
}

function span(d: vscode.Diagnostic): [number, number, number, number] {
  return [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character];
}

function codeOf(d: vscode.Diagnostic): string {
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function codes(uri: vscode.Uri): string[] {
  return greenlightDiagnostics(uri).map(codeOf);
}

async function quickFixes(uri: vscode.Uri, d: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
  // The last argument resolves the actions' edits, as picking one in the lightbulb does.
  const all = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, d.range, vscode.CodeActionKind.QuickFix.value, 100);
  return (all ?? []).filter((a): a is vscode.CodeAction => 'edit' in a || 'kind' in a);
}

/** Applies the quick fix titled `title` for the diagnostic `code` and waits until the diagnostic is gone. */
async function applyQuickFix(uri: vscode.Uri, code: string, title: string): Promise<vscode.TextDocument> {
  const before = await waitFor(`a ${code} diagnostic on ${path.basename(uri.fsPath)}`, () => greenlightDiagnostics(uri).find((d) => codeOf(d) === code));
  const actions = await waitFor(`quick fixes for ${code}`, async () => {
    const a = await quickFixes(uri, before);
    return a.some((x) => x.title === title) ? a : undefined;
  });
  const action = actions.find((a) => a.title === title)!;
  assert.equal(action.kind?.value, vscode.CodeActionKind.QuickFix.value);
  assert.ok(action.edit, `"${title}" carries an edit`);
  assert.ok(await vscode.workspace.applyEdit(action.edit), `"${title}" was applied`);
  const count = greenlightDiagnostics(uri).filter((d) => codeOf(d) === code).length;
  await waitFor(`${code} to go after "${title}"`, () => greenlightDiagnostics(uri).filter((d) => codeOf(d) === code).length === count - 1);
  return vscode.workspace.openTextDocument(uri);
}

suite('(host) lint: Problems panel, as-you-type diagnostics, quick fixes, settings', () => {
  suiteSetup(async function () {
    this.timeout(120_000);
    await activeApi();
    const repo = process.env.GREENLIGHT_HOST_REPO;
    assert.ok(repo, 'GREENLIGHT_HOST_REPO is not set: run through test/host/run.mjs');
    await vscode.workspace.fs.copy(vscode.Uri.file(path.join(repo, 'test/host/workspaces/lint')), vscode.Uri.joinPath(workspaceRoot(), FIXTURES), { overwrite: true });
    await vscode.workspace.getConfiguration('greenlight.lint').update('paths', [FIXTURES], vscode.ConfigurationTarget.Workspace);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const config = vscode.workspace.getConfiguration('greenlight.lint');
    await config.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    await config.update('paths', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(workspaceRoot(), FIXTURES), { recursive: true, useTrash: false });
  });

  test('files under the lint paths show in the Problems panel before they are opened, with codes, ranges and docs links', async function () {
    this.timeout(90_000);
    const sql = fixture('001_create_invoices.sql');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === sql.toString()), 'the fixture is not open yet');
    await waitFor('diagnostics of the SQL fixture from disk', () => greenlightDiagnostics(sql).length === 3, 60_000);
    const ds = greenlightDiagnostics(sql);
    assert.deepEqual(
      ds.map((d) => [codeOf(d), d.severity, ...span(d)]),
      [
        ['sql-create-table-if-not-exists', vscode.DiagnosticSeverity.Error, 3, 0, 6, 1],
        ['sql-create-index-if-not-exists', vscode.DiagnosticSeverity.Error, 10, 2, 10, 62],
        ['sql-insert-without-conflict-handling', vscode.DiagnosticSeverity.Error, 14, 4, 14, 41],
      ],
    );
    for (const d of ds) {
      assert.equal(d.source, 'greenlight');
      // The code links to the rule's page shipped with the extension, when the page exists.
      if (typeof d.code === 'object') {
        assert.equal(d.code.target.scheme, 'file');
        assert.ok(d.code.target.fsPath.endsWith(path.join('docs', 'rules', `${codeOf(d)}.md`)), d.code.target.toString());
        assert.ok(existsSync(d.code.target.fsPath), `${d.code.target.fsPath} exists`);
      } else {
        assert.ok(!existsSync(path.join(process.env.GREENLIGHT_HOST_REPO ?? '', 'docs', 'rules', `${codeOf(d)}.md`)), `${codeOf(d)} has a docs page but no link`);
      }
    }
    await waitFor('the seed fixture', () => codes(fixture('db/seeds.rb')).join() === 'seed-unguarded-create', 30_000);
    await waitFor('the AQL fixture', () => codes(fixture('002_backfill.aql')).join() === 'aql-update-not-idempotent,aql-insert-without-guard', 30_000);
    assert.deepEqual(greenlightDiagnostics(fixture('db/seeds.rb')).map(span), [[1, 0, 1, 55]]);
    assert.deepEqual(greenlightDiagnostics(fixture('002_backfill.aql')).map(span), [
      [2, 18, 2, 42],
      [4, 0, 4, 39],
    ]);
  });

  test('typing in an open migration updates its diagnostics', async () => {
    const uri = fixture('001_create_invoices.sql');
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    await waitFor('the open file keeps its three diagnostics', () => greenlightDiagnostics(uri).length === 3);
    const end = doc.lineAt(doc.lineCount - 1).range.end;
    assert.ok(await editor.edit((b) => b.insert(end, '\nCREATE SCHEMA reports;\n')));
    const added = await waitFor('a diagnostic for the typed statement', () => greenlightDiagnostics(uri).find((d) => codeOf(d) === 'sql-create-schema-if-not-exists'));
    assert.equal(added.range.start.line, doc.lineCount - 2);
    assert.ok(await editor.edit((b) => b.replace(doc.lineAt(doc.lineCount - 2).range, 'CREATE SCHEMA IF NOT EXISTS reports;')));
    await waitFor('the diagnostic to go once the statement is guarded', () => !greenlightDiagnostics(uri).some((d) => codeOf(d) === 'sql-create-schema-if-not-exists'));
  });

  test('quick fix: the rule fix (Add IF NOT EXISTS) removes the diagnostic', async () => {
    const uri = fixture('001_create_invoices.sql');
    const doc = await applyQuickFix(uri, 'sql-create-table-if-not-exists', 'Add IF NOT EXISTS');
    assert.match(doc.getText(), /^CREATE TABLE IF NOT EXISTS invoices \($/m);
  });

  test('quick fix: "Ignore … for this statement" writes an indented comment above it', async () => {
    const uri = fixture('001_create_invoices.sql');
    const doc = await applyQuickFix(uri, 'sql-insert-without-conflict-handling', 'Ignore sql-insert-without-conflict-handling for this statement');
    assert.ok(doc.getText().includes('\n    -- greenlight-ignore sql-insert-without-conflict-handling\n    INSERT INTO customers'), doc.getText());
  });

  test('quick fix: "Ignore … for this file" writes the directive at the top', async () => {
    const uri = fixture('001_create_invoices.sql');
    const doc = await applyQuickFix(uri, 'sql-create-index-if-not-exists', 'Ignore sql-create-index-if-not-exists for this file');
    assert.equal(doc.lineAt(0).text, '-- greenlight-ignore-file sql-create-index-if-not-exists');
    assert.deepEqual(codes(uri), []);
  });

  test('seed file: the rule fix of a Rails seed removes its diagnostic', async () => {
    const uri = fixture('db/seeds.rb');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const [d] = greenlightDiagnostics(uri);
    assert.ok(d, 'the seed has a diagnostic');
    const fixes = await quickFixes(uri, d);
    const own = fixes.find((a) => !a.title.startsWith('Ignore '));
    assert.ok(own, `the seed rule offers a fix: ${fixes.map((a) => a.title).join(', ')}`);
    await applyQuickFix(uri, 'seed-unguarded-create', own.title);
  });

  test('AQL file: "Ignore … for this statement" uses // comments', async () => {
    const uri = fixture('002_backfill.aql');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const doc = await applyQuickFix(uri, 'aql-update-not-idempotent', 'Ignore aql-update-not-idempotent for this statement');
    // The directive goes above the innermost statement the AQL parser reports: the UPDATE.
    assert.ok(doc.getText().includes('FOR o IN orders\n  // greenlight-ignore aql-update-not-idempotent\n  UPDATE o WITH'), doc.getText());
    assert.deepEqual(codes(uri), ['aql-insert-without-guard']);
  });

  test('settings: a severity override and switching a rule off apply live', async () => {
    const uri = fixture('002_backfill.aql');
    const config = vscode.workspace.getConfiguration('greenlight.lint');
    await config.update('rules', { 'aql-insert-without-guard': 'error' }, vscode.ConfigurationTarget.Workspace);
    await waitFor('the override to make it an error', () => greenlightDiagnostics(uri).find((d) => codeOf(d) === 'aql-insert-without-guard')?.severity === vscode.DiagnosticSeverity.Error);
    await config.update('rules', { 'aql-insert-without-guard': 'off' }, vscode.ConfigurationTarget.Workspace);
    await waitFor('the rule to be switched off', () => greenlightDiagnostics(uri).length === 0);
    await config.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('the rule to come back', () => codes(uri).join() === 'aql-insert-without-guard');
  });
});
