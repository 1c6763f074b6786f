// The migration panel from the installed package: its webview must load the stylesheet and the
// bundled script from the package's media/ folder under its Content-Security-Policy, say `ready`,
// and then be sent the status the service read (the demo workspace's one migration, pending on
// the local PGlite database). A file missing from the .vsix, or a CSP that blocks the script,
// leaves the panel without its handshake and fails here.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeApi, greenlight, waitFor } from '../helpers';

suite('(host) the installed .vsix: migration panel', () => {
  test('the package holds the panel\'s script and stylesheet', () => {
    const root = greenlight().extensionPath;
    for (const f of ['media/dist/migrationPanel.js', 'media/migrationPanel.css']) assert.ok(fs.existsSync(path.join(root, f)), `${f} is in the package`);
  });

  test('opens, completes the ready handshake and shows the local status', async function () {
    this.timeout(120_000);
    const { services } = await activeApi();
    await vscode.commands.executeCommand('greenlight.migrations.openPanel');
    const s = await waitFor(
      'the panel to show the local status',
      () => {
        const p = services.migrationPanel.lastPostedState;
        return p && p.activity.length === 0 && p.targets.some((t) => t.id === 'local') ? p : undefined;
      },
      90_000,
    );
    assert.deepEqual(
      s.migrations.map((m) => m.fileName),
      ['001_create_orders.sql'],
    );
    const local = s.targets.find((t) => t.id === 'local')!;
    assert.equal(local.reachable, true, local.problem);
    assert.equal(local.entries['001_create_orders.sql']?.state, 'pending');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
