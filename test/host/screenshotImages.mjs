#!/usr/bin/env node
// Screenshot of the Images view with real data, for the README: docs/images/images-view.png.
// The busybox project of test/host/workspaces/images gets three real versions from the CLI,
// as in a terminal: the first tested and exported, the second failed (its smoke test is forced to
// fail), the third just built. Then the real workbench opens it and the Images view is shown the
// way a person would open it: the Greenlight icon in the activity bar.
//
// usage: node test/host/screenshotImages.mjs [--out docs/images]
// Needs a built dist/ (node scripts/build.mjs) and the host Docker engine (bash test/testbed/up.sh).
// Removes its images afterwards. On failure it writes <out>/error.png and exits 1.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyWorkspace, ROOT } from './lib.mjs';
import { openWorkbench, palette, runScreenshots, screenshotArgs, shot, showGreenlight, widenSidebar } from './workbench.mjs';

const opts = screenshotArgs();
const { outDir } = opts;

const project = `shop-${randomBytes(3).toString('hex')}`;
const ws = copyWorkspace('images');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: ws, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
const greenlight = (...args) => run(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args]);
const commit = (message) => {
  run('git', ['add', '-A']);
  run('git', ['-c', 'user.email=docs@example.invalid', '-c', 'user.name=docs', 'commit', '-qm', message]);
};
const release = (n) => writeFileSync(path.join(ws, 'service/www/index.html'), `<h1>shop, release ${n}</h1>\n`);

/** The three versions, built and tested by the CLI; returns nothing, throws on a surprise. */
function makeVersions() {
  copyFileSync('/usr/bin/busybox', path.join(ws, 'service/busybox'));
  const base = 20000 + Math.floor(Math.random() * 4000) * 2;
  const yaml = readFileSync(path.join(ws, 'greenlight.yaml'), 'utf8')
    .replace(/^project: shop$/m, `project: ${project}`)
    .replace('port: 18080', `port: 18080\n    testPort: ${base}`)
    .replace('port: 18090', `port: 18090\n    testPort: ${base + 1}`);
  writeFileSync(path.join(ws, 'greenlight.yaml'), yaml);
  run('git', ['init', '-q']);
  release(1);
  commit('release 1');
  greenlight('build');
  greenlight('test');
  greenlight('export');
  release(2);
  commit('release 2: checkout');
  greenlight('build');
  writeFileSync(path.join(ws, '.fail-next-test'), 'the checkout page returns 500\n');
  try {
    greenlight('test');
    throw new Error('the second version was meant to fail its test, and passed');
  } catch (e) {
    if (e.status !== 1) throw e;
  } finally {
    rmSync(path.join(ws, '.fail-next-test'), { force: true });
  }
  release(3);
  commit('release 3');
  greenlight('build');
}

function removeImages() {
  const ids = execFileSync('docker', ['image', 'ls', '-q', '--filter', `label=greenlight.project=${project}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['image', 'rm', '-f', ...new Set(ids)], { stdio: 'ignore' });
}

let workbench;
await runScreenshots(
  { outDir },
  async (setPage) => {
    makeVersions();
    workbench = await openWorkbench(ws, { verbose: opts.verbose });
    const { page } = workbench;
    setPage(page);
    await palette(page, 'Notifications: Clear All Notifications');
    await showGreenlight(page);
    // This project has no environments: fold that view so the Images view gets the height.
    const envHeader = page.locator('.part.sidebar .pane-header', { hasText: 'Environments' });
    if ((await envHeader.getAttribute('aria-expanded')) === 'true') await envHeader.click();
    const images = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Images' }) });
    for (const state of ['✓ tested', '✗ failed', 'untested']) await images.locator('.monaco-list-row', { hasText: state }).first().waitFor({ timeout: 60_000 });
    // Wide enough for each version's state, size and age.
    const side = await page.locator('.part.sidebar').boundingBox();
    await widenSidebar(page, side.x + side.width + 360);
    await shot(page, outDir, 'images-view.png');
  },
  async () => {
    await workbench?.close();
    try {
      removeImages();
    } finally {
      rmSync(path.dirname(ws), { recursive: true, force: true });
    }
  },
);
