// Everyday operations on any container of an environment's host, in the real VS Code against the
// test bed's production host (test/testbed/up.sh): a container Greenlight did not start (a busybox
// httpd of the test bed's image, named extops-…, printing one line at start) shows in the
// Environments view; View Logs' terminal shows its line; Restart gives it a new start time; Stop
// stops it after the modal is answered; Open in Browser's forwarded loopback port answers HTTP.
// Questions are answered through services.prompts; the browser is not opened: the test fetches the URL.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerLogsSession } from '../../../src/extension/commands/environments/containers';
import type { Prompts } from '../../../src/extension/commands/deploy/prompts';
import type { Services } from '../../../src/extension/services';
import type { EnvironmentsNode } from '../../../src/extension/views/environmentsView';
import { activeApi, waitFor, workspaceRoot } from './helpers';

const ENV_FILE = '/tmp/greenlight-testbed/env';
const IMAGE = 'greenlight-test/busybox-app:extops';

function testbed(): Record<string, string> {
  if (!existsSync(ENV_FILE)) throw new Error(`the test bed is not up: ${ENV_FILE} is missing (run: bash test/testbed/up.sh)`);
  const out: Record<string, string> = {};
  for (const m of readFileSync(ENV_FILE, 'utf8').matchAll(/^export ([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|(\S*))$/gm)) out[m[1]!] = m[2] ?? m[3] ?? '';
  return out;
}

suite('(host) containers: every container of the host in the Environments view, with logs, restart, stop and Open in Browser', function () {
  this.timeout(180_000);
  let s: Services;
  let root: string;
  let bed: Record<string, string>;
  let original: string;
  let realPrompts: Prompts;
  const name = `extops-${randomBytes(4).toString('hex')}`;
  const hello = `extops says hello ${randomBytes(4).toString('hex')}`;
  const modals: { message: string; detail: string; actions: string[] }[] = [];
  const opened: string[] = [];
  const logs: ContainerLogsSession[] = [];
  let closeForward: (() => void) | undefined;

  const prodDocker = (...args: string[]): string => execFileSync('docker', ['-H', `unix://${bed.PROD_DOCKER_SOCK}`, ...args], { encoding: 'utf8' }).trim();
  const startedAt = (): string => prodDocker('inspect', '--format', '{{.State.StartedAt}}', name);
  const running = (): boolean => prodDocker('inspect', '--format', '{{.State.Running}}', name) === 'true';

  async function containerNode(): Promise<Extract<EnvironmentsNode, { kind: 'container' }>> {
    const top = await s.environments.getChildren();
    const env = top.find((x) => x.kind === 'environment' && x.env.name === 'production');
    assert.ok(env, 'the Environments view has no production row');
    const rows = await s.environments.getChildren(env);
    const group = rows.find((x) => x.kind === 'containers');
    assert.ok(group, `no "Containers on the host" row under production: ${JSON.stringify(rows.map((r) => r.kind))}`);
    const list = await s.environments.getChildren(group);
    const mine = list.find((x) => x.kind === 'container' && x.container.name === name);
    assert.ok(mine && mine.kind === 'container', `${name} is not listed; the view lists ${list.map((x) => (x.kind === 'container' ? x.container.name : x.kind)).join(', ')}`);
    return mine;
  }

  suiteSetup(async function () {
    this.timeout(150_000);
    bed = testbed();
    s = (await activeApi()).services;
    realPrompts = { ...s.prompts };
    root = workspaceRoot().fsPath;
    const file = path.join(root, 'greenlight.yaml');
    original = readFileSync(file, 'utf8');
    // The test bed project, its production host key pinned (the deploy suite pins it through the
    // Trust flow; here the pin is a given).
    const fixture = path.join(process.env.GREENLIGHT_HOST_REPO ?? path.resolve(__dirname, '../../../..'), 'test/host/workspaces/testbed/greenlight.yaml');
    const text = readFileSync(fixture, 'utf8').replace(
      '      identityFile: /tmp/greenlight-testbed/ssh/id_ed25519\n    docker:',
      `      identityFile: /tmp/greenlight-testbed/ssh/id_ed25519\n      hostKey: ${bed.PROD_SSH_HOST_KEY}\n    docker:`,
    );
    assert.ok(text.includes('hostKey:'), 'the testbed fixture changed shape: no place for the host key');
    writeFileSync(file, text);
    // A container Greenlight did not start, from the test bed's image (built on the production
    // engine when missing), publishing its web port on the host's loopback only.
    const repo = process.env.GREENLIGHT_HOST_REPO ?? path.resolve(__dirname, '../../../..');
    if (!prodDocker('images', '-q', IMAGE)) execFileSync('bash', [path.join(repo, 'test/testbed/images.sh'), '-H', `unix://${bed.PROD_DOCKER_SOCK}`, 'extops'], { encoding: 'utf8' });
    prodDocker('run', '-d', '--name', name, '-p', '127.0.0.1::8080', IMAGE, 'sh', '-c', `echo "${hello}"; exec /bin/busybox httpd -f -v -p 0.0.0.0:8080 -h /www`);
    // The image has busybox alone; a shell in it needs `sh` on its PATH, as real images have.
    prodDocker('exec', name, '/bin/busybox', 'ln', '-s', 'busybox', '/bin/sh');
    await waitFor('the project to load', async () => (await s.project.refresh())?.project === 'gltb', 30_000);
    s.environments.status.refresh();
    const p = s.prompts as { -readonly [K in keyof Prompts]: Prompts[K] };
    p.modal = async (message, detail, ...actions) => {
      modals.push({ message, detail, actions });
      return actions[0];
    };
    p.openExternal = async (uri) => {
      opened.push(uri.toString());
      return true;
    };
  });

  suiteTeardown(async () => {
    Object.assign(s.prompts, realPrompts);
    closeForward?.();
    for (const l of logs) l.terminal.dispose();
    try {
      prodDocker('rm', '-f', name);
    } catch {
      // already gone
    }
    writeFileSync(path.join(root, 'greenlight.yaml'), original);
    await s.project.refresh();
    s.environments.status.refresh();
  });

  test('the Environments view lists a container Greenlight did not start, with image, state and uptime', async () => {
    const node = await containerNode();
    const item = s.environments.getTreeItem(node);
    assert.equal(node.container.greenlight, undefined, 'a container started by hand is not marked as Greenlight\'s');
    assert.equal(node.container.image, IMAGE);
    assert.match(String(item.description), new RegExp(`${IMAGE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} · running · up \\d+s`));
    assert.equal(item.contextValue, 'greenlight.hostContainer');
    assert.ok(node.container.ports.some((p) => p.container === 8080 && p.host !== undefined), `the published port is listed: ${JSON.stringify(node.container.ports)}`);
  });

  test('View Logs opens a terminal that shows the line the container printed', async () => {
    const node = await containerNode();
    const session = (await vscode.commands.executeCommand('greenlight.containers.viewLogs', node)) as ContainerLogsSession | undefined;
    assert.ok(session, 'View Logs returned no session');
    logs.push(session);
    await waitFor(`"${hello}" in the logs terminal`, () => session.text().includes(hello), 30_000);
    assert.match(session.terminal.name, new RegExp(name));
  });

  test('Restart asks first, then the container has a new start time; the followed log says the container stopped', async () => {
    const before = startedAt();
    const node = await containerNode();
    modals.length = 0;
    const r = (await vscode.commands.executeCommand('greenlight.containers.restart', node)) as { name: string; startedAt: string } | undefined;
    assert.equal(modals.length, 1, 'one confirmation');
    assert.match(modals[0]!.message, new RegExp(`Restart container ${name} on production`));
    assert.match(modals[0]!.detail, /Greenlight did not start it/);
    assert.ok(r, 'the restart returned nothing');
    const after = startedAt();
    assert.notEqual(after, before, 'the start time did not change');
    assert.equal(Date.parse(r.startedAt), Date.parse(after));
    assert.ok(running());
    const session = logs[0];
    assert.ok(session);
    await session.ended;
    assert.match(session.text(), /log stream ended: \d+ lines; the container stopped/);
  });

  test('Open Shell in Container: an integrated terminal running ssh, then docker exec on the host; what is typed runs in the container', async function () {
    this.timeout(60_000);
    const node = await containerNode();
    const shell = (await vscode.commands.executeCommand('greenlight.containers.openShell', node)) as vscode.Terminal | undefined;
    assert.ok(shell, 'no terminal');
    const exit = new Promise<number | undefined>((resolve) => {
      const sub = vscode.window.onDidCloseTerminal((x) => {
        if (x !== shell) return;
        sub.dispose();
        resolve(x.exitStatus?.code);
      });
    });
    const marker = `/extops-shell-${randomBytes(3).toString('hex')}`;
    // Typed into the container's shell (the image has no /tmp): the file appears inside the container, and its exit code comes back through docker and ssh.
    await new Promise((r) => setTimeout(r, 4000));
    shell.sendText(`/bin/busybox touch ${marker}; exit 7`);
    assert.equal(await exit, 7);
    assert.equal(prodDocker('exec', name, '/bin/busybox', 'ls', marker), marker);
  });

  test('Open in Browser forwards a loopback port over SSH to the container, and it answers HTTP', async () => {
    const node = await containerNode();
    const r = (await vscode.commands.executeCommand('greenlight.containers.openInBrowser', node)) as { url: string; close(): void } | undefined;
    assert.ok(r, 'Open in Browser returned nothing');
    closeForward = r.close;
    assert.match(r.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.deepEqual(opened, [r.url], 'the URL went to openExternal');
    const res = await fetch(`${r.url}cgi-bin/health`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /"version":"extops"/);
    // Once closed, the local port answers no more.
    r.close();
    closeForward = undefined;
    await waitFor('the forward to close', async () => {
      try {
        await fetch(r.url, { signal: AbortSignal.timeout(2000) });
        return false;
      } catch {
        return true;
      }
    });
  });

  test('Stop asks first; declined changes nothing, confirmed stops the container', async () => {
    const node = await containerNode();
    const p = s.prompts as { -readonly [K in keyof Prompts]: Prompts[K] };
    p.modal = async (message, detail, ...actions) => {
      modals.push({ message, detail, actions });
      return undefined;
    };
    modals.length = 0;
    assert.equal(await vscode.commands.executeCommand('greenlight.containers.stop', node), undefined);
    assert.equal(modals.length, 1);
    assert.ok(running(), 'a declined Stop stopped the container');
    // A row of Greenlight's serving container: the question says production is affected (declined here).
    const serving = { ...node, container: { ...node.container, greenlight: { project: 'gltb', service: 'web', version: 'v9', role: 'current', serving: true } } };
    modals.length = 0;
    assert.equal(await vscode.commands.executeCommand('greenlight.containers.stop', serving), undefined);
    assert.equal(await vscode.commands.executeCommand('greenlight.containers.restart', serving), undefined);
    assert.match(modals[0]!.detail, /serving container of web \(v9\) on production: stopping it takes the service down in production/);
    assert.match(modals[1]!.detail, /serving container of web \(v9\) on production: production traffic gets no answer while it restarts/);
    assert.ok(running());
    modals.length = 1;
    p.modal = async (message, detail, ...actions) => {
      modals.push({ message, detail, actions });
      return actions[0];
    };
    const r = (await vscode.commands.executeCommand('greenlight.containers.stop', node)) as { running: boolean } | undefined;
    assert.equal(modals.length, 2);
    assert.match(modals[1]!.message, new RegExp(`Stop container ${name} on production`));
    assert.equal(r?.running, false);
    assert.equal(running(), false);
  });
});
