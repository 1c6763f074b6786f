// The installed .vsix, not the checkout: greenlight.yaml completion and hover come from the
// packaged service, and the lint task runs the packaged CLI (dist/cli.js inside the extension)
// and its problem matcher fills the Problems panel. The file name sorts after installed.test.ts,
// so that suite still sees the extension activate by itself.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeApi, greenlight, waitFor } from '../helpers';

suite('(host) the installed .vsix: completion, hover and tasks', () => {
  const root = (): vscode.Uri => vscode.workspace.workspaceFolders![0]!.uri;
  const bad = (): vscode.Uri => vscode.Uri.joinPath(root(), 'migrations', 'zz_vsix_task.sql');

  suiteSetup(async function () {
    this.timeout(120_000);
    await activeApi();
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(bad(), { useTrash: false }).then(undefined, () => undefined);
  });

  test('completion and hover in greenlight.yaml', async function () {
    this.timeout(90_000);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(root(), 'greenlight.yaml'));
    await vscode.window.showTextDocument(doc);
    const kindLine = doc.getText().split('\n').findIndex((l) => l.startsWith('  kind: postgres'));
    assert.ok(kindLine > 0, 'the demo greenlight.yaml has database.kind');
    const values = await waitFor('database.kind values', async () => {
      const l = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(kindLine, 8));
      return l.items.some((i) => i.label === 'arangodb' && i.kind === vscode.CompletionItemKind.EnumMember) ? l : undefined;
    }, 60_000);
    assert.ok(values.items.some((i) => i.label === 'postgres'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(kindLine, 3));
    assert.ok(hovers.some((h) => h.contents.some((c) => (typeof c === 'string' ? c : c.value).includes('Database engine'))), 'hover on kind: describes it');
  });

  test('the lint task runs the packaged CLI and its findings reach the Problems panel', async function () {
    this.timeout(120_000);
    const lint = (await vscode.tasks.fetchTasks({ type: 'greenlight' })).find((t) => t.name === 'lint');
    assert.ok(lint, 'the lint task is offered');
    const exec = lint.execution as vscode.ProcessExecution;
    assert.ok(exec.args[0]!.startsWith(greenlight().extensionPath), `runs the CLI inside the installed extension (${exec.args[0]})`);
    await vscode.workspace.fs.writeFile(bad(), Buffer.from('-- no guard\nCREATE TABLE vsix_task (id int);\n'));
    const ended = new Promise<void>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.definition.type === 'greenlight') {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.tasks.executeTask(lint);
    await ended;
    const d = await waitFor('a Problems entry from the lint task', () => vscode.languages.getDiagnostics(bad()).find((x) => x.source === 'greenlight lint'), 30_000);
    assert.equal(typeof d.code === 'object' ? d.code.value : d.code, 'sql-create-table-if-not-exists');
    assert.equal(d.range.start.line, 1);
  });
});
