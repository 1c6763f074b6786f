// What the screenshot scripts share: their command line, a real workbench opened on a folder in
// headless chromium, the gestures a person makes in it (the command palette, Quick Open, the
// Greenlight icon, dragging the sidebar's edge), the picture itself, and the run's ending (an
// error picture and exit code 1 on failure, the clean-up always). Each script keeps only what it
// shows and the data it makes for it.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureInstalled, launchChromium, requireBuilt, ROOT, startServer, workbenchUrl } from './lib.mjs';

export const SCREEN = { width: 1400, height: 850 };

/**
 * Parses `--out <dir>` (default docs/images), `--verbose` and the script's own options, creates the
 * output folder and checks that the VS Code server is installed and dist/ is built (unless
 * `needsBuild` is false: a script that runs an installed .vsix).
 */
export function screenshotArgs(extraOptions = {}, { needsBuild = true } = {}) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: path.join(ROOT, 'docs/images') },
      verbose: { type: 'boolean', default: !!process.env.VERBOSE },
      ...extraOptions,
    },
  });
  const outDir = path.resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  ensureInstalled();
  if (needsBuild) requireBuilt();
  return { ...values, outDir };
}

/**
 * Opens `folder` in a fresh VS Code server and browser page, with the development extension
 * (or the extensions installed in `extensionsDir`). Returns the page and close(), which ends both.
 */
export async function openWorkbench(folder, { verbose = false, env = {}, extensionsDir } = {}) {
  const server = await startServer({ verbose, env, extensionsDir });
  let browser;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    server.stop();
  };
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: SCREEN });
    await page.goto(workbenchUrl(server.port, { folder, extensionDevelopmentPath: extensionsDir ? undefined : ROOT }));
    await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
    return { page, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Runs a command by its title through the command palette, as a person would. */
export async function palette(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 60_000 });
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Opens a file of the workspace through Quick Open (Ctrl+P). */
export async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.editor-instance .view-lines').first().waitFor();
}

/** Clicks the Greenlight icon in the activity bar and waits for its Environments view. */
export async function showGreenlight(page) {
  const tab = page.locator('.part.activitybar [aria-label^="Greenlight"]').first();
  await tab.waitFor({ timeout: 60_000 });
  await tab.click();
  await page.locator('.part.sidebar .pane-header', { hasText: 'Environments' }).waitFor();
}

/** Drags the sidebar's right edge to x, so that the views' descriptions are readable. */
export async function widenSidebar(page, x) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width + 10, y, { steps: 2 });
  await page.mouse.move(x, y, { steps: 10 });
  await page.mouse.up();
}

/** Takes the picture <outDir>/<name>, with the mouse parked where it shows no hover tooltip. */
export async function shot(page, outDir, name) {
  await page.mouse.move(SCREEN.width - 5, SCREEN.height / 2);
  await page.waitForTimeout(800);
  const file = path.join(outDir, name);
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(process.cwd(), file) || file}`);
}

/**
 * Runs a screenshot script's body and ends the process: on failure the error is printed, the
 * current page (body's `current()`) is saved as <outDir>/<errorName> and the exit code is 1;
 * cleanUp runs either way, and its own failure is printed, not thrown.
 */
export async function runScreenshots({ outDir, errorName = 'error.png' }, body, cleanUp = async () => undefined) {
  let page;
  let code = 0;
  try {
    await body((p) => (page = p));
  } catch (e) {
    console.error(e);
    code = 1;
    if (page) await page.screenshot({ path: path.join(outDir, errorName) }).catch(() => undefined);
  } finally {
    try {
      await cleanUp();
    } catch (e) {
      console.error(`clean-up failed: ${e.message}`);
    }
  }
  process.exit(code);
}

/** The test bed's addresses (test/testbed/up.sh writes them), or undefined when it is not up. */
export function readTestbedEnv(file = '/tmp/greenlight-testbed/env') {
  if (!existsSync(file)) return undefined;
  return Object.fromEntries([...readFileSync(file, 'utf8').matchAll(/^export ([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|(\S*))$/gm)].map((m) => [m[1], m[2] ?? m[3] ?? '']));
}
