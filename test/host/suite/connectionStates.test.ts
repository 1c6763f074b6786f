// What the editor says when an environment cannot be asked, in the real workbench: the demo
// workspace's `staging` has no identity file (and the extension host no agent), so it is "SSH not
// configured" in the Environments view, the status bar and the migration panel, each offering
// "Set Identity File…"; once the file is set, the same environment reaches the test bed's sshd,
// whose key is not the fixture's pinned one, and every place says "Host key not trusted" with
// "Trust Host Key…". Also: passwords are kept per workspace folder, and the commands that cannot
// work are disabled by their `enablement`.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EnvironmentSecrets } from '../../../src/extension/secrets';
import type { Services } from '../../../src/extension/services';
import { activeApi, waitFor, workspaceRoot } from './helpers';

suite('(host) connection states: say what is wrong and offer the fix', function () {
  this.timeout(120_000);
  let s: Services;
  let root: string;
  let configFile: string;
  let original: string;

  suiteSetup(async () => {
    s = (await activeApi()).services;
    root = workspaceRoot().fsPath;
    configFile = path.join(root, 'greenlight.yaml');
    original = readFileSync(configFile, 'utf8');
    assert.equal(process.env.SSH_AUTH_SOCK, undefined, 'these tests need an extension host without an SSH agent');
    await waitFor('the demo project', async () => (await s.project.refresh())?.ok);
  });

  suiteTeardown(async () => {
    writeFileSync(configFile, original);
    rmSync(path.join(root, 'keys'), { recursive: true, force: true });
    await s.project.refresh();
    s.environments.status.refresh();
  });

  test('no key file and no agent: "SSH not configured" in the view, the status bar and the panel, with "Set Identity File…"', async () => {
    s.environments.status.refresh();
    const env = (await s.environments.getChildren()).find((n) => n.kind === 'environment' && n.env.name === 'staging')!;
    const row = (await s.environments.getChildren(env)).find((n) => n.kind === 'unreachable');
    assert.ok(row && row.kind === 'unreachable');
    assert.equal(row.status.problemKind, 'not-configured');
    const item = s.environments.getTreeItem(row);
    assert.equal(item.label, 'SSH not configured');
    assert.equal(item.contextValue, 'greenlight.environmentError.not-configured');
    assert.deepEqual(item.command && [item.command.command, item.command.arguments], ['greenlight.deploy.setIdentityFile', ['staging']]);
    assert.match(String(item.description), /no identityFile configured/);

    await vscode.workspace.getConfiguration('greenlight').update('activeEnvironment', 'staging', vscode.ConfigurationTarget.Workspace);
    await waitFor('the status bar to say "not configured"', () => s.statusBar.item.text === '$(key) staging: not configured');
    const cmd = s.statusBar.item.command as vscode.Command;
    assert.equal(cmd.command, 'greenlight.deploy.setIdentityFile');

    await s.migrations.refresh();
    const target = s.migrations.panelState().targets.find((t) => t.id === 'env:staging');
    assert.equal(target?.problemLabel, 'SSH not configured');
    assert.deepEqual(target?.fix, { kind: 'not-configured', title: 'Set Identity File…' });
  });

  test('"Set Identity File…" writes the path into greenlight.yaml; then the refused host key says "Host key not trusted" with "Trust Host Key…"', async () => {
    mkdirSync(path.join(root, 'keys'), { recursive: true });
    const key = path.join(root, 'keys', 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    assert.equal(await vscode.commands.executeCommand('greenlight.deploy.setIdentityFile', 'staging', vscode.Uri.file(key)), true);
    const text = readFileSync(configFile, 'utf8');
    assert.match(text, /\n {6}identityFile: "keys\/id_ed25519"\n/, text);
    assert.ok(text.startsWith('# A shop'), 'the comments stay');

    const st = await waitFor('staging to be asked again', async () => {
      const x = await s.environments.status.get('staging');
      return x.problemKind !== 'not-configured' ? x : undefined;
    }, 40_000);
    // The fixture pins a made-up key for 198.18.77.2; the test bed's sshd offers its real one.
    assert.equal(st.problemKind, 'host-key', st.problem);
    const env = (await s.environments.getChildren()).find((n) => n.kind === 'environment' && n.env.name === 'staging')!;
    const row = (await s.environments.getChildren(env)).find((n) => n.kind === 'unreachable')!;
    const item = s.environments.getTreeItem(row);
    assert.equal(item.label, 'Host key not trusted');
    assert.equal(item.contextValue, 'greenlight.environmentError.host-key');
    assert.equal(item.command?.command, 'greenlight.deploy.trustHostKey');
    await waitFor('the status bar to say "host key not trusted"', () => s.statusBar.item.text === '$(shield) staging: host key not trusted');
    await s.migrations.refresh();
    assert.deepEqual(s.migrations.panelState().targets.find((t) => t.id === 'env:staging')?.fix, { kind: 'host-key', title: 'Trust Host Key…' });
    await vscode.workspace.getConfiguration('greenlight').update('activeEnvironment', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('"Open Shell" runs ssh in a terminal with the pinned host key only: it logs in to the test bed, and refuses a host whose key is not the pinned one', async function () {
    this.timeout(90_000);
    const bed = Object.fromEntries([...readFileSync('/tmp/greenlight-testbed/env', 'utf8').matchAll(/^export ([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|(\S*))$/gm)].map((m) => [m[1]!, m[2] ?? m[3] ?? '']));
    const text = readFileSync(configFile, 'utf8').replace(
      /^environments:\n/m,
      `environments:\n  bed:\n    ssh:\n      host: ${bed.PROD_SSH_HOST}\n      port: ${bed.PROD_SSH_PORT}\n      user: ${bed.PROD_SSH_USER}\n      identityFile: ${bed.PROD_SSH_KEY}\n      hostKey: "${bed.PROD_SSH_HOST_KEY}"\n    database: { name: shop, user: shop }\n` +
        `  impostor:\n    ssh:\n      host: ${bed.PROD_SSH_HOST}\n      port: ${bed.PROD_SSH_PORT}\n      user: ${bed.PROD_SSH_USER}\n      identityFile: ${bed.PROD_SSH_KEY}\n      hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyPinnedForTheFixtureOnly0000000000"\n    database: { name: shop, user: shop }\n`,
    );
    writeFileSync(configFile, text);
    await waitFor('the bed environments', async () => (await s.project.refresh())?.environments.some((e) => e.name === 'impostor'));
    const closed = (t: vscode.Terminal): Promise<number | undefined> =>
      new Promise((resolve) => {
        const sub = vscode.window.onDidCloseTerminal((x) => {
          if (x !== t) return;
          sub.dispose();
          resolve(x.exitStatus?.code);
        });
      });

    const refused = await vscode.commands.executeCommand<vscode.Terminal>('greenlight.environments.openShell', 'impostor');
    assert.ok(refused, 'no terminal for impostor');
    assert.equal(await closed(refused), 255, 'ssh must refuse a host whose key is not the pinned one');

    const shell = await vscode.commands.executeCommand<vscode.Terminal>('greenlight.environments.openShell', 'bed');
    assert.ok(shell, 'no terminal for bed');
    const exit = closed(shell);
    // Typed into the remote shell: its exit code comes back only if ssh logged in.
    await new Promise((r) => setTimeout(r, 3000));
    shell.sendText('exit 7');
    assert.equal(await exit, 7);
    writeFileSync(configFile, original);
    await s.project.refresh();
  });

  test('database passwords are kept per workspace folder: two projects named alike do not share one', async () => {
    const a = new EnvironmentSecrets(s.context.secrets, s.prompts, () => 'file:///work/a');
    const b = new EnvironmentSecrets(s.context.secrets, s.prompts, () => 'file:///work/b');
    try {
      await a.store('my-app', 'production', 'password-of-a');
      assert.equal(await a.stored('my-app', 'production'), 'password-of-a');
      assert.equal(await b.stored('my-app', 'production'), undefined);
      // The live one keys by this window's folder, so it does not see a's either.
      assert.equal(await s.secrets.stored('my-app', 'production'), undefined);
      assert.ok(await s.context.secrets.get(EnvironmentSecrets.key(vscode.workspace.workspaceFolders![0]!.uri.toString(), 'my-app', 'production')) === undefined);
      await s.secrets.store('my-app', 'production', 'password-here');
      assert.equal(await s.context.secrets.get(EnvironmentSecrets.key(vscode.workspace.workspaceFolders![0]!.uri.toString(), 'my-app', 'production')), 'password-here');
    } finally {
      await a.forget('my-app', 'production');
      await s.secrets.forget('my-app', 'production');
    }
  });

  test('Deploy, Roll Back and Back Up Now are offered only when they can work (enablement), and their context keys follow the project', async () => {
    const manifest = s.context.extension.packageJSON as { contributes: { commands: { command: string; enablement?: string }[] } };
    const enablement = (id: string): string | undefined => manifest.contributes.commands.find((c) => c.command === id)?.enablement;
    assert.match(enablement('greenlight.deploy.deployTestedImage') ?? '', /greenlight\.hasTestedImage/);
    assert.match(enablement('greenlight.deploy.rollBack') ?? '', /greenlight\.hasEnvironments/);
    assert.match(enablement('greenlight.deploy.backUpNow') ?? '', /greenlight\.hasDatabaseEnvironment/);
    for (const id of ['greenlight.backups.delete', 'greenlight.backups.restore', 'greenlight.images.remove', 'greenlight.deploy.trustHostKey']) {
      assert.match(enablement(id) ?? '', /isWorkspaceTrusted/, id);
    }
  });
});
