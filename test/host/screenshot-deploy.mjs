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
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { copyWorkspace, ensureInstalled, launchChromium, requireBuilt, ROOT, startServer, workbenchUrl } from './lib.mjs';

const { values: opts } = parseArgs({ options: { out: { type: 'string', default: path.join(ROOT, 'docs/images') }, verbose: { type: 'boolean' } } });
const W = 1400;
const H = 850;
const outDir = path.resolve(opts.out);
mkdirSync(outDir, { recursive: true });
ensureInstalled();
requireBuilt();

const bed = Object.fromEntries(
  [...readFileSync('/tmp/greenlight-testbed/env', 'utf8').matchAll(/^export ([A-Z_][A-Z0-9_]*)=(?:'([^']*)'|(\S*))$/gm)].map((m) => [m[1], m[2] ?? m[3] ?? '']),
);
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

let code = 0;
let browser;
let server;
let page;
try {
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

  server = await startServer({ verbose: opts.verbose });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: W, height: H } });
  await page.goto(workbenchUrl(server.port, { folder: ws, extensionDevelopmentPath: ROOT }));
  await page.waitForSelector('.monaco-workbench .part.activitybar', { timeout: 60_000 });
  const tab = page.locator('.part.activitybar [aria-label^="Greenlight"]').first();
  await tab.waitFor({ timeout: 60_000 });
  await tab.click();
  await page.locator('.part.sidebar .pane-header', { hasText: 'Environments' }).waitFor();
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'healthy' }).first().waitFor({ timeout: 60_000 });
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'verified' }).first().waitFor({ timeout: 60_000 });
  // Make the sidebar wide enough for the descriptions.
  const box = await page.locator('.part.sidebar').boundingBox();
  if (box) {
    const x = box.x + box.width;
    await page.mouse.move(x, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(x + 10, box.y + box.height / 2, { steps: 2 });
    await page.mouse.move(760, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
  }
  const shot = async (name) => {
    await page.mouse.move(W - 5, H / 2);
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(outDir, name) });
    console.log(`wrote ${path.join(path.relative(process.cwd(), outDir), name)}`);
  };
  // Environments first, with Images and Backups collapsed; then Backups alone.
  for (const view of ['Images', 'Backups']) await page.locator('.part.sidebar .pane-header', { hasText: view }).click();
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'healthy' }).first().waitFor();
  await shot('environments.png');
  await page.locator('.part.sidebar .pane-header', { hasText: 'Environments' }).click();
  await page.locator('.part.sidebar .pane-header', { hasText: 'Backups' }).click();
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'verified' }).first().waitFor();
  await shot('backups.png');
} catch (e) {
  console.error(e);
  code = 1;
  if (page) {
    await page.screenshot({ path: path.join(outDir, 'error-deploy.png') }).catch(() => undefined);
    for (const t of await page.locator('.part.sidebar .monaco-list-row').allTextContents().catch(() => [])) console.error(`  row: ${t}`);
  }
} finally {
  await browser?.close().catch(() => undefined);
  server?.stop();
  rmSync(path.dirname(ws), { recursive: true, force: true });
}
process.exit(code);
