// The Images view inside the real VS Code, on real images: the workspace becomes the small
// busybox project of test/host/workspaces/images (a git repository, a unique project name and
// ports), "Greenlight: Build Images" and "Greenlight: Test Images" run from the command palette's
// command ids, a third version is built by the CLI in a "terminal" (a child process), and the tree
// items of the live view must show ✓ tested, ✗ failed and untested, newest first. Needs the
// host Docker engine (bash test/testbed/up.sh); without it the suite fails and says so.
import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ImagesNode, ImagesView } from '../../../src/extension/views/imagesView';
import type { Services } from '../../../src/extension/services';
import type { JobKind } from '../../../src/service/protocol';
import { activeApi, waitFor, workspaceRoot } from './helpers';

interface JobCall {
  readonly kind: JobKind;
  done: boolean;
  result?: unknown;
  error?: string;
}

interface Row {
  readonly version: string;
  readonly label: string;
  readonly description: string;
  readonly icon: string;
  readonly contextValue: string;
}

/** What the view shows for one service: its tree item's description and each version's item. */
function viewRows(view: ImagesView, service: string): { description: string; rows: Row[] } | undefined {
  const node = view.getChildren().find((n): n is Extract<ImagesNode, { kind: 'service' }> => n.kind === 'service' && n.service === service);
  if (!node) return undefined;
  const rows = view.getChildren(node).map((child) => {
    const item = view.getTreeItem(child);
    assert.equal(child.kind, 'image');
    return {
      version: child.kind === 'image' ? child.row.version : '',
      label: String(item.label),
      description: String(item.description ?? ''),
      icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : '',
      contextValue: item.contextValue ?? '',
    };
  });
  return { description: String(view.getTreeItem(node).description ?? ''), rows };
}

suite('(host) images: the Images view shows built versions with their tested state', function () {
  this.timeout(300_000);
  const FILES = ['greenlight.yaml', 'smoke.sh', '.gitignore', 'service', '.git', '.greenlight', '.fail-next-test'];
  let services: Services;
  let root: string;
  let saved: Map<string, Buffer>;
  const project = `glhost${randomBytes(3).toString('hex')}`;
  const calls: JobCall[] = [];
  let restoreSpy: (() => void) | undefined;
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
  const commit = (message: string) => {
    git('add', '-A');
    git('-c', 'user.email=tests@example.invalid', '-c', 'user.name=tests', 'commit', '-qm', message);
  };
  /**
   * Waits for a palette command to end. Image commands end by showing a notification ("Built …",
   * "Tested …") and resolve when it closes, so this closes notifications until the command ends,
   * as a person would by dismissing them.
   */
  const commandEnded = async (command: Thenable<unknown>) => {
    let settled = false;
    const done = Promise.resolve(command).finally(() => (settled = true));
    await waitFor('the command to end once its notification is dismissed', async () => {
      await vscode.commands.executeCommand('notifications.clearAll');
      return settled;
    }, 30_000);
    await done;
  };
  /** Resolves when the command's job `kind` (the n-th one since `from`) ended in the service. */
  const jobEnded = (kind: JobKind, from: number) =>
    waitFor(`the ${kind} job to end in the background service`, () => calls.slice(from).find((c) => c.kind === kind && c.done), 180_000);

  suiteSetup(async function () {
    services = (await activeApi()).services;
    root = workspaceRoot().fsPath;
    const repo = process.env.GREENLIGHT_HOST_REPO;
    assert.ok(repo, 'GREENLIGHT_HOST_REPO is not set: run this suite through test/host/run.mjs');
    const health = await services.client.runJob('images.list', { workspaceRoot: root });
    assert.ok(health.dockerAvailable, `the Docker engine is not reachable at ${health.endpoint} (${health.problem}); run: bash test/testbed/up.sh`);
    assert.ok(existsSync('/usr/bin/busybox'), '/usr/bin/busybox is missing (apt-get install busybox-static)');

    // The demo workspace's files this suite replaces, restored afterwards for the suites after it.
    saved = new Map();
    for (const f of FILES) if (existsSync(path.join(root, f)) && !['service', '.git', '.greenlight'].includes(f)) saved.set(f, readFileSync(path.join(root, f)));
    const fixture = path.join(repo, 'test/host/workspaces/images');
    cpSync(fixture, root, { recursive: true });
    copyFileSync('/usr/bin/busybox', path.join(root, 'service/busybox'));
    // Ports of its own, so that a screenshot or another run on this machine never collides.
    const base = 20000 + Math.floor(Math.random() * 4000) * 2;
    const yaml = readFileSync(path.join(fixture, 'greenlight.yaml'), 'utf8')
      .replace(/^project: shop$/m, `project: ${project}`)
      .replace('port: 18080', `port: 18080\n    testPort: ${base}`)
      .replace('port: 18090', `port: 18090\n    testPort: ${base + 1}`);
    writeFileSync(path.join(root, 'greenlight.yaml'), yaml);
    git('init', '-q');
    commit('shop');

    // A spy, not a stub: every job still runs in the real service; this records which ones the
    // palette commands started and how they ended.
    const client = services.client;
    const original = client.runJob.bind(client);
    client.runJob = (async (kind: JobKind, params: never, opts?: never) => {
      const call: JobCall = { kind, done: false };
      calls.push(call);
      try {
        call.result = await original(kind, params, opts);
        return call.result;
      } catch (e) {
        call.error = e instanceof Error ? e.message : String(e);
        throw e;
      } finally {
        call.done = true;
      }
    }) as typeof client.runJob;
    restoreSpy = () => {
      client.runJob = original as typeof client.runJob;
    };
    await vscode.commands.executeCommand('greenlight.views.images.focus');
  });

  suiteTeardown(async () => {
    restoreSpy?.();
    await vscode.commands.executeCommand('notifications.clearAll');
    if (!services || !root) return;
    const listed = await services.client.runJob('images.list', { workspaceRoot: root }).catch(() => undefined);
    for (const s of listed?.services ?? []) {
      for (const img of s.images) await services.client.runJob('images.remove', { workspaceRoot: root, ref: img.tag }).catch(() => undefined);
    }
    for (const f of FILES) rmSync(path.join(root, f), { recursive: true, force: true });
    for (const [f, bytes] of saved ?? []) writeFileSync(path.join(root, f), bytes);
    await services.images.refresh();
  });

  let v1: string;
  let v2: string;

  test('"Greenlight: Build Images" runs images.build in the background service; the view lists both services, untested', async () => {
    const from = calls.length;
    // The command ends when its "Built …" notification closes, so it is not awaited here.
    const command = vscode.commands.executeCommand('greenlight.images.build');
    const call = await jobEnded('images.build', from);
    assert.equal(call.error, undefined, `the build failed: ${call.error}`);
    const built = call.result as { version: string; dirty: boolean; images: { service: string; tag: string }[] };
    v1 = built.version;
    assert.match(v1, /^v[0-9a-f]{7}-\d{8}-\d{6}$/, 'a clean workspace builds a version without -dirty');
    assert.deepEqual(built.images.map((i) => i.tag).sort(), [`web:${v1}`, `worker:${v1}`]);
    await commandEnded(command);
    for (const service of ['web', 'worker']) {
      const shown = await waitFor(`${service} ${v1} in the Images view`, () => viewRows(services.images, service));
      assert.deepEqual(shown.rows.map((r) => r.version), [v1]);
      const [row] = shown.rows;
      assert.equal(row!.label, v1);
      assert.match(row!.description, /^untested · 2\.0 MB · \d+[smhd] ago$/);
      assert.equal(row!.icon, 'circle-large-outline');
      assert.equal(row!.contextValue, 'greenlight.image.untested');
      assert.equal(shown.description, '1 version, 0 tested');
    }
  });

  test('"Greenlight: Test Images" tests the latest build in the service; the view marks it ✓ tested', async () => {
    const from = calls.length;
    const command = vscode.commands.executeCommand('greenlight.images.test');
    const call = await jobEnded('images.test', from);
    const r = call.result as { passed: boolean; version: string; failure?: { step: string; message: string } } | undefined;
    assert.equal(call.error, undefined, `the test job failed to run: ${call.error}`);
    assert.equal(r?.passed, true, `the test failed at ${r?.failure?.step}: ${r?.failure?.message}`);
    assert.equal(r?.version, v1);
    await commandEnded(command);
    for (const service of ['web', 'worker']) {
      const shown = viewRows(services.images, service)!;
      assert.equal(shown.rows[0]?.version, v1);
      assert.match(shown.rows[0]!.description, /^✓ tested · /);
      assert.equal(shown.rows[0]!.icon, 'pass-filled');
      assert.equal(shown.rows[0]!.contextValue, 'greenlight.image.passed');
      assert.equal(shown.description, '1 version, 1 tested');
    }
  });

  test('a version whose test command fails shows ✗ failed; the tested version keeps ✓', async () => {
    writeFileSync(path.join(root, 'service/www/index.html'), '<h1>shop, second release</h1>\n');
    commit('second release');
    let from = calls.length;
    let command = vscode.commands.executeCommand('greenlight.images.build');
    const build = await jobEnded('images.build', from);
    assert.equal(build.error, undefined, `the build failed: ${build.error}`);
    v2 = (build.result as { version: string }).version;
    assert.notEqual(v2, v1);
    await commandEnded(command);

    writeFileSync(path.join(root, '.fail-next-test'), 'the checkout page returns 500 (forced by the test)\n');
    try {
      from = calls.length;
      command = vscode.commands.executeCommand('greenlight.images.test');
      const call = await jobEnded('images.test', from);
      const r = call.result as { passed: boolean; version: string; failure?: { step: string; message: string } };
      assert.equal(call.error, undefined, `the test job failed to run: ${call.error}`);
      assert.equal(r.passed, false, 'the test command exits 1, so the test must fail');
      assert.equal(r.version, v2);
      assert.equal(r.failure?.step, 'test command');
      await commandEnded(command);
    } finally {
      rmSync(path.join(root, '.fail-next-test'), { force: true });
    }
    for (const service of ['web', 'worker']) {
      const shown = viewRows(services.images, service)!;
      assert.deepEqual(shown.rows.map((r) => r.version), [v2, v1], 'newest first');
      assert.match(shown.rows[0]!.description, /^✗ failed · /);
      assert.equal(shown.rows[0]!.icon, 'error');
      assert.equal(shown.rows[0]!.contextValue, 'greenlight.image.failed');
      assert.match(shown.rows[1]!.description, /^✓ tested · /);
      assert.equal(shown.description, '2 versions, 1 tested');
    }
  });

  test('a build in a terminal (the CLI) appears in the view by itself, untested, above the others', async () => {
    const repo = process.env.GREENLIGHT_HOST_REPO!;
    const cli = path.join(repo, 'dist/cli.js');
    writeFileSync(path.join(root, 'service/www/index.html'), '<h1>shop, third release</h1>\n');
    commit('third release');
    const before = calls.length;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [cli, 'build'], { cwd: root, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
        err ? reject(new Error(`greenlight build failed: ${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const v3 = /web:(v\S+)/.exec(out)?.[1];
    assert.ok(v3, `the CLI printed no web:<version> line:\n${out}`);
    // No command and no refresh from this test: the service saw .greenlight/ change and told the view.
    const shown = await waitFor(`${v3} in the Images view without a manual refresh`, () => {
      const s = viewRows(services.images, 'web');
      return s?.rows[0]?.version === v3 && s;
    });
    assert.deepEqual(shown.rows.map((r) => r.version), [v3, v2, v1]);
    assert.deepEqual(
      shown.rows.map((r) => r.description.split(' · ')[0]),
      ['untested', '✗ failed', '✓ tested'],
    );
    assert.equal(shown.description, '3 versions, 1 tested');
    assert.ok(calls.slice(before).every((c) => c.kind === 'images.list'), `only the view's own listing ran: ${calls.slice(before).map((c) => c.kind).join(', ')}`);
    v3built = v3;
  });

  let v3built: string | undefined;

  test('a "docker rmi" in a terminal removes the version from the view by itself; nothing under .greenlight/ changes', async () => {
    assert.ok(v3built, 'the previous test built a third version');
    const state = path.join(root, '.greenlight');
    const stamp = (): string =>
      execFileSync('find', [state, '-type', 'f', '-printf', '%P %s %T@\\n'], { encoding: 'utf8' }).split('\n').sort().join('\n');
    const before = stamp();
    // The docker CLI, as a person would type it: only the engine knows about this change.
    execFileSync('docker', ['rmi', `web:${v3built}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const shown = await waitFor(`web ${v3built} to leave the Images view without a manual refresh`, () => {
      const s = viewRows(services.images, 'web');
      return s && !s.rows.some((r) => r.version === v3built) && s;
    });
    assert.deepEqual(shown.rows.map((r) => r.version), [v2, v1]);
    assert.equal(shown.description, '2 versions, 1 tested');
    assert.deepEqual(viewRows(services.images, 'worker')?.rows.map((r) => r.version), [v3built, v2, v1], 'the other service keeps its third version');
    assert.equal(stamp(), before, 'the refresh came from the engine, not from a file under .greenlight/');
  });
});
