#!/usr/bin/env node
// Screenshot of the Environments view's containers and the View Logs terminal, with real data: a
// copy of test/host/workspaces/testbed (host key pinned from the test bed) opened in the real
// workbench, while the test bed's production host runs a container Greenlight did not start (the
// test bed's busybox httpd, named extops-shot-…) that has answered a few requests. The container's
// row is right-clicked and "View Logs" chosen, as a person would.
//
//   docs/images/container-logs.png   production: every container of the host; its log followed in a terminal
//
// usage: node test/host/screenshotContainers.mjs [--out docs/images]
// Needs the test bed (bash test/testbed/up.sh) and a built dist/. On failure: <out>/error-containers.png, exit 1.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyWorkspace, ROOT } from './lib.mjs';
import { openWorkbench, readTestbedEnv, runScreenshots, screenshotArgs, shot, showGreenlight, widenSidebar } from './workbench.mjs';

const opts = screenshotArgs();
const { outDir } = opts;
const bed = readTestbedEnv();
if (!bed) throw new Error('the test bed is not up (no /tmp/greenlight-testbed/env): run bash test/testbed/up.sh');
const IMAGE = 'greenlight-test/busybox-app:extops';
const name = `extops-shot-${randomBytes(3).toString('hex')}`;
const prodDocker = (...args) => execFileSync('docker', ['-H', `unix://${bed.PROD_DOCKER_SOCK}`, ...args], { encoding: 'utf8' }).trim();
const ws = copyWorkspace('testbed');

let workbench;
await runScreenshots(
  { outDir, errorName: 'error-containers.png' },
  async (setPage) => {
    const file = path.join(ws, 'greenlight.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('      identityFile: /tmp/greenlight-testbed/ssh/id_ed25519\n', `      identityFile: /tmp/greenlight-testbed/ssh/id_ed25519\n      hostKey: "${bed.PROD_SSH_HOST_KEY}"\n`));
    if (!prodDocker('images', '-q', IMAGE)) execFileSync('bash', [path.join(ROOT, 'test/testbed/images.sh'), '-H', `unix://${bed.PROD_DOCKER_SOCK}`, 'extops'], { stdio: 'inherit' });
    prodDocker('run', '-d', '--name', name, '-p', '127.0.0.1::8080', IMAGE, 'sh', '-c', 'echo "busybox httpd: serving /www on :8080"; exec /bin/busybox httpd -f -vv -p 0.0.0.0:8080 -h /www');
    // A few requests, so its log has something to show (httpd -vv logs each one).
    for (const p of ['/', '/cgi-bin/health', '/missing', '/cgi-bin/health']) {
      try {
        prodDocker('exec', name, '/bin/busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:8080${p}`);
      } catch {
        // the 404 makes wget exit 1: that line is the point
      }
    }

    workbench = await openWorkbench(ws, { verbose: opts.verbose });
    const { page } = workbench;
    setPage(page);
    await showGreenlight(page);
    for (const view of ['Images', 'Backups']) await page.locator('.part.sidebar .pane-header', { hasText: view }).click();
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 60_000 });
    await widenSidebar(page, 720);
    await row.click({ button: 'right' });
    await page.locator('.monaco-menu .action-label', { hasText: 'View Logs' }).first().click();
    // xterm draws on a canvas: its text is not in the page, so the terminal's tab is waited for,
    // then the few seconds the stream takes to arrive.
    await page.locator('.part.panel', { hasText: `Logs: ${name}` }).first().waitFor({ timeout: 60_000 });
    await page.waitForTimeout(5000);
    await page.keyboard.press('Escape');
    await page.mouse.move(1000, 200);
    await page.waitForTimeout(1500);
    await shot(page, outDir, 'container-logs.png');
  },
  async () => {
    await workbench?.close();
    try {
      prodDocker('rm', '-f', name);
    } catch {
      // not started
    }
    rmSync(path.dirname(ws), { recursive: true, force: true });
  },
);
