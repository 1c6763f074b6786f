// First run in the real VS Code: "Greenlight: Create Project File" on the workspace copy turned
// into a small Node project without greenlight.yaml (package.json "todo-app", a Dockerfile with
// EXPOSE 3000 and a HEALTHCHECK, the fixture's migrations/), its two input boxes answered through
// services.prompts; then "Set Database Password…", the walkthrough's password step. The original
// greenlight.yaml is put back for the suites that follow.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/core/config/load';
import type { Prompts } from '../../../src/extension/commands/deploy/prompts';
import { activeApi, greenlight, waitFor, workspaceRoot } from './helpers';

const file = (name: string): vscode.Uri => vscode.Uri.joinPath(workspaceRoot(), name);

suite('(host) first run: Create Project File and the walkthrough', () => {
  let original: Uint8Array;
  let realPrompts: Prompts;

  suiteSetup(async () => {
    const { services } = await activeApi();
    realPrompts = { ...services.prompts };
    original = await vscode.workspace.fs.readFile(file('greenlight.yaml'));
    await vscode.workspace.fs.writeFile(file('package.json'), Buffer.from(JSON.stringify({ name: 'todo-app', version: '1.0.0' })));
    await vscode.workspace.fs.writeFile(file('Dockerfile'), Buffer.from('FROM node:22-slim\nEXPOSE 3000\nHEALTHCHECK CMD wget -qO- http://127.0.0.1:3000/healthz || exit 1\n'));
    await vscode.workspace.fs.delete(file('greenlight.yaml'));
    await waitFor('the service to notice that greenlight.yaml is gone', async () => (await services.project.refresh())?.found === false);
  });

  suiteTeardown(async () => {
    const { services } = await activeApi();
    Object.assign(services.prompts, realPrompts);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(file('package.json')).then(undefined, () => undefined);
    await vscode.workspace.fs.delete(file('Dockerfile')).then(undefined, () => undefined);
    if (original) await vscode.workspace.fs.writeFile(file('greenlight.yaml'), original);
    await waitFor('greenlight.yaml back for the next suites', async () => (await services.project.refresh())?.ok === true);
  });

  test('the manifest offers the command and a walkthrough whose steps complete on real events', () => {
    const c = greenlight().packageJSON.contributes;
    assert.ok(c.commands.some((x: { command: string; title: string }) => x.command === 'greenlight.config.create' && x.title === 'Create Project File'));
    const w = c.walkthroughs.find((x: { id: string }) => x.id === 'greenlight.gettingStarted');
    assert.deepEqual(
      w.steps.map((s: { id: string; completionEvents: string[] }) => [s.id, s.completionEvents]),
      [
        ['createProjectFile', ['onContext:greenlight.configFound']],
        ['trustHostKey', ['onContext:greenlight.hostKeyPinned']],
        ['storeDatabasePassword', ['onCommand:greenlight.deploy.setDatabasePassword']],
        ['buildAndTest', ['onCommand:greenlight.images.test']],
        ['deploy', ['onCommand:greenlight.deploy.deployTestedImage']],
      ],
    );
  });

  test('Create Project File asks only for the SSH host and user and writes a file that validates', async () => {
    const { services } = await activeApi();
    const asked: string[] = [];
    const answers = ['198.18.77.2:2222', 'deploy'];
    const infos: string[] = [];
    const p = services.prompts as { -readonly [K in keyof Prompts]: Prompts[K] };
    p.showInputBox = async (options) => {
      asked.push(options.title ?? '');
      const v = answers.shift();
      assert.ok(v !== undefined, `unexpected input box "${options.title}"`);
      if (options.validateInput) assert.equal(await options.validateInput(v), undefined, `"${v}" is refused by "${options.title}"`);
      return v;
    };
    p.showInformationMessage = async (message) => {
      infos.push(message);
      return undefined;
    };
    const uri = (await vscode.commands.executeCommand('greenlight.config.create')) as vscode.Uri | undefined;
    assert.equal(uri?.fsPath, file('greenlight.yaml').fsPath);
    assert.deepEqual(asked, ['Create Project File (1/2): SSH host of the production server', 'Create Project File (2/2): SSH user']);
    const text = Buffer.from(await vscode.workspace.fs.readFile(file('greenlight.yaml'))).toString('utf8');
    const r = parseConfig(text, file('greenlight.yaml').fsPath);
    assert.ok(r.ok, `the file does not validate: ${JSON.stringify(!r.ok && r.problems)}\n${text}`);
    assert.equal(r.config.project, 'todo-app');
    assert.deepEqual(r.config.services.map((s) => [s.name, s.port, s.health.path]), [['web', 3000, '/healthz']]);
    assert.equal(r.config.database?.migrations, 'migrations');
    assert.deepEqual(parse(text).environments.production.ssh, { host: '198.18.77.2', port: 2222, user: 'deploy' });
    assert.match(text, /# From EXPOSE in Dockerfile\./);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, file('greenlight.yaml').fsPath, 'the new file is open');
    assert.match(infos.join('\n'), /Created greenlight\.yaml from package\.json "todo-app", Dockerfile/);
    // The walkthrough's first step completes on greenlight.configFound, which follows the service's summary.
    await waitFor('the project summary to see the new file', () => services.project.summary?.ok === true && services.project.summary.project === 'todo-app');

    // A second run opens the file instead of overwriting it.
    const before = text;
    asked.length = 0;
    await vscode.commands.executeCommand('greenlight.config.create');
    assert.deepEqual(asked, [], 'nothing is asked when the file exists');
    assert.equal(Buffer.from(await vscode.workspace.fs.readFile(file('greenlight.yaml'))).toString('utf8'), before);
  });

  test('Set Database Password… (the walkthrough password step) stores it in secret storage', async () => {
    const { services } = await activeApi();
    const p = services.prompts as { -readonly [K in keyof Prompts]: Prompts[K] };
    p.showInputBox = async (options) => {
      assert.equal(options.password, true, 'typed as a password');
      return 's3cret-for-host-test';
    };
    const stored = await vscode.commands.executeCommand('greenlight.deploy.setDatabasePassword', 'production');
    assert.equal(stored, true);
    assert.equal(await services.secrets.stored('todo-app', 'production'), 's3cret-for-host-test');
    await services.secrets.forget('todo-app', 'production');
  });
});
