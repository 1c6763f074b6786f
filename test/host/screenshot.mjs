#!/usr/bin/env node
// Screenshots of Greenlight in the real VS Code workbench (the server build in code-server, its
// web workbench in headless chromium), taken the way a person would see them: click the
// Greenlight activity-bar icon, open greenlight.yaml, focus the Problems panel.
//
//   docs/images/sidebar.png    the Greenlight container (Environments, Images, Backups) on a project
//   docs/images/problems.png   a greenlight.yaml with mistakes: its diagnostics in the Problems panel
//   docs/images/lint-problems.png  the demo migrations linted as you type: idempotency findings
//
// usage: node test/host/screenshot.mjs [--out docs/images] [--workspace <folder>] [--vsix <file>]
//   --workspace   project for the sidebar shot (default: a copy of test/host/workspaces/demo; the
//                 repository's own greenlight.yaml has no environments yet)
//   --vsix        use an installed package instead of the checkout's dist/ (extension development)
// Needs a built dist/ (node scripts/build.mjs). On failure it writes <out>/error.png and exits 1.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { copyWorkspace, ensureInstalled, installVsix, launchChromium, requireBuilt, ROOT, startServer, workbenchUrl } from './lib.mjs';

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(ROOT, 'docs/images') },
    workspace: { type: 'string' },
    vsix: { type: 'string' },
    verbose: { type: 'boolean', default: !!process.env.VERBOSE },
  },
});
const W = 1400;
const H = 850;
const outDir = path.resolve(opts.out);
mkdirSync(outDir, { recursive: true });
ensureInstalled();
if (!opts.vsix) requireBuilt();

const temps = [];
let extensionsDir;
if (opts.vsix) {
  const work = mkdtempSync(path.join(tmpdir(), 'greenlight-shot-vsix-'));
  temps.push(work);
  extensionsDir = path.join(work, 'extensions');
  installVsix(path.resolve(opts.vsix), extensionsDir);
}

/** Opens `folder` in a fresh workbench page; returns the page and a function that closes it all. */
async function openWorkbench(folder) {
  const server = await startServer({ verbose: opts.verbose, extensionsDir });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: W, height: H } });
  const close = async () => {
    await browser.close().catch(() => undefined);
    server.stop();
  };
  try {
    await page.goto(workbenchUrl(server.port, { folder, extensionDevelopmentPath: opts.vsix ? undefined : ROOT }));
    await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
  } catch (e) {
    await close();
    throw e;
  }
  return { page, close };
}

/** Runs a command by its title through the command palette, as a person would. */
async function palette(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.editor-instance .view-lines').first().waitFor();
}

/** Clicks the Greenlight icon in the activity bar and waits for a row of the Environments view. */
async function showGreenlight(page, rowText) {
  const tab = page.locator('.part.activitybar [aria-label^="Greenlight"]').first();
  await tab.waitFor({ timeout: 60_000 });
  await tab.click();
  await page.locator('.part.sidebar .pane-header', { hasText: 'Environments' }).waitFor();
  await page.locator('.part.sidebar .monaco-list-row', { hasText: rowText }).first().waitFor({ timeout: 60_000 });
}

async function shot(page, name) {
  await page.mouse.move(W - 5, H / 2); // no hover tooltip in the picture
  await page.waitForTimeout(800);
  const file = path.join(outDir, name);
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
}

let current;
let code = 0;
try {
  // 1) The sidebar on a valid project: environments with their SSH target, database, backups.
  const demo = opts.workspace ? path.resolve(opts.workspace) : copyWorkspace('demo');
  if (!opts.workspace) temps.push(path.dirname(demo));
  current = await openWorkbench(demo);
  await palette(current.page, 'Notifications: Clear All Notifications');
  await openFile(current.page, 'greenlight.yaml');
  await showGreenlight(current.page, opts.workspace ? '' : 'staging');
  await shot(current.page, 'sidebar.png');
  await current.close();

  // 2) A project file with mistakes: the Problems panel lists them with line and column.
  const broken = copyWorkspace('broken');
  temps.push(path.dirname(broken));
  current = await openWorkbench(broken);
  await palette(current.page, 'Notifications: Clear All Notifications');
  await openFile(current.page, 'greenlight.yaml');
  await showGreenlight(current.page, 'problems');
  await palette(current.page, 'View: Focus Problems');
  await current.page.locator('.markers-panel .monaco-list-row', { hasText: 'database.kind' }).first().waitFor({ timeout: 30_000 });
  // Show the first problem in the editor too, with its squiggle.
  await current.page.locator('.markers-panel .monaco-list-row', { hasText: 'services[0].port' }).first().click();
  await shot(current.page, 'problems.png');
  await current.close();

  // 3) Lint as you type: the bundled demo project's migrations, two of them deliberately not
  //    idempotent, with Greenlight's findings in the Problems panel and the editor.
  const lintDir = mkdtempSync(path.join(tmpdir(), 'greenlight-shot-lint-'));
  temps.push(lintDir);
  cpSync(path.join(ROOT, 'greenlight.yaml'), path.join(lintDir, 'greenlight.yaml'));
  cpSync(path.join(ROOT, 'migrations'), path.join(lintDir, 'migrations'), { recursive: true });
  current = await openWorkbench(lintDir);
  await palette(current.page, 'Notifications: Clear All Notifications');
  await openFile(current.page, '005_not_idempotent_raise_prices.sql');
  await palette(current.page, 'View: Focus Problems');
  const finding = current.page.locator('.markers-panel .monaco-list-row', { hasText: 'sql-' }).first();
  await finding.waitFor({ timeout: 60_000 });
  await finding.click();
  await shot(current.page, 'lint-problems.png');
} catch (e) {
  console.error(e);
  code = 1;
  if (current) await current.page.screenshot({ path: path.join(outDir, 'error.png') }).catch(() => undefined);
} finally {
  await current?.close();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
}
process.exit(code);
