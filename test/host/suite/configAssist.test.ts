// Completion and hover in greenlight.yaml inside the real VS Code, with no YAML extension
// installed: both come from Greenlight's own service (src/service/configAssist.ts) and the schema.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeApi, waitFor, workspaceRoot } from './helpers';

function markdownOf(h: vscode.Hover): string {
  return h.contents.map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
}

suite('(host) config: completion and hover in greenlight.yaml from the schema', () => {
  let doc: vscode.TextDocument;

  suiteSetup(async function () {
    this.timeout(120_000);
    await activeApi();
    doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'greenlight.yaml'));
    await vscode.window.showTextDocument(doc);
  });

  suiteTeardown(async () => {
    // The edit is never saved: the file on disk stays as the other suites expect it.
    if (doc.isDirty) {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('no other extension contributes YAML language features here', () => {
    const yamlExtensions = vscode.extensions.all.filter((e) => !e.id.startsWith('vscode.') && JSON.stringify(e.packageJSON?.contributes ?? {}).includes('yamlValidation') && e.id !== 'greenlight-dev.greenlight');
    assert.deepEqual(yamlExtensions.map((e) => e.id), []);
  });

  test('completion on a new line of an environment offers its schema keys, not the ones written', async function () {
    this.timeout(90_000);
    const text = doc.getText();
    const anchor = '    backups: { dir: /srv/backups/shop, keep: 7 }\n';
    const offset = text.indexOf(anchor);
    assert.ok(offset >= 0, 'the demo greenlight.yaml has the staging backups line');
    const insertAt = doc.positionAt(offset + anchor.length);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, insertAt, '    keep\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const cursor = new vscode.Position(insertAt.line, 8);
    const list = await waitFor('Greenlight completion items in greenlight.yaml', async () => {
      const l = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, cursor);
      return l.items.some((i) => i.label === 'keepVersions' && i.kind === vscode.CompletionItemKind.Property) ? l : undefined;
    }, 60_000);
    const item = list.items.find((i) => i.label === 'keepVersions')!;
    const docs = typeof item.documentation === 'string' ? item.documentation : item.documentation?.value;
    assert.match(docs ?? '', /How many previous versions to keep for rollback/);
    const labels = new Set(list.items.filter((i) => i.kind === vscode.CompletionItemKind.Property || i.kind === vscode.CompletionItemKind.Module).map((i) => String(i.label)));
    for (const k of ['docker', 'releaseTasks', 'stateDir', 'ship']) assert.ok(labels.has(k), `${k} offered (got ${[...labels].join(', ')})`);
    for (const k of ['ssh', 'database', 'backups']) assert.ok(!labels.has(k), `${k} is written already and is not offered`);
    // Values: the enum of database.kind.
    const kindLine = doc.getText().split('\n').findIndex((l) => l.startsWith('  kind: postgres'));
    const values = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(kindLine, 8));
    assert.ok(['postgres', 'arangodb'].every((v) => values.items.some((i) => i.label === v && i.kind === vscode.CompletionItemKind.EnumMember)), 'database.kind offers its values');
  });

  test('hover on a key shows its description from the schema', async function () {
    this.timeout(60_000);
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('project:'));
    const hovers = await waitFor('a Greenlight hover on project:', async () => {
      const hs = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, 3));
      return hs.some((h) => /Project name; prefixes container names/.test(markdownOf(h))) ? hs : undefined;
    }, 60_000);
    const ours = hovers.find((h) => /Project name/.test(markdownOf(h)))!;
    assert.deepEqual([ours.range?.start.line, ours.range?.start.character, ours.range?.end.character], [line, 0, 7]);
    const sshHost = doc.getText().split('\n').findIndex((l) => l.startsWith('      host: 198.18.77.2'));
    const hs = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(sshHost, 8));
    assert.ok(hs.some((h) => /SSH host name or address/.test(markdownOf(h))), 'environments.<name>.ssh.host has its description');
  });
});
