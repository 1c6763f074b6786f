// Deploy, roll back, back up and the Environments/Backups/Images views, driven in the real VS Code
// against the REAL production host of the test bed (test/testbed/up.sh: a network namespace with
// its own sshd, dockerd and PostgreSQL). The workspace becomes test/host/workspaces/testbed for the
// length of this suite (a git repository, so the images engine can version its builds); images are
// built and tested by the images engine through the service, exactly as the commands do.
// Questions are answered through services.prompts, the test hook the commands ask through.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Prompts } from '../../../src/extension/commands/deploy/prompts';
import type { Services } from '../../../src/extension/services';
import type { BackupsNode } from '../../../src/extension/views/backupsView';
import type { EnvironmentsNode } from '../../../src/extension/views/environmentsView';
import type { ImagesNode } from '../../../src/extension/views/imagesView';
import { activeApi, waitFor, workspaceRoot } from './helpers';

const ENV_FILE = '/tmp/greenlight-testbed/env';
const PASSWORD = 'apppass';

function testbed(): Record<string, string> {
  if (!existsSync(ENV_FILE)) throw new Error(`the test bed is not up: ${ENV_FILE} is missing (run: bash test/testbed/up.sh)`);
  const out: Record<string, string> = {};
  for (const m of readFileSync(ENV_FILE, 'utf8').matchAll(/^export ([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|(\S*))$/gm)) out[m[1]!] = m[2] ?? m[3] ?? '';
  return out;
}

function fingerprintOf(keyLine: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(keyLine.split(' ')[1]!, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** A syntactically valid ed25519 key line that no host has. */
function strangerKey(): string {
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number): Buffer => Buffer.from([0, 0, 0, n]);
  return `ssh-ed25519 ${Buffer.concat([len(type.length), type, len(32), Buffer.alloc(32, 7)]).toString('base64')}`;
}

/** What the fake user was asked and told. */
interface Transcript {
  picks: { title?: string; labels: string[] }[];
  inputs: string[];
  modals: { message: string; detail: string; actions: string[] }[];
  infos: string[];
  errors: string[];
  progress: string[];
}

suite('(host) deploy: Deploy Tested Image, Roll Back, backups and the views on the test bed production host', function () {
  this.timeout(240_000);
  let s: Services;
  let root: string;
  let bed: Record<string, string>;
  let originalConfig: Buffer;
  let realPrompts: Prompts;
  let t: Transcript;
  const versions: string[] = [];

  const sh = (cmd: string, args: string[], cwd = root): string => execFileSync(cmd, args, { cwd, encoding: 'utf8' });
  const commit = (msg: string): void => {
    sh('git', ['add', '-A']);
    sh('git', ['-c', 'user.email=host-test@greenlight.invalid', '-c', 'user.name=host-test', 'commit', '-q', '--allow-empty', '-m', msg]);
  };
  const prodDocker = (...args: string[]): string => execFileSync('docker', ['-H', `unix://${bed.PROD_DOCKER_SOCK}`, ...args], { encoding: 'utf8' });
  const configText = (): string => readFileSync(path.join(root, 'greenlight.yaml'), 'utf8');

  /** Answers the questions with `answers` (by kind, in order) and records everything. */
  function answer(answers: { picks?: ((items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined)[]; inputs?: string[]; modals?: (string | undefined)[]; errors?: (string | undefined)[]; warnings?: (string | undefined)[]; cancelWhen?: RegExp }): Transcript {
    const tr: Transcript = { picks: [], inputs: [], modals: [], infos: [], errors: [], progress: [] };
    const picks = [...(answers.picks ?? [])];
    const inputs = [...(answers.inputs ?? [])];
    const modals = [...(answers.modals ?? [])];
    const errors = [...(answers.errors ?? [])];
    const warnings = [...(answers.warnings ?? [])];
    const p = s.prompts as { -readonly [K in keyof Prompts]: Prompts[K] };
    p.showQuickPick = (async (items: readonly vscode.QuickPickItem[], options: vscode.QuickPickOptions) => {
      tr.picks.push({ title: options.title, labels: items.map((i) => i.label) });
      const f = picks.shift();
      assert.ok(f, `unexpected quick pick "${options.title}"`);
      return f(items);
    }) as Prompts['showQuickPick'];
    p.showInputBox = async (options) => {
      tr.inputs.push(options.title ?? options.prompt ?? '');
      const v = inputs.shift();
      assert.ok(v !== undefined, `unexpected input box "${options.title}"`);
      if (options.validateInput) assert.equal(await options.validateInput(v), undefined, `the test's answer "${v}" is not valid for "${options.title}"`);
      return v;
    };
    p.modal = async (message, detail, ...actions) => {
      tr.modals.push({ message, detail, actions });
      return modals.shift();
    };
    p.showInformationMessage = async (message) => {
      tr.infos.push(message);
      return undefined;
    };
    p.showWarningMessage = async (message) => {
      tr.infos.push(`warning: ${message}`);
      return warnings.shift();
    };
    p.showErrorMessage = async (message) => {
      tr.errors.push(message);
      return errors.shift();
    };
    p.withProgress = (options, task) =>
      realPrompts.withProgress(options, (progress, token) => {
        const cts = new vscode.CancellationTokenSource();
        token.onCancellationRequested(() => cts.cancel());
        return task(
          {
            report: (v) => {
              if (v.message) tr.progress.push(v.message);
              if (answers.cancelWhen && v.message && answers.cancelWhen.test(v.message)) cts.cancel();
              progress.report(v);
            },
          },
          cts.token,
        );
      });
    t = tr;
    return tr;
  }
  const pick = (label: string | RegExp) => (items: readonly vscode.QuickPickItem[]) => {
    const it = items.find((i) => (typeof label === 'string' ? i.label === label : label.test(i.label)));
    assert.ok(it, `no item ${label} among ${items.map((i) => i.label).join(', ')}`);
    return it;
  };

  async function envNode(): Promise<EnvironmentsNode> {
    const top = await s.environments.getChildren();
    const n = top.find((x) => x.kind === 'environment' && x.env.name === 'production');
    assert.ok(n, `the Environments view has no production row: ${JSON.stringify(top)}`);
    return n;
  }
  async function buildAndTest(): Promise<string> {
    const b = await s.client.runJob('images.build', { workspaceRoot: root });
    assert.equal(b.dirty, false, 'the build should be from a clean commit');
    const r = await s.client.runJob('images.test', { workspaceRoot: root, version: b.version });
    assert.ok(r.passed, `image test failed: ${JSON.stringify(r.failure)}`);
    versions.push(b.version);
    return b.version;
  }
  const serving = async (): Promise<string | undefined> => {
    s.environments.status.refresh('production');
    const st = await s.environments.status.get('production');
    assert.ok(st.reachable, `production not reachable: ${st.problem}`);
    const web = st.services.find((x) => x.service === 'web');
    return web?.healthy ? web.version : undefined;
  };

  /** The Greenlight output channel's lines of this suite, shown when a test fails. */
  const outputLines: string[] = [];
  teardown(function () {
    if (this.currentTest?.state === 'failed') console.log(`      output channel:\n        ${outputLines.slice(-60).join('\n        ')}`);
    outputLines.length = 0;
  });

  suiteSetup(async function () {
    this.timeout(120_000);
    bed = testbed();
    s = (await activeApi()).services;
    const out = s.output as unknown as Record<'info' | 'warn' | 'error', (m: string) => void>;
    for (const level of ['info', 'warn', 'error'] as const) {
      const orig = out[level].bind(s.output);
      out[level] = (m: string) => {
        outputLines.push(`${level}: ${m}`);
        orig(m);
      };
    }
    realPrompts = { ...s.prompts };
    root = workspaceRoot().fsPath;
    const fixture = path.join(process.env.GREENLIGHT_HOST_REPO ?? path.resolve(__dirname, '../../../..'), 'test/host/workspaces/testbed');
    const text = readFileSync(path.join(fixture, 'greenlight.yaml'), 'utf8');
    for (const [k, v] of [['PROD_SSH_HOST', 'host: 198.18.77.2'], ['PROD_SSH_USER', 'user: greenlight-deploy'], ['PROD_SSH_KEY', 'identityFile: /tmp/greenlight-testbed/ssh/id_ed25519'], ['PROD_DOCKER_SOCK', 'socket: /tmp/greenlight-testbed/prod/docker.sock']] as const) {
      assert.ok(text.includes(v.split(': ')[0] + ': ' + bed[k]), `test/host/workspaces/testbed/greenlight.yaml should say "${v}" but the test bed has ${k}=${bed[k]}`);
    }
    originalConfig = readFileSync(path.join(root, 'greenlight.yaml'));
    cpSync(fixture, root, { recursive: true });
    await s.secrets.forget('gltb', 'production');
    // The project's own database on the production host, fresh each run, so restores never touch
    // another suite's data and the first deploy always has a migration pending (hence a backup).
    execFileSync('ssh', ['-F', bed.PROD_SSH_CONFIG!, 'prod',
      `export PGPASSWORD=${PASSWORD}; dropdb -h 127.0.0.1 -U app --if-exists gltb && createdb -h 127.0.0.1 -U app gltb`]);
    // Start from a host without this project's containers: every run sees the same first deploy.
    const ids = prodDocker('ps', '-aq', '--filter', 'label=greenlight.project=gltb').split('\n').filter(Boolean);
    if (ids.length) prodDocker('rm', '-f', ...ids);
    sh('git', ['init', '-q']);
    commit('the testbed project');
    await waitFor('the testbed project to load', async () => (await s.project.refresh())?.project === 'gltb', 30_000);
  });

  suiteTeardown(async () => {
    Object.assign(s.prompts, realPrompts);
    if (originalConfig) writeFileSync(path.join(root, 'greenlight.yaml'), originalConfig);
    for (const f of ['Dockerfile', 'www', 'gltb-migrations', 'busybox', '.gitignore', '.git']) rmSync(path.join(root, f), { recursive: true, force: true });
    await s.project.refresh();
  });

  test('an unknown host key is refused with its fingerprint; "Trust This Key" pins it in greenlight.yaml', async () => {
    s.environments.status.refresh();
    const children = await s.environments.getChildren(await envNode());
    const row = children.find((c) => c.kind === 'unreachable');
    assert.ok(row && row.kind === 'unreachable', `expected the refusal row, got ${children.map((c) => c.kind).join(', ')}`);
    assert.equal(s.environments.getTreeItem(row).label, 'Host key not trusted');
    assert.match(row.status.problem ?? '', new RegExp(fingerprintOf(bed.PROD_SSH_HOST_KEY!).replace(/[+/]/g, '\\$&')));

    // Dismissing the dialog changes nothing.
    answer({ modals: [undefined] });
    assert.equal(await vscode.commands.executeCommand('greenlight.deploy.trustHostKey', 'production'), false);
    assert.ok(!/^\s+hostKey:/m.test(configText()), 'a dismissed dialog must not pin anything');
    assert.match(t.modals[0]!.detail, new RegExp(fingerprintOf(bed.PROD_SSH_HOST_KEY!).replace(/[+/]/g, '\\$&')));

    answer({ modals: ['Trust This Key'] });
    assert.equal(await vscode.commands.executeCommand('greenlight.deploy.trustHostKey', 'production'), true);
    assert.match(t.modals[0]!.message, /not known yet/);
    assert.ok(configText().includes(`      hostKey: "${bed.PROD_SSH_HOST_KEY}"\n`), configText());
    const st = await waitFor('production to answer', async () => (await s.environments.status.get('production')).reachable || undefined, 30_000);
    assert.ok(st);
  });

  test('a changed host key is refused; trusting the offered key replaces the pin', async () => {
    const file = path.join(root, 'greenlight.yaml');
    writeFileSync(file, configText().replace(bed.PROD_SSH_HOST_KEY!, strangerKey()));
    await s.project.refresh();
    const st = await s.environments.status.get('production');
    assert.equal(st.reachable, false);
    assert.equal(st.hostKeyRefused, true);
    assert.match(st.problem ?? '', /HOST KEY CHANGED/);
    answer({ modals: ['Trust This Key'] });
    assert.equal(await vscode.commands.executeCommand('greenlight.deploy.trustHostKey', 'production'), true);
    assert.match(t.modals[0]!.message, /CHANGED/);
    assert.equal(configText().match(/hostKey: /g)?.length, 1);
    assert.ok(configText().includes(`hostKey: "${bed.PROD_SSH_HOST_KEY}"`));
    commit('pin the production host key');
  });

  test('an unreachable environment is an error row with the reason, quickly, in both views', async () => {
    const started = Date.now();
    const top = await s.environments.getChildren();
    const staging = top.find((x) => x.kind === 'environment' && x.env.name === 'staging')!;
    const rows = await s.environments.getChildren(staging);
    const row = rows.find((r) => r.kind === 'unreachable');
    assert.ok(row && row.kind === 'unreachable', 'no error row for staging');
    assert.match(row.status.problem ?? '', /198\.18\.77\.2:2222|ECONNREFUSED|refused/i);
    const b = (await s.backups.getChildren()).find((n) => n.kind === 'env' && n.env === 'staging')!;
    const brows = await s.backups.getChildren(b);
    assert.equal(brows[0]?.kind, 'message');
    assert.equal(s.backups.getTreeItem(brows[0]!).label, 'Cannot list backups');
    assert.ok(Date.now() - started < 40_000, `took ${Date.now() - started} ms`);
  });

  test('images are built and tested by the images engine; the Images view shows the tested version', async () => {
    const v = await buildAndTest();
    await s.images.refresh();
    const svc = (await s.images.getChildren()).find((n) => n.kind === 'service' && n.service === 'web');
    assert.ok(svc, 'no web service in the Images view');
    const rows = s.images.getChildren(svc) as ImagesNode[];
    const row = rows.find((r) => r.kind === 'image' && r.row.version === v);
    assert.ok(row && row.kind === 'image', `version ${v} not in the Images view`);
    assert.equal(row.row.tested, 'passed');
    assert.match(String(s.images.getTreeItem(row).description), /✓ tested/);
  });

  test('palette "Deploy Tested Image": environment and tested version from quick picks, password asked once, the version serves', async () => {
    const v = versions[0]!;
    answer({ picks: [pick('production'), pick(v)], inputs: [PASSWORD] });
    await vscode.commands.executeCommand('greenlight.deploy.deployTestedImage');
    assert.deepEqual(t.errors, []);
    assert.deepEqual(t.picks[0]!.labels, ['production', 'staging']);
    // Tested versions first (newest first); anything untested only behind the separator and the override item.
    const labels = t.picks[1]!.labels;
    assert.equal(labels[0], v);
    const sep = labels.indexOf('');
    if (sep !== -1) assert.deepEqual(labels.slice(sep), ['', '$(warning) Deploy an untested version…']);
    const tested = new Set((await s.client.runJob('images.list', { workspaceRoot: root })).services.flatMap((x) => x.images.filter((i) => i.tested === 'passed').map((i) => i.version)));
    for (const l of sep === -1 ? labels : labels.slice(0, sep)) assert.ok(tested.has(l), `${l} is offered as tested but has no passing test`);
    assert.equal(t.inputs.length, 1, 'the password is asked once');
    assert.equal(await s.secrets.stored('gltb', 'production'), PASSWORD);
    assert.ok(t.progress.some((m) => /^backup/.test(m)) && t.progress.some((m) => /^post-checks/.test(m)), `progress steps: ${t.progress.join(' | ')}`);
    assert.match(t.infos[0] ?? '', new RegExp(`web ${v} is serving on production.*Backup production_gltb_`));
    assert.equal(await serving(), v);
  });

  test('the Environments view shows the running version with health and uptime, the lock and the last deploy; the status bar shows the version', async () => {
    const v = versions[0]!;
    s.environments.status.refresh('production');
    const children = await s.environments.getChildren(await envNode());
    const svc = children.find((c) => c.kind === 'service');
    assert.ok(svc && svc.kind === 'service');
    const item = s.environments.getTreeItem(svc);
    assert.equal(item.label, 'web');
    assert.match(String(item.description), new RegExp(`^${v} · healthy \\(HTTP 200\\) · up \\d+s`));
    const lock = children.find((c) => c.kind === 'lock')!;
    assert.equal(s.environments.getTreeItem(lock).label, 'Deploy lock free');
    const deploys = children.find((c) => c.kind === 'deploys')!;
    const audit = await s.environments.getChildren(deploys);
    assert.equal(audit[0]?.kind, 'audit');
    assert.equal(s.environments.getTreeItem(audit[0]!).label, `deploy ${v}`);
    assert.match(String(s.environments.getTreeItem(audit[0]!).description), /^succeeded · /);
    await waitFor('the status bar to show the version', () => s.statusBar.item.text.includes(v));
    assert.equal(s.statusBar.item.text, `$(server-environment) production: ${v}`);
  });

  test('the Backups view lists the pre-deploy backup, newest first, verified, with its deploy; Verify and Download work', async () => {
    const v = versions[0]!;
    s.backups.refresh();
    const env = (await s.backups.getChildren()).find((n) => n.kind === 'env' && n.env === 'production')!;
    const rows = (await s.backups.getChildren(env)) as BackupsNode[];
    const first = rows[0];
    assert.ok(first && first.kind === 'backup', `no backup rows: ${JSON.stringify(rows)}`);
    assert.equal(first.row.deployVersion, v);
    assert.equal(first.row.reason, 'pre-deploy');
    const desc = String(s.backups.getTreeItem(first).description);
    assert.match(desc, new RegExp(`^\\d+ (B|kB) · \\d+[smh] ago · ✓ verified · before deploy ${v}`));
    const sorted = rows.filter((r) => r.kind === 'backup').map((r) => (r.kind === 'backup' ? r.row.createdAt : ''));
    assert.deepEqual(sorted, [...sorted].sort().reverse(), 'newest first');

    answer({});
    assert.equal(await vscode.commands.executeCommand('greenlight.backups.verify', first), true);
    const to = path.join(os.tmpdir(), `gltb-${process.pid}.dump`);
    const p = s.prompts as { showSaveDialog: Prompts['showSaveDialog'] };
    p.showSaveDialog = async () => vscode.Uri.file(to);
    try {
      assert.equal(await vscode.commands.executeCommand('greenlight.backups.download', first), to);
      assert.equal(statSync(to).size, first.row.sizeBytes);
      assert.equal(createHash('sha256').update(readFileSync(to)).digest('hex'), first.row.sha256);
      assert.equal(statSync(to).mode & 0o777, 0o600);
    } finally {
      rmSync(to, { force: true });
    }
  });

  test('cancelling during the deploy, before the swap, leaves production untouched', async () => {
    const v2 = await buildAndTest();
    answer({ cancelWhen: /^start: / });
    await vscode.commands.executeCommand('greenlight.deploy.deployTestedImage', { env: 'production', image: `web:${v2}` });
    assert.match(t.infos.join('\n'), new RegExp(`cancelled.*production untouched: ${versions[0]} still serving`, 's'));
    assert.equal(await serving(), versions[0]);
  });

  test('second deploy (arguments skip the questions), then "Roll Back" to the previous version lists the release tasks since and never restores unasked', async () => {
    const [v1, v2] = versions;
    answer({});
    await vscode.commands.executeCommand('greenlight.deploy.deployTestedImage', { env: 'production', image: `web:${v2}` });
    assert.deepEqual(t.errors, []);
    assert.match(t.infos[0] ?? '', new RegExp(`web ${v2} is serving on production \\(was ${v1}, kept for rollback\\)`));
    assert.equal(await serving(), v2);

    answer({ picks: [pick('production'), pick(v1!)], modals: ['Roll Back'] });
    await vscode.commands.executeCommand('greenlight.deploy.rollBack');
    assert.deepEqual(t.errors, []);
    assert.equal(t.modals.length, 1, `only the rollback was confirmed: ${JSON.stringify(t.modals)}`);
    assert.match(t.modals[0]!.message, new RegExp(`from ${v2} to ${v1}`));
    // v2 ran its release task without a backup (no migration was pending): the dialog says so.
    assert.match(t.modals[0]!.detail, new RegExp(`Release tasks ran since ${v1}: ${v2} \\(.*release.*\\)\\. The code goes back, the database does not\\. No backup was taken before them\\.`));
    assert.deepEqual(t.infos, [`${v1} is serving on production (was ${v2}).`]);
    assert.equal(await serving(), v1);
  });

  test('a failed release task: production keeps serving, the pre-deploy backup is offered and restored only after the modal confirmation', async () => {
    // A new migration is pending (so the deploy takes a backup first), and the release task after it fails.
    writeFileSync(path.join(root, 'gltb-migrations/002_create_tags.sql'), 'CREATE TABLE IF NOT EXISTS gltb_tags (id bigint PRIMARY KEY, name text NOT NULL);\n');
    writeFileSync(path.join(root, 'www/release.sh'), 'echo "release: data fix-up failed" >&2\nexit 3\n');
    commit('a release task that fails');
    const v3 = await buildAndTest();
    const before = await serving();
    // First: the offer is taken but the confirmation dismissed: nothing is restored.
    answer({ errors: ['Restore Pre-Deploy Backup…'], modals: [undefined] });
    await vscode.commands.executeCommand('greenlight.deploy.deployTestedImage', { env: 'production', image: `web:${v3}` });
    assert.match(t.errors[0] ?? '', new RegExp(`Deploy of ${v3} failed: ${before} is serving on production\\. A release task failed \\(.*release\\)`));
    assert.equal(t.modals.length, 1);
    assert.match(t.modals[0]!.message, /^Restore backup production_gltb_\d{8}_\d{6} into app@127\.0\.0\.1\/gltb on production\?$/);
    assert.ok(!t.infos.some((m) => /^Restored /.test(m)), 'restored without confirmation');
    assert.equal(await serving(), before);
    const offered = /Restore backup (\S+) into/.exec(t.modals[0]!.message)![1]!;

    // Then from the Backups view, confirmed: the restore runs.
    s.backups.refresh('production');
    const env = (await s.backups.getChildren()).find((n) => n.kind === 'env' && n.env === 'production')!;
    const row = ((await s.backups.getChildren(env)) as BackupsNode[]).find((r) => r.kind === 'backup' && r.row.id === offered);
    assert.ok(row, `backup ${offered} not listed`);
    answer({ modals: ['Restore'] });
    assert.equal(await vscode.commands.executeCommand('greenlight.backups.restore', row), true);
    assert.match(t.infos.join('\n'), new RegExp(`Restored ${offered} into app@127.0.0.1/gltb on production`));
  });

  test('an untested version is offered only behind a typed reason and a modal confirmation', async () => {
    writeFileSync(path.join(root, 'www/release.sh'), 'echo "release: ok"\n');
    commit('release task fixed');
    const b = await s.client.runJob('images.build', { workspaceRoot: root });
    answer({ picks: [pick('production'), pick(/Deploy an untested version/), pick(b.version)], inputs: ['hotfix checked by hand on staging'], modals: [undefined] });
    await vscode.commands.executeCommand('greenlight.deploy.deployTestedImage');
    assert.ok(!t.picks[1]!.labels.includes(b.version), 'the untested version must not be among the tested ones');
    assert.match(t.modals[0]!.message, new RegExp(`Deploy the UNTESTED image web:${b.version} to production\\?`));
    assert.equal(await serving(), versions[0], 'declining the confirmation deploys nothing');
  });

  test('"Delete" on a backup asks first and removes it from the host', async () => {
    answer({});
    const b = await vscode.commands.executeCommand('greenlight.deploy.backUpNow', 'production');
    assert.equal(b, undefined);
    const id = /Backup (\S+) taken and verified/.exec(t.infos.join('\n'))?.[1];
    assert.ok(id, `no backup message: ${t.infos.join(' | ')} ${t.errors.join(' | ')}`);
    s.backups.refresh('production');
    const env = (await s.backups.getChildren()).find((n) => n.kind === 'env' && n.env === 'production')!;
    const row = ((await s.backups.getChildren(env)) as BackupsNode[]).find((r) => r.kind === 'backup' && r.row.id === id)!;
    assert.equal(row.kind === 'backup' && row.row.reason, 'manual');
    answer({ modals: [undefined] });
    assert.equal(await vscode.commands.executeCommand('greenlight.backups.delete', row), false);
    answer({ modals: ['Delete'] });
    assert.equal(await vscode.commands.executeCommand('greenlight.backups.delete', row), true);
    s.backups.refresh('production');
    const after = (await s.backups.getChildren(env)) as BackupsNode[];
    assert.ok(!after.some((r) => r.kind === 'backup' && r.row.id === id), `${id} still listed`);
  });

  test('a rollback and a backup in a terminal (the CLI) show in the Environments view, the status bar and the Backups view by themselves', async () => {
    const settings = vscode.workspace.getConfiguration('greenlight');
    const saved = settings.inspect('environments.refreshIntervalSeconds')?.globalValue;
    // No timer may do the refreshing in this test: only the terminal's own trace.
    await settings.update('environments.refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    try {
      const cli = (...args: string[]): string =>
        execFileSync(process.execPath, [path.join(process.env.GREENLIGHT_HOST_REPO!, 'dist/cli.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, GLTB_DB_PASSWORD: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
      const before = await serving();
      assert.ok(before, 'production serves a version before the rollback');
      await waitFor('the status bar to show the serving version', () => s.statusBar.item.text.includes(before));
      const out = cli('rollback', '--env', 'production');
      const to = /web (\S+) is serving on production/.exec(out)?.[1];
      assert.ok(to && to !== before, `the CLI rolled back to another version:\n${out}`);
      // Nothing here asks for a refresh: the service saw .greenlight/environments.changed.
      await waitFor(`the status bar to show ${to} without a refresh`, () => s.statusBar.item.text.includes(to), 30_000);
      const web = s.environments.status.peek('production')?.services.find((x) => x.service === 'web');
      assert.equal(web?.version, to);

      const env = (await s.backups.getChildren()).find((n) => n.kind === 'env' && n.env === 'production')!;
      const listed = async (): Promise<string[]> => ((await s.backups.getChildren(env)) as BackupsNode[]).flatMap((r) => (r.kind === 'backup' ? [r.row.id] : []));
      const known = await listed();
      const id = /^(\S+)\s+[\d.]+ MB\s+sha256/m.exec(cli('backup', 'create', '--env', 'production'))?.[1];
      assert.ok(id, 'the CLI printed the new backup');
      assert.ok(!known.includes(id));
      await waitFor(`${id} in the Backups view without a refresh`, async () => (await listed()).includes(id), 30_000);
    } finally {
      await settings.update('environments.refreshIntervalSeconds', saved, vscode.ConfigurationTarget.Global);
    }
  });

  test('greenlight.environments.refreshIntervalSeconds reads the hosts again on its own; 0 stops it', async () => {
    const settings = vscode.workspace.getConfiguration('greenlight');
    const saved = settings.inspect('environments.refreshIntervalSeconds')?.globalValue;
    const client = s.client;
    const original = client.runJob.bind(client);
    let reads = 0;
    client.runJob = ((kind: string, params: never, opts?: never) => {
      if (kind === 'deploy.status') reads++;
      return original(kind as never, params, opts);
    }) as typeof client.runJob;
    try {
      await s.environments.status.get('production');
      await settings.update('environments.refreshIntervalSeconds', 1, vscode.ConfigurationTarget.Global);
      await waitFor('two status reads from the timer', () => reads >= 2, 30_000);
      await settings.update('environments.refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
      await new Promise((r) => setTimeout(r, 1500));
      const stopped = reads;
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(reads, stopped, 'no reads once the interval is 0');
    } finally {
      client.runJob = original as typeof client.runJob;
      await settings.update('environments.refreshIntervalSeconds', saved, vscode.ConfigurationTarget.Global);
    }
  });

  test('secretEnv from the editor: a deploy asks once for a missing secret and the container has it; "Forget Secret" makes the next deploy ask again', async () => {
    const file = path.join(root, 'greenlight.yaml');
    const before = readFileSync(file);
    const name = 'GLTB_API_TOKEN';
    const first = `first-${process.pid}-${Date.now()}`;
    const second = `second-${process.pid}-${Date.now()}`;
    /** The environment of the container serving web (role current) on the production engine. */
    const servingEnv = (): string[] => {
      const id = prodDocker('ps', '-q', '--filter', 'label=greenlight.project=gltb', '--filter', 'label=greenlight.service=web', '--filter', 'label=greenlight.role=current').trim();
      assert.ok(id && !id.includes('\n'), `expected one serving web container, got "${id}"`);
      return JSON.parse(prodDocker('inspect', '--format', '{{json .Config.Env}}', id)) as string[];
    };
    try {
      writeFileSync(file, configText().replace(/^( {2}- name: web\n {4}port: 18310\n)/m, `$1    secretEnv: [${name}]\n`));
      assert.match(configText(), new RegExp(`secretEnv: \\[${name}\\]`));
      commit('web takes a secret');
      await waitFor('the project summary to name the secret', async () => (await s.project.refresh())?.services.find((x) => x.name === 'web')?.secretEnv.includes(name) || undefined, 30_000);
      await s.secrets.forgetSecretEnv('gltb', 'production', name);
      const [v1, v2] = versions.slice(0, 2);
      const now = await serving();
      const a = now === v1 ? v2! : v1!;
      const b = a === v1 ? v2! : v1!;

      answer({ inputs: [first] });
      await vscode.commands.executeCommand('greenlight.deploy.deployTestedImage', { env: 'production', service: 'web', image: `web:${a}` });
      assert.deepEqual(t.errors, []);
      assert.deepEqual(t.inputs, [`Secret ${name} for production`], 'asked for the missing secret, and only for it');
      assert.equal(await s.secrets.stored('gltb', 'production'), PASSWORD, 'the database password stays stored');
      assert.equal(await s.secrets.storedSecretEnv('gltb', 'production', name), first);
      assert.equal(await serving(), a);
      assert.ok(servingEnv().includes(`${name}=${first}`), `the container's environment has ${name}`);

      answer({});
      assert.equal(await vscode.commands.executeCommand('greenlight.deploy.forgetSecret', { env: 'production', name }), true);
      assert.equal(await s.secrets.storedSecretEnv('gltb', 'production', name), undefined);
      assert.match(t.infos[0] ?? '', new RegExp(`The secret ${name} of production was removed`));

      answer({ inputs: [second] });
      await vscode.commands.executeCommand('greenlight.deploy.deployTestedImage', { env: 'production', service: 'web', image: `web:${b}` });
      assert.deepEqual(t.errors, []);
      assert.equal(t.inputs.length, 1, 'asked again after Forget Secret');
      assert.equal(await serving(), b);
      const env = servingEnv();
      assert.ok(env.includes(`${name}=${second}`), `the container's environment has the new value of ${name}`);
      assert.ok(!env.includes(`${name}=${first}`));
      const logged = outputLines.join('\n');
      assert.ok(!logged.includes(first) && !logged.includes(second), 'a secret value reached the output channel');
    } finally {
      writeFileSync(file, before);
      commit('web without the secret again');
      await s.secrets.forgetSecretEnv('gltb', 'production', name);
      await s.project.refresh();
    }
  });
});
