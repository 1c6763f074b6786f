// The extension's foundation, checked inside the real VS Code extension host on a copy of
// test/host/workspaces/demo: activation, the views, the Environments data, greenlight.yaml
// diagnostics (from disk and as you type), the background service and its restart path.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activeApi, greenlight, greenlightDiagnostics, waitFor, workspaceRoot } from './helpers';

const VIEWS = ['greenlight.views.environments', 'greenlight.views.images', 'greenlight.views.backups'];

function configUri(): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), 'greenlight.yaml');
}

/** 0-based [line, character] of a diagnostic's start and end, for compact assertions. */
function span(d: vscode.Diagnostic): [number, number, number, number] {
  return [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character];
}

suite('(host) foundation: activation, views, config, service', () => {
  let original: Uint8Array;

  suiteSetup(async () => {
    original = await vscode.workspace.fs.readFile(configUri());
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (original) await vscode.workspace.fs.writeFile(configUri(), original);
  });

  test('activates by itself in a workspace with greenlight.yaml and exports its services', async () => {
    const ext = greenlight();
    // activationEvents has workspaceContains:greenlight.yaml: nobody calls activate() here.
    await waitFor('the extension to activate on its own', () => ext.isActive, 60_000);
    // isActive is true after a failed activation too; activate() then rethrows its error.
    const api = await ext.activate();
    assert.ok(api?.services, 'activate() returned no services');
    const { services } = api;
    for (const part of ['context', 'output', 'client', 'project'] as const) assert.ok(services[part], `services.${part} is missing`);
    const repo = process.env.GREENLIGHT_HOST_REPO;
    if (repo) assert.equal(ext.extensionPath, repo, 'this run should load the extension from the checkout');
  });

  test('contributes the Greenlight container with the Environments, Images and Backups views, which can be revealed', async () => {
    const contributes = greenlight().packageJSON.contributes;
    assert.deepEqual(
      contributes.viewsContainers.activitybar.map((c: { id: string; title: string }) => [c.id, c.title]),
      [['greenlight', 'Greenlight']],
    );
    assert.deepEqual(
      contributes.views.greenlight.map((v: { id: string; name: string }) => [v.id, v.name]),
      [
        ['greenlight.views.environments', 'Environments'],
        ['greenlight.views.images', 'Images'],
        ['greenlight.views.backups', 'Backups'],
      ],
    );
    // The workbench registers "<view>.focus" and "workbench.view.extension.<container>" only
    // for views and containers it actually created from the manifest.
    const commands = new Set(await vscode.commands.getCommands(false));
    assert.ok(commands.has('workbench.view.extension.greenlight'), 'the Greenlight container was not created');
    await vscode.commands.executeCommand('workbench.view.extension.greenlight');
    for (const id of VIEWS) {
      assert.ok(commands.has(`${id}.focus`), `view ${id} was not created`);
      await vscode.commands.executeCommand(`${id}.focus`);
    }
  });

  test('every command contributed in package.json is registered', async () => {
    await activeApi();
    const contributed: string[] = greenlight().packageJSON.contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(contributed.length >= 4, `only ${contributed.length} commands contributed`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('the Environments view lists the environments of greenlight.yaml', async () => {
    const { services } = await activeApi();
    const summary = await waitFor('the project summary', () => services.project.summary?.ok && services.project.summary);
    assert.equal(summary.project, 'shop');
    assert.deepEqual(summary.services.map((s) => [s.name, s.port]), [['web', 8080], ['worker', 9090]]);
    assert.deepEqual(summary.database, { kind: 'postgres', migrations: 'migrations' });
    assert.deepEqual(
      summary.environments.map((e) => [e.name, e.sshTarget, e.hostKeyPinned, e.database, e.backupsDir, e.keep]),
      [
        ['staging', 'deploy@198.18.77.2:22', true, 'shop@127.0.0.1/shop', '/srv/backups/shop', 7],
        ['production', 'deploy@198.18.77.2:2222', false, 'shop@127.0.0.1/shop', '/var/backups/greenlight', 10],
      ],
    );
  });

  test('a broken greenlight.yaml on disk gets diagnostics with line and column, and the view shows its problems', async () => {
    const { services } = await activeApi();
    const uri = configUri();
    assert.deepEqual(greenlightDiagnostics(uri), [], 'the valid fixture already has problems');
    const broken = ['project: shop', 'services:', '  - name: web', '    port: eighty', 'database:', '  kind: mysql', ''].join('\n');
    await vscode.workspace.fs.writeFile(uri, Buffer.from(broken, 'utf8'));
    try {
      const diags = await waitFor('diagnostics on the broken file', () => {
        const d = greenlightDiagnostics(uri);
        return d.length >= 2 && d;
      });
      const sorted = [...diags].sort((a, b) => a.range.start.line - b.range.start.line);
      assert.deepEqual(
        sorted.map((d) => [d.message, span(d), d.severity]),
        [
          ['services[0].port: expected number, got string "eighty"', [3, 10, 3, 16], vscode.DiagnosticSeverity.Error],
          ['database.kind: expected one of "postgres", "arangodb"', [5, 8, 5, 13], vscode.DiagnosticSeverity.Error],
        ],
      );
      const summary = await waitFor('the view to show the problems', () => services.project.summary?.ok === false && services.project.summary);
      assert.deepEqual(summary.environments, []);
      assert.deepEqual(summary.problems.map((p) => [p.line, p.column]), [[4, 11], [6, 9]]);
    } finally {
      await vscode.workspace.fs.writeFile(uri, original);
    }
    await waitFor('diagnostics to clear after the file is fixed', () => greenlightDiagnostics(uri).length === 0);
    await waitFor('the environments to come back', () => services.project.summary?.ok && services.project.summary.environments.length === 2);
  });

  test('typing a mistake into the open greenlight.yaml shows it at once, undoing it clears it', async () => {
    await activeApi();
    const uri = configUri();
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const line = doc.getText().split('\n').findIndex((l) => l === '    port: 8080');
    assert.ok(line > 0, 'fixture line "    port: 8080" not found');
    const value = new vscode.Range(line, 10, line, 14);
    assert.equal(doc.getText(value), '8080');
    assert.ok(await editor.edit((e) => e.replace(value, '"8080"')), 'the edit was not applied');
    const [d] = await waitFor('a diagnostic while typing', () => {
      const ds = greenlightDiagnostics(uri);
      return ds.length > 0 && ds;
    });
    assert.equal(d.message, 'services[0].port: expected number, got string "8080"');
    assert.deepEqual(span(d), [line, 10, line, 16]);
    await vscode.commands.executeCommand('undo');
    assert.equal(doc.getText(value), '8080');
    await waitFor('the diagnostic to clear after undo', () => greenlightDiagnostics(uri).length === 0);
    assert.ok(doc.isDirty === false, 'undo should return the document to its saved state');
  });

  test('the background service answers health requests from its own process', async () => {
    const { services } = await activeApi();
    const h = await services.client.health();
    assert.equal(h.protocol, 1);
    assert.equal(h.version, greenlight().packageJSON.version);
    assert.ok(Number.isInteger(h.pid) && h.pid !== process.pid, `service pid ${h.pid} is the extension host itself`);
    process.kill(h.pid, 0); // throws if no such process
    assert.ok(h.rssBytes > 1_000_000, `implausible rss ${h.rssBytes}`);
    const text = await vscode.commands.executeCommand<string>('greenlight.service.showHealth');
    assert.match(text, new RegExp(`\\(pid ${h.pid}\\) is healthy`));
  });

  test('when the service process is killed it is restarted and answers again', async () => {
    const { services } = await activeApi();
    const before = (await services.client.health()).pid;
    let restarts = 0;
    const sub = services.client.onRestarted((n) => (restarts = n));
    try {
      process.kill(before, 'SIGKILL');
      const after = await waitFor(
        'a new service process to answer',
        async () => {
          const h = await services.client.health();
          return h.pid !== before && h.pid;
        },
        30_000,
      );
      assert.notEqual(after, before);
      await waitFor('the restart to be reported', () => restarts > 0);
      await waitFor('the old process to be gone', () => {
        try {
          process.kill(before, 0);
          return false;
        } catch {
          return true;
        }
      });
      // The restarted service does real work again, not only health.
      const summary = await services.project.refresh();
      assert.equal(summary?.environments.length, 2);
    } finally {
      sub.dispose();
    }
  });

  test('"Restart Background Service" starts a new service process', async () => {
    const { services } = await activeApi();
    const before = (await services.client.health()).pid;
    await vscode.commands.executeCommand('greenlight.service.restart');
    const after = await waitFor('the restarted service', async () => (await services.client.health()).pid);
    assert.notEqual(after, before);
  });
});
