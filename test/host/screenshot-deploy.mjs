#!/usr/bin/env node
// Screenshots of the Environments and Backups views with real data: a copy of
// test/host/workspaces/testbed (host key pinned from the test bed) is built, tested and deployed
// twice to the test bed's production host with the CLI (dist/cli.js), plus one backup on demand;
// then the real workbench opens it and the views are captured as a person sees them.
//
//   docs/images/environments.png   production: web's running version, health, uptime, lock, last deploys
//   docs/images/backups.png        production: backups newest first, size, age, verified, their deploy
//
// usage: node test/host/screenshot-deploy.mjs [--out docs/images]
// Needs the test bed (bash test/testbed/up.sh) and a built dist/. On failure: <out>/error-deploy.png, exit 1.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyWorkspace, ROOT } from './lib.mjs';
import { openWorkbench, readTestbedEnv, runScreenshots, screenshotArgs, shot, showGreenlight, widenSidebar } from './workbench.mjs';

const opts = screenshotArgs();
const { outDir } = opts;
const bed = readTestbedEnv();
if (!bed) throw new Error('the test bed is not up (no /tmp/greenlight-testbed/env): run bash test/testbed/up.sh');
const PASSWORD = 'apppass';
const ws = copyWorkspace('testbed');
const run = (cmd, args, env = {}) => execFileSync(cmd, args, { cwd: ws, encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
const cli = (...args) => {
  const out = run(process.execPath, [path.join(ROOT, 'dist/cli.js'), ...args], { GLTB_DB_PASSWORD: PASSWORD });
  process.stdout.write(out);
  return out;
};
const commit = (msg) => {
  run('git', ['add', '-A']);
  run('git', ['-c', 'user.email=shots@greenlight.invalid', '-c', 'user.name=shots', 'commit', '-q', '--allow-empty', '-m', msg]);
};

let workbench;
await runScreenshots(
  { outDir, errorName: 'error-deploy.png' },
  async (setPage) => {
    // The data: a fresh project database, the host key pinned, two tested versions deployed, a backup.
    execFileSync('ssh', ['-F', bed.PROD_SSH_CONFIG, 'prod', `export PGPASSWORD=${PASSWORD}; dropdb -h 127.0.0.1 -U app --if-exists gltb && createdb -h 127.0.0.1 -U app gltb`]);
    const ids = execFileSync('docker', ['-H', `unix://${bed.PROD_DOCKER_SOCK}`, 'ps', '-aq', '--filter', 'label=greenlight.project=gltb'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    if (ids.length) execFileSync('docker', ['-H', `unix://${bed.PROD_DOCKER_SOCK}`, 'rm', '-f', ...ids]);
    const file = path.join(ws, 'greenlight.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('      identityFile: /tmp/greenlight-testbed/ssh/id_ed25519\n', `      identityFile: /tmp/greenlight-testbed/ssh/id_ed25519\n      hostKey: "${bed.PROD_SSH_HOST_KEY}"\n`));
    run('git', ['init', '-q']);
    commit('demo');
    for (let i = 0; i < 2; i++) {
      if (i === 1) {
        writeFileSync(path.join(ws, 'www/index.html'), '<h1>gltb web, second release</h1>\n');
        commit('second release');
      }
      cli('build');
      cli('test');
      const version = JSON.parse(readFileSync(path.join(ws, '.greenlight/build-version.json'), 'utf8')).version;
      cli('deploy', `web:${version}`, '--env', 'production');
    }
    cli('backup', 'create', '--env', 'production');

    workbench = await openWorkbench(ws, { verbose: opts.verbose });
    const { page } = workbench;
    setPage(page);
    await showGreenlight(page);
    try {
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'healthy' }).first().waitFor({ timeout: 60_000 });
      await page.locator('.part.sidebar .monaco-list-row', { hasText: 'verified' }).first().waitFor({ timeout: 60_000 });
    } catch (e) {
      for (const t of await page.locator('.part.sidebar .monaco-list-row').allTextContents().catch(() => [])) console.error(`  row: ${t}`);
      throw e;
    }
    // Wide enough for the descriptions.
    await widenSidebar(page, 760);
    // Environments first, with Images and Backups collapsed; then Backups alone.
    for (const view of ['Images', 'Backups']) await page.locator('.part.sidebar .pane-header', { hasText: view }).click();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'healthy' }).first().waitFor();
    await shot(page, outDir, 'environments.png');
    await page.locator('.part.sidebar .pane-header', { hasText: 'Environments' }).click();
    await page.locator('.part.sidebar .pane-header', { hasText: 'Backups' }).click();
    await page.locator('.part.sidebar .monaco-list-row', { hasText: 'verified' }).first().waitFor();
    await shot(page, outDir, 'backups.png');
  },
  async () => {
    await workbench?.close();
    rmSync(path.dirname(ws), { recursive: true, force: true });
  },
);
