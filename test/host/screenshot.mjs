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
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyWorkspace, installVsix, requireBuilt, ROOT } from './lib.mjs';
import { openFile, openWorkbench, palette, runScreenshots, screenshotArgs, shot, showGreenlight } from './workbench.mjs';

const opts = screenshotArgs({ workspace: { type: 'string' }, vsix: { type: 'string' } }, { needsBuild: false });
const { outDir } = opts;

const temps = [];
let current;
let extensionsDir;
if (opts.vsix) {
  const work = mkdtempSync(path.join(tmpdir(), 'greenlight-shot-vsix-'));
  temps.push(work);
  extensionsDir = path.join(work, 'extensions');
  installVsix(path.resolve(opts.vsix), extensionsDir);
} else {
  requireBuilt();
}

/** Opens `folder` in a fresh workbench (closing the previous one) with its notifications cleared. */
async function open(folder, setPage) {
  await current?.close();
  current = await openWorkbench(folder, { verbose: opts.verbose, extensionsDir });
  setPage(current.page);
  await palette(current.page, 'Notifications: Clear All Notifications');
  return current.page;
}

await runScreenshots(
  { outDir },
  async (setPage) => {
    const demo = opts.workspace ? path.resolve(opts.workspace) : copyWorkspace('demo');
    if (!opts.workspace) temps.push(path.dirname(demo));
    let page = await open(demo, setPage);
    await openFile(page, 'greenlight.yaml');
    await showGreenlight(page);
    await page.locator('.part.sidebar .monaco-list-row', { hasText: opts.workspace ? '' : 'staging' }).first().waitFor({ timeout: 60_000 });
    await shot(page, outDir, 'sidebar.png');

    const broken = copyWorkspace('broken');
    temps.push(path.dirname(broken));
    page = await open(broken, setPage);
    await openFile(page, 'greenlight.yaml');
    await showGreenlight(page);
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'problems' }).first().waitFor({ timeout: 60_000 });
    await palette(page, 'View: Focus Problems');
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'database.kind' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.markers-panel .monaco-list-row', { hasText: 'services[0].port' }).first().click();
    await shot(page, outDir, 'problems.png');

    const lintDir = mkdtempSync(path.join(tmpdir(), 'greenlight-shot-lint-'));
    temps.push(lintDir);
    cpSync(path.join(ROOT, 'greenlight.yaml'), path.join(lintDir, 'greenlight.yaml'));
    cpSync(path.join(ROOT, 'migrations'), path.join(lintDir, 'migrations'), { recursive: true });
    page = await open(lintDir, setPage);
    await openFile(page, '005_not_idempotent_raise_prices.sql');
    await palette(page, 'View: Focus Problems');
    const finding = page.locator('.markers-panel .monaco-list-row', { hasText: 'sql-' }).first();
    await finding.waitFor({ timeout: 60_000 });
    await finding.click();
    await shot(page, outDir, 'lint-problems.png');
  },
  async () => {
    await current?.close();
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  },
);
