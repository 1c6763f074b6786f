#!/usr/bin/env node
// docs/images/migration-panel.png: the migration editor panel in the real VS Code workbench, on a
// copy of test/host/workspaces/demo with four migrations. The CLI applies the first two to the
// workspace's local PGlite database and the second is then edited (checksum changed); the third
// is not idempotent and has a lint finding. With the test bed up (bash test/testbed/up.sh) the
// "production" environment is the test bed's production host (SSH with a pinned key, then its
// PostgreSQL 15, on a database of its own with the first migration applied); without it both
// environments of the demo config show as unreachable with the reason. In the panel, "Verify
// all" is clicked as a person would, and the picture is taken when its result is shown.
//
// usage: node test/host/screenshotMigrations.mjs [--out docs/images] [--verbose]
// Needs a built dist/ (node scripts/build.mjs). On failure it writes <out>/error.png and exits 1.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyWorkspace, ROOT } from './lib.mjs';
import { openWorkbench, palette, readTestbedEnv, runScreenshots, screenshotArgs, shot } from './workbench.mjs';

const opts = screenshotArgs();
const { outDir } = opts;

const MIGRATIONS = {
  '002_create_customers.sql': 'CREATE TABLE IF NOT EXISTS customers (\n  id bigserial PRIMARY KEY,\n  email text NOT NULL UNIQUE\n);\n',
  '003_add_order_total.sql': '-- a second run fails: the column exists by then\nALTER TABLE orders ADD COLUMN total_cents integer NOT NULL DEFAULT 0;\n',
  '004_orders_placed_at_index.sql': 'CREATE INDEX IF NOT EXISTS orders_placed_at ON orders (placed_at);\n',
};

function readTestbed() {
  const env = readTestbedEnv();
  return env?.PROD_SSH_KEY && env.PROD_DATABASE_URL ? env : undefined;
}

const cli = (cwd, args, env = {}) => execFileSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

const temps = [];
let workbench;
let dropDatabase;
await runScreenshots(
  { outDir },
  async (setPage) => {
    const ws = copyWorkspace('demo');
    temps.push(path.dirname(ws));
    for (const [name, text] of Object.entries(MIGRATIONS)) writeFileSync(path.join(ws, 'migrations', name), text);
    cli(ws, ['migrate', 'up', '--through', '002_create_customers.sql', '--no-seeds']);
    appendFileSync(path.join(ws, 'migrations', '002_create_customers.sql'), '-- edited after it was applied\n');

    const env = {};
    const tb = readTestbed();
    if (tb) {
      // A database of its own on the test bed's production server, with the first migration applied.
      const url = new URL(tb.PROD_DATABASE_URL);
      const dbName = 'gl_panel_screenshot';
      const admin = ['-v', 'ON_ERROR_STOP=1', '-Atc'];
      execFileSync('psql', [tb.PROD_DATABASE_URL, ...admin, `drop database if exists ${dbName}`]);
      execFileSync('psql', [tb.PROD_DATABASE_URL, ...admin, `create database ${dbName}`]);
      dropDatabase = () => execFileSync('psql', [tb.PROD_DATABASE_URL, ...admin, `drop database if exists ${dbName} with (force)`]);
      const target = new URL(tb.PROD_DATABASE_URL);
      target.pathname = `/${dbName}`;
      cli(ws, ['migrate', 'up', '--through', '001_create_orders.sql', '--no-seeds', '--database', target.toString()]);
      const yaml = readFileSync(path.join(ws, 'greenlight.yaml'), 'utf8');
      const production = [
        '  production:',
        '    ssh:',
        `      host: ${tb.PROD_SSH_HOST}`,
        `      port: ${tb.PROD_SSH_PORT}`,
        `      user: ${tb.PROD_SSH_USER}`,
        `      identityFile: ${tb.PROD_SSH_KEY}`,
        `      hostKey: ${tb.PROD_SSH_HOST_KEY}`,
        `    database: { name: ${dbName}, user: ${decodeURIComponent(url.username)}, passwordEnv: GREENLIGHT_SHOT_DB_PASSWORD }`,
        '',
      ].join('\n');
      writeFileSync(path.join(ws, 'greenlight.yaml'), yaml.replace(/ {2}production:\n[\s\S]*$/, production));
      env.GREENLIGHT_SHOT_DB_PASSWORD = decodeURIComponent(url.password);
      console.log(`production environment: the test bed (${tb.PROD_SSH_HOST}), database ${dbName}`);
    } else {
      console.log('no test bed (/tmp/greenlight-testbed/env): both environments show as unreachable');
    }

    workbench = await openWorkbench(ws, { verbose: opts.verbose, env });
    const { page } = workbench;
    setPage(page);
    await palette(page, 'Notifications: Clear All Notifications');
    await palette(page, 'View: Close Primary Side Bar');
    await palette(page, 'Greenlight: Open Migrations');
    // The webview's document sits in an iframe inside VS Code's webview iframe.
    const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await view.locator('vscode-table-row[data-file="004_orders_placed_at_index.sql"]').waitFor({ timeout: 120_000 });
    await view.locator('.activity vscode-progress-ring').waitFor({ state: 'detached', timeout: 120_000 });
    await view.locator('vscode-button[data-action="verify"]').click();
    await view.locator('.last-verify').waitFor({ timeout: 180_000 });
    await view.locator('.activity vscode-progress-ring').waitFor({ state: 'detached', timeout: 120_000 });
    if (tb) {
      // The reachable environment's schema against its applied migration: "Check drift".
      await view.locator('vscode-button[data-action="drift:env:production"]').click();
      await view.locator('[data-target="env:production"] .drift').waitFor({ timeout: 120_000 });
      await view.locator('.activity vscode-progress-ring').waitFor({ state: 'detached', timeout: 120_000 });
    }
    await palette(page, 'Notifications: Clear All Notifications');
    await shot(page, outDir, 'migration-panel.png');
  },
  async () => {
    await workbench?.close();
    try {
      dropDatabase?.();
    } finally {
      for (const d of temps) rmSync(d, { recursive: true, force: true });
    }
  },
);
