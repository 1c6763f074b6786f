// Helpers shared by the extension-host runner (run.mjs) and the screenshot script: start the real
// VS Code server that ships inside the code-server npm package (installed by install.sh into
// .tools/vscode-host/), open its web workbench in Debian's chromium through playwright-core,
// compile the host suites, package and install the .vsix.
//
// We start lib/vscode/out/server-main.js ourselves rather than code-server's wrapper: only the
// plain server accepts --enable-smoke-test-driver, without which a built workbench ignores the
// extensionDevelopmentPath / extensionTestsPath passed in the URL payload.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HOST_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HOST_DIR, '../..');
export const TOOLS_DIR = process.env.GREENLIGHT_VSCODE_HOST_DIR || path.join(ROOT, '.tools/vscode-host');
export const SERVER_MAIN = path.join(TOOLS_DIR, 'node_modules/code-server/lib/vscode/out/server-main.js');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const EXTENSION_ID = 'greenlight-dev.greenlight';

/** Runs install.sh (a fast no-op once installed); throws if it fails. */
export function ensureInstalled() {
  const r = spawnSync('bash', [path.join(HOST_DIR, 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`test/host/install.sh failed (exit ${r.status})`);
  if (!existsSync(SERVER_MAIN)) throw new Error(`VS Code server missing at ${SERVER_MAIN} after install.sh`);
}

/** The extension's bundles must exist: the runner never builds (npm test builds first). */
export function requireBuilt() {
  const missing = ['dist/extension.js', 'dist/service.js'].filter((f) => !existsSync(path.join(ROOT, f)));
  if (missing.length) throw new Error(`${missing.join(', ')} missing: run \`node scripts/build.mjs\` first`);
}

// Quiet, offline user settings: no welcome page, no tips, no marketplace or update checks, no
// workspace-trust prompt (it would put the extension in restricted mode).
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'remote.autoForwardPorts': false,
  'remote.restoreForwardedPorts': false,
  'window.commandCenter': false,
  'workbench.layoutControl.enabled': false,
  // The deploy suite makes and removes a git repository under the workspace; VS Code's own git
  // extension then logs unhandled "not a git repository" rejections into the test output.
  // Greenlight runs git itself and does not use that extension.
  'git.enabled': false,
  // Suites read the environments when they mean to; the tests of the timer set it themselves.
  'greenlight.environments.refreshIntervalSeconds': 0,
};

/**
 * Starts the VS Code server on 127.0.0.1 (a free port) with its own temporary data folders.
 * Returns { port, child, root, stop }; stop() ends the server's whole process group (server,
 * extension host, Greenlight's service process) and removes the temporary folders.
 */
export async function startServer({ verbose = false, extensionsDir, env = {}, settings = {}, workspaceTrust = false } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'greenlight-vscode-'));
  const userData = path.join(root, 'user-data');
  // The extensions folder must exist: with a missing folder the server silently skips the
  // development extension.
  const extDir = path.resolve(extensionsDir || path.join(root, 'extensions'));
  mkdirSync(extDir, { recursive: true });
  // workspaceTrust: Restricted Mode is on, and the folder is not trusted (nobody answers the prompt).
  const text = JSON.stringify({ ...SETTINGS, ...(workspaceTrust ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' } : {}), ...settings }, null, 2);
  // The web workbench keeps user settings in the browser; the server reads these two (machine
  // settings apply to the extension host and remote-side features).
  for (const d of [path.join(userData, 'User'), path.join(root, 'server-data/data/User'), path.join(root, 'server-data/data/Machine')]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'settings.json'), text);
  }
  const xdg = path.join(root, 'xdg');
  mkdirSync(xdg, { recursive: true });
  const args = [
    SERVER_MAIN, '--host', '127.0.0.1', '--port', '0', '--without-connection-token', '--accept-server-license-terms',
    '--enable-smoke-test-driver', '--disable-telemetry', ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--server-data-dir', path.join(root, 'server-data'), '--user-data-dir', userData, '--extensions-dir', extDir,
  ];
  const child = spawn(process.execPath, args, {
    detached: true, // its own process group, so stop() reaches the extension host and its children too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      XDG_CONFIG_HOME: xdg,
      XDG_DATA_HOME: xdg,
      XDG_CACHE_HOME: xdg,
      // No marketplace: nothing to reach here, and the lookups only add noise and delay.
      EXTENSIONS_GALLERY: '{}',
      ...env,
    },
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`VS Code server did not start within 60 s:\n${log}`)), 60_000);
    const onData = (d) => {
      log += d;
      if (verbose) process.stderr.write(`[server] ${d}`);
      const m = log.match(/Extension host agent listening on (\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`VS Code server exited with ${c} before listening:\n${log}`));
    });
  });
  child.removeAllListeners('exit');
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  if (verbose) {
    child.stdout.on('data', (d) => process.stderr.write(`[server] ${d}`));
    child.stderr.on('data', (d) => process.stderr.write(`[server] ${d}`));
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    if (!process.env.KEEP_TMP) rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', stop);
  return { port, child, root, stop };
}

/** playwright-core from .tools/vscode-host (install.sh), else the project's devDependency. */
function playwright() {
  for (const from of [path.join(TOOLS_DIR, 'package.json'), path.join(ROOT, 'package.json')]) {
    try {
      return createRequire(from)('playwright-core');
    } catch {
      // try the next place
    }
  }
  throw new Error('playwright-core not found: run test/host/install.sh');
}

export async function launchChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run test/host/install.sh (apt chromium)`);
  // Keep chromium's profile, crash reports and dconf cache out of $HOME.
  const xdg = mkdtempSync(path.join(tmpdir(), 'greenlight-chromium-'));
  const browser = await playwright().chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, XDG_CONFIG_HOME: xdg, XDG_CACHE_HOME: xdg },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  browser.on('disconnected', () => rmSync(xdg, { recursive: true, force: true }));
  return browser;
}

/** The workbench URL; paths are on the server machine, which is this one. */
export function workbenchUrl(port, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const authority = `127.0.0.1:${port}`;
  const remote = (p) => `vscode-remote://${authority}${path.resolve(p)}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  payload.push(['skipWelcome', 'true']);
  let url = `http://${authority}/?`;
  if (folder) url += `folder=${encodeURIComponent(path.resolve(folder))}&`;
  return url + `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Copies a fixture workspace (test/host/workspaces/<name>) to a fresh temporary folder, so tests
 * may edit and break its files without touching the checkout.
 */
export function copyWorkspace(name) {
  const src = path.join(HOST_DIR, 'workspaces', name);
  if (!existsSync(src)) throw new Error(`no fixture workspace ${src}`);
  const dst = path.join(mkdtempSync(path.join(tmpdir(), 'greenlight-ws-')), name);
  cpSync(src, dst, { recursive: true });
  return dst;
}

/**
 * Compiles test/host/suite/** (.ts) to out/host-tests/<pid>/ with esbuild: every *.test.ts and the
 * mocha loader index.ts, each bundled on its own (so a suite may import helpers or src/ code),
 * with `vscode` (given by the extension host) and `mocha` (resolved from the project's
 * node_modules, hence a folder inside the checkout). One folder per runner process, so two runs
 * at the same time never delete each other's tests; it is removed when the runner exits.
 */
export async function compileSuites() {
  const esbuild = createRequire(path.join(ROOT, 'package.json'))('esbuild');
  const srcDir = path.join(HOST_DIR, 'suite');
  const outDir = path.join(ROOT, 'out/host-tests', String(process.pid));
  rmSync(outDir, { recursive: true, force: true });
  if (!process.env.KEEP_TMP) process.on('exit', () => rmSync(outDir, { recursive: true, force: true }));
  const entries = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts') || (dir === srcDir && e.name === 'index.ts')) entries.push(p);
    }
  };
  walk(srcDir);
  await esbuild.build({
    entryPoints: entries,
    outbase: srcDir,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    external: ['vscode', 'mocha'],
  });
  return outDir;
}

/** Packages the extension with vsce from the current dist/ into outFile. */
export function packageVsix(outFile) {
  mkdirSync(path.dirname(outFile), { recursive: true });
  rmSync(outFile, { force: true });
  const vsce = path.join(ROOT, 'node_modules/.bin/vsce');
  // Same flags as the package.json "package" script: README images stay relative and are shipped
  // in the package (docs/images), since the repository is not on a host vsce knows.
  const r = spawnSync(vsce, ['package', '--no-dependencies', '--no-rewrite-relative-links', '-o', outFile], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0 || !existsSync(outFile)) throw new Error(`vsce package failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return outFile;
}

/** Installs a .vsix into a fresh extensions folder with the server's own --install-extension. */
export function installVsix(vsix, extensionsDir) {
  rmSync(extensionsDir, { recursive: true, force: true });
  mkdirSync(extensionsDir, { recursive: true });
  const serverData = mkdtempSync(path.join(tmpdir(), 'greenlight-vscode-install-'));
  try {
    const r = spawnSync(process.execPath, [SERVER_MAIN, '--accept-server-license-terms', '--server-data-dir', serverData,
      '--extensions-dir', extensionsDir, '--install-extension', vsix], { encoding: 'utf8', env: { ...process.env, EXTENSIONS_GALLERY: '{}' } });
    const out = `${r.stdout}${r.stderr}`;
    if (r.status !== 0 || !/successfully installed/i.test(out)) throw new Error(`installing ${vsix} failed (exit ${r.status}):\n${out}`);
    return out.trim();
  } finally {
    rmSync(serverData, { recursive: true, force: true });
  }
}
