// The migration editor panel inside the real VS Code. The demo workspace gets two more migration
// files; the CLI (a child process, as in a terminal) applies the first two to the workspace's
// local PGlite database and the first is then edited, so the local database really holds one
// checksum-changed, one applied and one pending migration. The panel must list the three files in
// order with those states, the lint finding of the third, and both environments of the demo
// config as unreachable with the reason (they are never reached: no SSH key). "Verify this
// migration" on the third file then runs the service's verify on a scratch PGlite, and the panel
// and the file's CodeLens must show it as not idempotent at its statement's line.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelState } from '../../../src/extension/panels/migrationMessages';
import type { Services } from '../../../src/extension/services';
import type { MigrationVerifyDto } from '../../../src/service/protocol';
import { activeApi, waitFor, workspaceRoot } from './helpers';

const ADDED: Record<string, string> = {
  '002_create_customers.sql': 'CREATE TABLE IF NOT EXISTS customers (\n  id bigserial PRIMARY KEY,\n  email text NOT NULL UNIQUE\n);\n',
  '003_add_order_total.sql': '-- a second run fails: the column exists by then\nALTER TABLE orders ADD COLUMN total_cents integer NOT NULL DEFAULT 0;\n',
};

suite('(host) migrations: editor panel, status per target, verify this migration', () => {
  let services: Services;
  let dir: string;
  let first: string;
  let firstText: string;
  let cli: string;

  const posted = (): PanelState | undefined => services.migrationPanel.lastPostedState;
  const stateOf = (s: PanelState, target: string, file: string): string | undefined => s.targets.find((t) => t.id === target)?.entries[file]?.state;

  suiteSetup(async function () {
    this.timeout(120_000);
    services = (await activeApi()).services;
    const root = workspaceRoot().fsPath;
    dir = path.join(root, 'migrations');
    first = path.join(dir, '001_create_orders.sql');
    firstText = readFileSync(first, 'utf8');
    for (const [name, text] of Object.entries(ADDED)) writeFileSync(path.join(dir, name), text);
    const repo = process.env.GREENLIGHT_HOST_REPO;
    assert.ok(repo, 'GREENLIGHT_HOST_REPO is not set: run through test/host/run.mjs');
    cli = path.join(repo, 'dist', 'cli.js');
    assert.ok(existsSync(cli), `${cli} is missing: run node scripts/build.mjs first`);
    const out = execFileSync(process.execPath, [cli, 'migrate', 'up', '--through', '002_create_customers.sql', '--no-seeds'], { cwd: root, encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /2 migrations applied/, `the CLI applied the first two migrations:\n${out}`);
    writeFileSync(first, `${firstText}-- edited after it was applied\n`);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (!dir) return;
    for (const name of [...Object.keys(ADDED), '004_added_while_open.sql']) rmSync(path.join(dir, name), { force: true });
    if (firstText !== undefined) writeFileSync(first, firstText);
    rmSync(path.join(workspaceRoot().fsPath, '.greenlight', 'pglite'), { recursive: true, force: true });
  });

  test('the panel lists the migrations in order with their lint findings and their state per target', async function () {
    this.timeout(120_000);
    await vscode.commands.executeCommand('greenlight.migrations.openPanel');
    assert.ok(services.migrationPanel.isOpen, 'the panel is open');
    const s = await waitFor(
      'the panel to show the local status of three migrations',
      () => {
        const p = posted();
        return p && p.activity.length === 0 && p.migrations.length === 3 && p.targets.some((t) => t.id === 'local' && t.reachable) ? p : undefined;
      },
      90_000,
    );
    assert.equal(s.problem, undefined);
    assert.deepEqual(
      s.migrations.map((m) => m.fileName),
      ['001_create_orders.sql', '002_create_customers.sql', '003_add_order_total.sql'],
    );
    assert.equal(stateOf(s, 'local', '001_create_orders.sql'), 'checksum-changed');
    assert.equal(stateOf(s, 'local', '002_create_customers.sql'), 'applied');
    assert.equal(stateOf(s, 'local', '003_add_order_total.sql'), 'pending');
    const local = s.targets.find((t) => t.id === 'local')!;
    assert.deepEqual(local.counts, { applied: 1, pending: 1, 'checksum-changed': 1, failed: 0, missing: 0 });
    assert.match(local.database, /PGlite/);
    // The demo config's environments cannot be reached from here; each says why instead of hanging.
    for (const env of ['staging', 'production']) {
      const t = s.targets.find((x) => x.id === `env:${env}`);
      assert.ok(t, `the ${env} environment is a target`);
      assert.equal(t.reachable, false);
      assert.match(t.problem ?? '', /ssh/i, `${env} says why it is unreachable`);
    }
    const lint = await waitFor('the lint finding on 003 in the panel', () =>
      posted()?.migrations.find((m) => m.fileName === '003_add_order_total.sql')?.findings.find((f) => f.code === 'sql-add-column-if-not-exists'),
    );
    assert.equal(lint.line, 2);
    assert.deepEqual(posted()?.migrations.find((m) => m.fileName === '002_create_customers.sql')?.findings, []);
  });

  test('"Verify this migration" on a non-idempotent file shows the verdict in the panel and the CodeLens', async function () {
    this.timeout(180_000);
    const uri = vscode.Uri.file(path.join(dir, '003_add_order_total.sql'));
    // CodeLenses are computed for open documents only; beside the panel, so the panel stays visible
    // (a hidden webview is torn down and gets the state again when shown).
    await vscode.window.showTextDocument(uri, { preview: false, viewColumn: vscode.ViewColumn.Beside, preserveFocus: true });
    assert.ok(services.migrationPanel.isVisible, 'the panel is still visible');
    const lenses = await waitFor('the Verify CodeLens', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return l?.some((x) => x.command?.command === 'greenlight.migrations.verifyFile') ? l : undefined;
    });
    const verifyLens = lenses.find((x) => x.command?.command === 'greenlight.migrations.verifyFile')!;
    assert.equal(verifyLens.command?.title, '$(beaker) Verify this migration');
    const r = await vscode.commands.executeCommand<MigrationVerifyDto | undefined>(verifyLens.command!.command, ...(verifyLens.command!.arguments ?? []));
    assert.ok(r, 'the verify ran and returned its result');
    assert.equal(r.ok, false);
    assert.equal(r.through, '003_add_order_total.sql');
    const mine = r.migrations.find((m) => m.fileName === '003_add_order_total.sql');
    assert.equal(mine?.status, 'not-idempotent');
    assert.equal(mine?.problem?.location?.line, 2, 'the problem points at the ALTER TABLE statement');
    assert.ok(existsSync(r.reportFile), 'the text report was written');
    assert.match(readFileSync(r.reportFile, 'utf8'), /NOT IDEMPOTENT/);

    const s = await waitFor('the panel to show the verdicts', () => {
      const p = posted();
      return p?.migrations.find((m) => m.fileName === '003_add_order_total.sql')?.verdict?.status === 'not-idempotent' && p.activity.length === 0 ? p : undefined;
    });
    assert.equal(s.migrations.find((m) => m.fileName === '002_create_customers.sql')?.verdict?.status, 'ok');
    assert.equal(s.lastVerify?.ok, false);
    assert.match(s.lastVerify?.summary ?? '', /verify FAILED: 1 not idempotent/);

    const after = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.ok(
      after.some((l) => l.command?.title.startsWith('$(error) Not idempotent') && l.command.command === 'greenlight.migrations.showVerifyReport'),
      `a CodeLens shows the verdict: ${after.map((l) => l.command?.title).join(' | ')}`,
    );
  });

  test('a migration added on disk appears in the open panel as pending', async function () {
    this.timeout(120_000);
    const file = path.join(dir, '004_added_while_open.sql');
    writeFileSync(file, 'CREATE INDEX IF NOT EXISTS orders_placed_at ON orders (placed_at);\n');
    const s = await waitFor(
      'the panel to list 004 as pending',
      () => {
        const p = posted();
        return p && stateOf(p, 'local', '004_added_while_open.sql') === 'pending' ? p : undefined;
      },
      90_000,
    );
    assert.equal(s.migrations.length, 4);
    // Adding a file after 003 leaves the verdicts of the files before it in place.
    assert.equal(s.migrations.find((m) => m.fileName === '003_add_order_total.sql')?.verdict?.status, 'not-idempotent');
    unlinkSync(file);
    await waitFor('the panel to drop 004', () => posted()?.migrations.length === 3, 90_000);
  });

  test('migrations applied by the CLI in a terminal show in the open panel without a refresh', async function () {
    this.timeout(180_000);
    // Undoing the edit makes 001 applied again (the checksum matches), which the panel picks up from the file change.
    writeFileSync(first, firstText);
    await waitFor('001 to be applied again', () => stateOf(posted()!, 'local', '001_create_orders.sql') === 'applied', 90_000);
    await waitFor('the panel to be idle', () => posted()?.activity.length === 0);
    const out = execFileSync(process.execPath, [cli, 'migrate', 'up', '--no-seeds'], { cwd: workspaceRoot().fsPath, encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /1 migration applied/, out);
    const s = await waitFor(
      'the panel to show 003 applied',
      () => {
        const p = posted();
        return p && stateOf(p, 'local', '003_add_order_total.sql') === 'applied' ? p : undefined;
      },
      90_000,
    );
    assert.deepEqual(s.targets.find((t) => t.id === 'local')?.counts, { applied: 3, pending: 0, 'checksum-changed': 0, failed: 0, missing: 0 });
    // The panel's own status reads open the same database; they must not trigger further reads.
    await waitFor('the panel to be idle', () => posted()?.activity.length === 0);
    let reads = 0;
    const sub = services.migrationPanel.onDidPost((p) => (reads += p.activity.some((a) => a.kind === 'status') ? 1 : 0));
    await new Promise((r) => setTimeout(r, 6000));
    sub.dispose();
    assert.equal(reads, 0, 'no status read started while nothing changed');
  });

  test('"Check Schema Drift" on the local database: no drift against its three applied files, shown on the target in the panel', async function () {
    this.timeout(120_000);
    const r = (await vscode.commands.executeCommand('greenlight.migrations.drift', 'local')) as { differences: unknown[]; comparedFiles: number; text: string } | undefined;
    assert.ok(r, 'the command returned the drift report');
    assert.deepEqual(r.differences, [], r.text);
    assert.equal(r.comparedFiles, 3);
    const s = await waitFor('the panel to show the drift result on the local target', () => {
      const p = posted();
      const local = p?.targets.find((t) => t.id === 'local');
      return local?.lastDrift && p?.activity.length === 0 ? local : undefined;
    });
    assert.equal(s.lastDrift?.comparedFiles, 3);
    assert.match(s.lastDrift?.text ?? '', /no drift: the schema matches the migrations/);
  });

  test('"Dry Run Migrations" on the local database: nothing pending, shown on the target in the panel', async function () {
    this.timeout(120_000);
    const r = (await vscode.commands.executeCommand('greenlight.migrations.dryRun', 'local')) as { ok: boolean; pending: unknown[]; executed: boolean; text: string } | undefined;
    assert.ok(r, 'the command returned the dry run report');
    assert.equal(r.ok, true, r.text);
    assert.deepEqual(r.pending, []);
    const local = await waitFor('the panel to show the dry run on the local target', () => {
      const p = posted();
      const t = p?.targets.find((x) => x.id === 'local');
      return t?.lastDryRun && p?.activity.length === 0 ? t : undefined;
    });
    assert.equal(local.lastDryRun?.ok, true);
    assert.equal(local.counts.applied, 3, 'the dry run committed nothing and the status still reads three applied');
  });
});
