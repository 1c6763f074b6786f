#!/usr/bin/env node
// Runs the extension-host mocha suites inside the real VS Code (the server build in code-server
// 4.100.3, its workbench in headless chromium). It builds nothing: `npm test` builds dist/ first.
//
// Runs, each with its own closing line "vscode-tests: N passed, M failed":
//   dev   the extension from this checkout (extensionDevelopmentPath) on a copy of
//         workspaces/demo; every suite/*.test.ts (add a file there and it runs).
//   vsix  the extension packaged with vsce from dist/ and installed with the server's
//         --install-extension into a fresh extensions folder, no development path; suite/vsix/*.test.ts.
//
// usage: node test/host/run.mjs [--run dev|vsix]... [--grep <text>] [--verbose]
// env:   GREENLIGHT_HOST_TIMEOUT_MS (per run, default 300000), VERBOSE=1, KEEP_TMP=1,
//        GREENLIGHT_VSIX=<file> (test that package instead of packaging dist/).
// Exit code: 0 only if every run passed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { format, parseArgs } from 'node:util';
import {
  compileSuites, copyWorkspace, ensureInstalled, installVsix, launchChromium, packageVsix, requireBuilt, ROOT, startServer,
  workbenchUrl,
} from './lib.mjs';

const RUNS = {
  dev: { title: 'development extension on workspaces/demo', workspace: 'demo', suites: '.', vsix: false },
  vsix: { title: 'installed .vsix on workspaces/demo', workspace: 'demo', suites: 'vsix', vsix: true },
  restricted: { title: 'development extension on workspaces/demo in Restricted Mode (workspace not trusted)', workspace: 'demo', suites: 'restricted', vsix: false, restricted: true },
};

const { values: opts } = parseArgs({
  options: {
    run: { type: 'string', multiple: true },
    grep: { type: 'string' },
    verbose: { type: 'boolean', default: !!process.env.VERBOSE },
  },
});
const selected = opts.run?.length ? opts.run : Object.keys(RUNS);
for (const r of selected) {
  if (!RUNS[r]) {
    console.error(`unknown run "${r}"; runs: ${Object.keys(RUNS).join(', ')}`);
    process.exit(2);
  }
}
const TIMEOUT_MS = Number(process.env.GREENLIGHT_HOST_TIMEOUT_MS || 300_000);
const log = (...a) => console.error('[host]', ...a);
// The workbench's own start-up chatter arrives on the same channel as the tests' output.
const WORKBENCH_NOISE =
  /^(Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching additional builtin|\[Service Worker\]|ChatSessionStore|Updating additional builtin|Started local extension host|Extension host)/;

/** An extension with no code and no contributions, different from Greenlight. */
function placeholderExtension(testsDir) {
  const dir = path.join(testsDir, 'placeholder-extension');
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'greenlight-host-tests-placeholder',
    publisher: 'greenlight-dev',
    version: '0.0.0',
    description: 'Lets the extension-host tests run against the installed Greenlight .vsix.',
    engines: { vscode: '^1.100.0' },
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/** One VS Code server + workbench session running one suite folder. */
async function runOnce(name, testsDir) {
  const spec = RUNS[name];
  const t0 = Date.now();
  const result = { name, code: 1, passed: 0, failed: 0, skipped: 0, note: '' };
  const tmp = [];
  let server;
  let browser;
  try {
    const workspace = copyWorkspace(spec.workspace);
    tmp.push(path.dirname(workspace));
    let extensionsDir;
    if (spec.vsix) {
      const work = mkdtempSync(path.join(tmpdir(), 'greenlight-vsix-'));
      tmp.push(work);
      const vsix = process.env.GREENLIGHT_VSIX ? path.resolve(process.env.GREENLIGHT_VSIX) : packageVsix(path.join(work, 'greenlight.vsix'));
      log(`packaged ${vsix} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      extensionsDir = path.join(work, 'extensions');
      const said = installVsix(vsix, extensionsDir).split('\n').pop();
      log(`${said} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const env = {
      GREENLIGHT_HOST_RUN: name,
      GREENLIGHT_HOST_SUITES: path.join(testsDir, spec.suites),
      GREENLIGHT_HOST_REPO: ROOT,
      ...(opts.grep ? { GREENLIGHT_HOST_GREP: opts.grep } : {}),
      ...(extensionsDir ? { GREENLIGHT_HOST_EXTENSIONS_DIR: extensionsDir } : {}),
    };
    server = await startServer({ verbose: opts.verbose, extensionsDir, env, workspaceTrust: Boolean(spec.restricted) });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

    let finish;
    const done = new Promise((resolve) => (finish = resolve));
    let stats;
    // The workbench forwards the extension host's console to these (see VS Code's
    // test/integration/browser); the suite loader prints one stats line at its end.
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      const m = text.match(/greenlight-host-stats (\{.*\})/);
      if (m) stats = JSON.parse(m[1]);
      else if (opts.verbose || !WORKBENCH_NOISE.test(text)) (type === 'error' ? console.error : console.log)(text);
    });
    // The binding's return value goes back to the page, which cannot take a Timeout object: return nothing.
    await page.exposeFunction('codeAutomationExit', (code) => {
      setTimeout(() => finish({ code, stats }), 0);
    });
    server.child.once('exit', (c) => finish({ code: 1, stats, note: `VS Code server exited unexpectedly (${c})` }));
    setTimeout(() => finish({ code: 124, stats, note: `timed out after ${TIMEOUT_MS} ms` }), TIMEOUT_MS).unref();
    page.on('pageerror', (e) => opts.verbose && log('[page error]', e.message));
    if (opts.verbose) page.on('console', (m) => log('[browser console]', m.type(), m.text()));
    await page.goto(
      workbenchUrl(server.port, {
        folder: workspace,
        // VS Code runs extensionTestsPath only in an extension-development window, so the .vsix
        // run names an empty placeholder extension as the development path; Greenlight itself
        // then comes from the extensions folder only.
        extensionDevelopmentPath: spec.vsix ? placeholderExtension(testsDir) : ROOT,
        extensionTestsPath: path.join(testsDir, 'index.js'),
      }),
    );
    const { code, note } = await done;
    result.code = code;
    result.note = note ?? '';
    if (stats) Object.assign(result, { passed: stats.passes, failed: stats.failures, skipped: stats.pending });
    else if (!result.note) result.note = 'the suite loader reported no results';
    // A true exit code: failures, a missing summary or an abnormal end all fail the run.
    if (result.code === 0 && (!stats || stats.failures > 0)) result.code = 1;
    if (stats && stats.passes + stats.failures === 0 && !opts.grep) {
      result.code = 1;
      result.note = 'no test ran';
    }
  } catch (e) {
    result.code = 1;
    result.note = e instanceof Error ? e.message : String(e);
  } finally {
    try {
      await browser?.close();
    } catch {
      // the browser is already gone
    }
    server?.stop();
    if (!process.env.KEEP_TMP) for (const d of tmp) rmSync(d, { recursive: true, force: true });
  }
  // A run that failed without a failing test (crash, timeout, no results) still counts one failure.
  if (result.code !== 0 && result.failed === 0) result.failed = 1;
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.note) console.error(`[host] run "${name}": ${result.note}`);
  console.log(
    `vscode-tests: ${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}` +
      ` (run "${name}": ${spec.title}, exit ${result.code}, ${secs} s)`,
  );
  return result;
}

const t0 = Date.now();
let testsDir;
try {
  ensureInstalled();
  requireBuilt();
  testsDir = await compileSuites();
  if (!existsSync(path.join(testsDir, 'index.js'))) throw new Error('test/host/suite/index.ts is missing');
} catch (e) {
  console.error(`[host] ${e instanceof Error ? e.message : String(e)}`);
  console.log('vscode-tests: 0 passed, 1 failed (the host runner could not start)');
  process.exit(1);
}
let failed = false;
for (const name of selected) {
  log(`run "${name}": ${RUNS[name].title}`);
  const r = await runOnce(name, testsDir);
  failed ||= r.code !== 0;
}
log(`all runs finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
