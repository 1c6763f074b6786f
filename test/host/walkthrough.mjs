#!/usr/bin/env node
// The getting-started walkthrough in the real workbench, driven as a person would: a small Node
// project without greenlight.yaml (package.json "todo-app", a Dockerfile with EXPOSE 3000, one SQL
// migration), the walkthrough opened from the command palette with its first step not done, the
// step's "Create Project File" button clicked and the SSH host and user typed into its two input boxes, then the walkthrough's "Create the project file" step checked by VS Code itself
// (its completion event onContext:greenlight.configFound fired). Checks the written file and saves
// docs/images/walkthrough.png.
//
// usage: node test/host/walkthrough.mjs [--out docs/images] [--verbose]
// Needs a built dist/ (node scripts/build.mjs). Exit code 0 only when every check passed; on
// failure it writes <out>/walkthrough-error.png.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openWorkbench, palette, runScreenshots, screenshotArgs, shot } from './workbench.mjs';

const opts = screenshotArgs();
const work = mkdtempSync(path.join(tmpdir(), 'greenlight-walkthrough-'));
const folder = path.join(work, 'todo-app');
mkdirSync(path.join(folder, 'migrations'), { recursive: true });
writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'todo-app', version: '1.0.0', scripts: { start: 'node server.js' } }, null, 2));
writeFileSync(path.join(folder, 'Dockerfile'), 'FROM node:22-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 3000\nCMD ["node", "server.js"]\n');
writeFileSync(path.join(folder, 'migrations/001_todos.sql'), 'CREATE TABLE IF NOT EXISTS todos (id serial PRIMARY KEY, title text NOT NULL);\n');
writeFileSync(path.join(folder, 'server.js'), "require('node:http').createServer((q, r) => r.end('ok')).listen(3000);\n");

let wb;

/** "Welcome: Open Walkthrough..." from the palette, then Greenlight's from the list it opens. */
async function openWalkthrough(page) {
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
  await page.locator('.quick-input-widget input').fill('>Welcome: Open Walkthrough');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Open Walkthrough' }).first().waitFor({ timeout: 60_000 });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with Greenlight' }).first().click();
  await page.locator('[data-done-step-id$="createProjectFile"]').first().waitFor({ timeout: 60_000 });
}
const check = (ok, what) => {
  if (!ok) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
};

await runScreenshots(
  { outDir: opts.outDir, errorName: 'walkthrough-error.png' },
  async (setPage) => {
    wb = await openWorkbench(folder, { verbose: opts.verbose });
    const page = wb.page;
    setPage(page);
    await palette(page, 'Notifications: Clear All Notifications');

    await openWalkthrough(page);
    const step = page.locator('[data-done-step-id$="createProjectFile"]').first();
    await step.waitFor({ timeout: 60_000 });
    check((await step.getAttribute('aria-checked')) === 'false', 'the walkthrough opens with "Create the project file" not done');

    // The step's own button runs greenlight.config.create, as a person following the walkthrough would.
    await page.locator('.getting-started-step .button-link, .getting-started-step a.monaco-button', { hasText: 'Create Project File' }).first().click();
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget', { hasText: 'SSH host of the production server' }).waitFor({ timeout: 60_000 });
    await input.fill('198.18.77.2');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'SSH user' }).waitFor();
    await input.fill('deploy');
    await page.keyboard.press('Enter');

    const file = path.join(folder, 'greenlight.yaml');
    for (let i = 0; i < 300 && !existsSync(file); i++) await page.waitForTimeout(100);
    check(existsSync(file), 'greenlight.yaml was written');
    const text = readFileSync(file, 'utf8');
    check(/^project: todo-app$/m.test(text), 'project: todo-app (from package.json)');
    check(/# From EXPOSE in Dockerfile\.\n\s+port: 3000$/m.test(text), 'port: 3000 (from EXPOSE in the Dockerfile)');
    check(/ssh: \{ host: 198\.18\.77\.2, user: deploy \}/.test(text), 'the typed SSH host and user');

    // The new file replaced the walkthrough's preview tab; opened again, it shows what VS Code
    // recorded: the step is done once greenlight.configFound turned true.
    await page.locator('.editor-instance .view-lines').first().click();
    await palette(page, 'View: Close All Editors');
    await openWalkthrough(page);
    await page.waitForFunction(() => document.querySelector('[data-done-step-id$="createProjectFile"]')?.getAttribute('aria-checked') === 'true', undefined, { timeout: 30_000 });
    check(true, 'the walkthrough step "Create the project file" is done (onContext:greenlight.configFound)');
    check((await page.locator('[data-done-step-id$="trustHostKey"]').first().getAttribute('aria-checked')) === 'false', '"Trust the host key" is still to do (no key pinned)');
    // The selected step's page is rendered in a webview; give it time to appear in the picture.
    await page.locator('.getting-started-media iframe, .getting-started-media .webview').first().waitFor({ timeout: 30_000 }).catch(() => undefined);
    await page.waitForTimeout(2500);
    await shot(page, opts.outDir, 'walkthrough.png');
  },
  async () => {
    await wb?.close();
    rmSync(work, { recursive: true, force: true });
  },
);
