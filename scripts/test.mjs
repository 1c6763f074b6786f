#!/usr/bin/env node
// `npm test`: the whole suite in one command. Brings up what the layers need (idempotently:
// the test bed and the VS Code host are reused when already there), runs every layer, and
// closes with one line "N passed, N failed" summing all of them. Exit code 0 only if every
// step passed. Set GREENLIGHT_TEST_LAYERS=unit,integration,... to run a subset.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const want = new Set((process.env.GREENLIGHT_TEST_LAYERS || 'static,build,unit,testbed,integration,acceptance,faults,host').split(','));
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
// Each failing layer's failure report (mocha's "N failing" section), repeated at the very end: a
// CI log often shows only its last lines, and a failure in the middle of 2,000 tests is otherwise
// out of sight there.
const reports = [];

function run(label, cmd, args, { env = {}, count = null } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    console.log(`\n=== ${label}: ${[cmd, ...args].join(' ')}`);
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => {
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      if (count) {
        const c = count(out);
        totals.passed += c.passed; totals.failed += c.failed; totals.skipped += c.skipped;
        // A layer that exits non-zero without reporting a failed test still counts as one failure.
        if (code !== 0 && c.failed === 0) totals.failed += 1;
        console.log(`=== ${label}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''} (exit ${code}, ${secs} s)`);
      } else {
        console.log(`=== ${label}: exit ${code} (${secs} s)`);
        if (code !== 0) totals.failed += 1;
      }
      if (code !== 0) {
        failures.push(label);
        reports.push({ label, text: failureReport(out) });
      }
      resolve(code);
    });
  });
}

/** The "N failing" sections of a layer's output (each up to 60 lines), or its last 20 lines when it has none. */
function failureReport(out) {
  const lines = out.split('\n');
  const sections = [];
  lines.forEach((line, i) => {
    if (/^\s*\d+ failing\s*$/.test(line)) sections.push(lines.slice(i, i + 60).join('\n').trimEnd());
  });
  return sections.length ? sections.join('\n') : lines.slice(-20).join('\n').trimEnd();
}

/** Counts from mocha's spec reporter summary lines. */
function mochaCounts(out) {
  const n = (re) => Number((out.match(re) || [])[1] || 0);
  return { passed: n(/^\s*(\d+) passing/m), failed: n(/^\s*(\d+) failing/m), skipped: n(/^\s*(\d+) pending/m) };
}

/** Counts from the extension-host runner's closing lines ("vscode-tests: N passed, M failed"). */
function hostCounts(out) {
  const c = { passed: 0, failed: 0, skipped: 0 };
  for (const m of out.matchAll(/^vscode-tests: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?/gm)) {
    c.passed += Number(m[1]); c.failed += Number(m[2]); c.skipped += Number(m[3] || 0);
  }
  return c;
}

const npx = (bin, ...args) => ['npx', ['--no-install', bin, ...args]];
if (want.has('static')) {
  await run('typecheck', ...npx('tsc', '-p', '.', '--noEmit'));
  await run('lint', ...npx('eslint', 'src', 'test', 'scripts'));
}
if (want.has('build')) await run('build', 'node', ['scripts/build.mjs']);
if (want.has('unit')) await run('unit', ...npx('mocha', '--config', 'test/.mocharc.unit.cjs'), { count: mochaCounts });
if (want.has('testbed')) {
  await run('test bed up', 'bash', ['test/testbed/up.sh']);
  // The three-node swarm (test/integration/swarm/): needs up.sh's deploy user and key.
  await run('swarm test bed up', 'bash', ['test/testbed/swarm-up.sh']);
}
// Real programs from Debian (caddy for the proxy; Django, gunicorn, psycopg2, nginx for the
// acceptance apps): installed when missing, before the integration layer, whose proxy tests build
// the proxy image from Debian's caddy.
if (want.has('integration') || want.has('acceptance')) await run('host packages', 'bash', ['test/acceptance/setup.sh']);
if (want.has('integration')) await run('integration', ...npx('mocha', '--config', 'test/.mocharc.integration.cjs'), { count: mochaCounts });
if (want.has('acceptance')) {
  await run('acceptance', ...npx('mocha', '--config', 'test/.mocharc.acceptance.cjs'), { count: mochaCounts });
}
if (want.has('faults')) await run('faults', ...npx('mocha', '--config', 'test/.mocharc.faults.cjs'), { count: mochaCounts });
if (want.has('host')) await run('extension host', 'node', ['test/host/run.mjs'], { count: hostCounts });

if (reports.length) {
  console.log('\n--- failures, repeated from above ---');
  for (const r of reports) console.log(`[${r.label}]\n${r.text}\n`);
  console.log('--- end of failures ---');
}
console.log(`\nskipped tests are not counted as passed${failures.length ? `; failed steps: ${failures.join(', ')}` : ''}`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(failures.length ? 1 : 0);
