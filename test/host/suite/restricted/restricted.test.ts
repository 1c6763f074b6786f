// Restricted Mode in the real workbench: the workspace is not trusted, so Greenlight must open no
// SSH connection to a host the workspace names: not for the Environments view, the Backups view,
// the status bar or the migration panel, and not when a command is invoked anyway. The proof is
// a TCP listener on loopback that the project's `watched` environment points at (with a key file,
// so "not configured" cannot be the reason nothing connects): it must see no connection at all.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../../../../src/extension/services';
import { activeApi, waitFor, workspaceRoot } from '../helpers';

suite('(host) Restricted Mode: no connection, nothing destructive', function () {
  this.timeout(120_000);
  let s: Services;
  let server: net.Server;
  let connections = 0;

  suiteSetup(async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'this run needs an untrusted workspace (run.mjs --run restricted)');
    server = net.createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const root = workspaceRoot().fsPath;
    mkdirSync(path.join(root, 'keys'), { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(root, 'keys', 'id_ed25519')]);
    const file = path.join(root, 'greenlight.yaml');
    const text = readFileSync(file, 'utf8').replace(
      /^environments:\n/m,
      `environments:\n  watched:\n    ssh:\n      host: 127.0.0.1\n      port: ${port}\n      user: deploy\n      identityFile: keys/id_ed25519\n    database: { name: shop, user: shop }\n`,
    );
    writeFileSync(file, text);
    s = (await activeApi()).services;
    await waitFor('the project with the watched environment', async () => (await s.project.refresh())?.environments.some((e) => e.name === 'watched'));
  });

  suiteTeardown(() => server?.close());

  test('the Environments view, Backups view and status bar say "Restricted Mode" and offer to manage trust', async () => {
    s.environments.status.refresh();
    const env = (await s.environments.getChildren()).find((n) => n.kind === 'environment' && n.env.name === 'watched')!;
    const rows = await s.environments.getChildren(env);
    const row = rows.find((n) => n.kind === 'unreachable');
    assert.ok(row && row.kind === 'unreachable');
    assert.ok(!rows.some((n) => n.kind === 'containers' || n.kind === 'container'), 'the host\'s containers are listed although nothing may connect');
    assert.equal(row.status.problemKind, 'restricted');
    const item = s.environments.getTreeItem(row);
    assert.equal(item.label, 'Restricted Mode: no connection');
    assert.equal(item.command?.command, 'workbench.trust.manage');
    const b = (await s.backups.getChildren()).find((n) => n.kind === 'env' && n.env === 'watched')!;
    const brows = await s.backups.getChildren(b);
    assert.equal(s.backups.getTreeItem(brows[0]!).label, 'Restricted Mode: no connection');
    await vscode.workspace.getConfiguration('greenlight').update('activeEnvironment', 'watched', vscode.ConfigurationTarget.Workspace);
    await waitFor('the status bar to say Restricted Mode', () => s.statusBar.item.text.endsWith('watched: Restricted Mode'));
  });

  test('the migration panel lists the environments as restricted, without connecting', async () => {
    await s.migrations.refresh();
    const t = s.migrations.panelState().targets.find((x) => x.id === 'env:watched');
    assert.equal(t?.reachable, false);
    assert.equal(t?.problemLabel, 'Restricted Mode: no connection');
    assert.deepEqual(t?.fix, { kind: 'restricted', title: 'Manage Workspace Trust' });
  });

  test('commands that connect or destroy refuse even when invoked directly; nothing reached the host', async () => {
    const warnings: string[] = [];
    const real = s.prompts.showWarningMessage;
    s.prompts.showWarningMessage = (m: string) => {
      warnings.push(m);
      return Promise.resolve(undefined);
    };
    try {
      for (const id of ['greenlight.deploy.trustHostKey', 'greenlight.deploy.backUpNow', 'greenlight.backups.delete', 'greenlight.backups.restore', 'greenlight.deploy.rollBack', 'greenlight.images.remove']) {
        assert.equal(await vscode.commands.executeCommand(id, 'watched'), undefined, id);
      }
      // The Environments view's container actions, given a row as the view would pass it.
      const row = { kind: 'container', env: 'watched', container: { id: 'a'.repeat(64), name: 'somebody-elses', image: 'x', state: 'running', status: 'Up', ports: [{ container: 80, protocol: 'tcp', host: 8080 }], addresses: {} } };
      for (const id of ['greenlight.containers.viewLogs', 'greenlight.containers.restart', 'greenlight.containers.stop', 'greenlight.containers.openShell', 'greenlight.containers.openInBrowser']) {
        assert.equal(await vscode.commands.executeCommand(id, row), undefined, id);
      }
    } finally {
      s.prompts.showWarningMessage = real;
    }
    assert.equal(warnings.length, 11);
    assert.match(warnings[0]!, /Restricted Mode/);
    // Give any stray connection attempt time to arrive before counting.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(connections, 0, 'a connection reached the host named by the untrusted workspace');
  });
});
