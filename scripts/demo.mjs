#!/usr/bin/env node
// `npm run demo`: Greenlight's main job on the bundled demo project (greenlight.yaml at the repo
// root, the web service in demo/web, migrations in migrations/). It prints a step-by-step report;
// each step ends "ok" or "FAILED" with the reason, and the exit code is 1 if any step failed.
//
// It runs on a fresh clone with nothing run before it: the first step installs the npm
// dependencies when node_modules is missing and brings the test bed up (a "production host" in a
// network namespace: that needs root on Debian 12; anywhere else the step fails and says what to
// run instead). No step is ever skipped: a demo that only passes on a prepared machine proves
// nothing, so a missing prerequisite is a failure that names it.
//
// To add a step: append an object to STEPS below — { title, run } where run(ctx) returns
// { status: 'ok' | 'failed' | 'skipped', summary, details? } (or throws, which counts as failed).
// ctx.cli(args) runs the built CLI (dist/cli.js) and returns { code, stdout, stderr }.
// ctx.ts(file) runs a step written in TypeScript, scripts/demo/<file> (contract in scripts/demo/result.ts).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliJs = path.join(root, 'dist', 'cli.js');

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: stderr + String(e) }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

const ctx = {
  root,
  cli: (args) => run(process.execPath, [cliJs, ...args]),
  /** Runs a step written in TypeScript (scripts/demo/*.ts, see scripts/demo/result.ts) and returns its result. */
  async ts(file) {
    const r = await run(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/demo', file)]);
    const lines = r.stdout.trimEnd().split('\n');
    const last = lines.at(-1) ?? '';
    if (r.code !== 0 || !last.startsWith('greenlight-demo-result ')) return { status: 'failed', summary: `${file} exited with ${r.code}`, details: (r.stdout + r.stderr).trim() };
    return { ...JSON.parse(last.slice('greenlight-demo-result '.length)), details: [...lines.slice(0, -1), r.stderr.trim()].filter(Boolean).join('\n') };
  },
};

/** Why this machine cannot host the demo's production host, or undefined when it can. */
function cannotHostTestbed() {
  if (process.platform !== 'linux') return `the test bed is a Linux network namespace; this is ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the test bed creates a network namespace, a user and daemons, which needs root (sudo npm run demo)';
  if (!existsSync('/etc/debian_version')) return 'the test bed installs its parts with apt-get (Debian 12)';
  return undefined;
}

const STEPS = [
  {
    title: 'Prepare this machine: npm dependencies and the test bed (bash test/testbed/up.sh)',
    async run() {
      const said = [];
      if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
        said.push('node_modules is missing: npm ci');
        console.log('      node_modules is missing: running npm ci (about a minute)');
        const r = await run('npm', ['ci', '--no-audit', '--no-fund'], { stdio: ['ignore', 'inherit', 'inherit'] });
        if (r.code !== 0) return { status: 'failed', summary: `npm ci failed (exit ${r.code}); run it yourself and look at its output` };
      }
      const why = cannotHostTestbed();
      if (why) {
        return {
          status: 'failed',
          summary:
            `cannot bring up the demo's production host: ${why}. Without it, these still run: ` +
            'npx greenlight lint migrations/, npx greenlight migrate verify --dir migrations, and deploys to your own server (README, "Getting started")',
        };
      }
      const envFile = process.env.GREENLIGHT_TESTBED_ENV ?? '/tmp/greenlight-testbed/env';
      const wasUp = existsSync(envFile);
      const r = await run('bash', ['test/testbed/up.sh']);
      if (r.code !== 0) return { status: 'failed', summary: `test/testbed/up.sh failed (exit ${r.code})`, details: (r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n') };
      const last = r.stdout.trim().split('\n').pop() ?? '';
      said.push(wasUp && /already up/.test(last) ? 'the test bed was already up' : `brought the test bed up (${readFileSync(envFile, 'utf8').match(/PROD_SSH_HOST=(\S+)/)?.[1] ?? '?'}); take it down with npm run testbed:down`);
      return { status: 'ok', summary: said.join('; ') };
    },
  },
  {
    title: 'Build the extension, service and CLI bundles',
    async run() {
      if (existsSync(cliJs) && statSync(cliJs).mtimeMs >= newestMtime(path.join(root, 'src'))) {
        return { status: 'ok', summary: 'dist/ is up to date: it is newer than every file in src/' };
      }
      const r = await run(process.execPath, ['scripts/build.mjs']);
      return { status: r.code === 0 ? 'ok' : 'failed', summary: (r.stdout + r.stderr).trim().split('\n').pop() ?? '', details: r.code === 0 ? '' : r.stderr };
    },
  },
  {
    title: 'Check the project file: greenlight config check',
    async run({ cli }) {
      const r = await cli(['config', 'check']);
      return { status: r.code === 0 ? 'ok' : 'failed', summary: r.code === 0 ? 'greenlight.yaml is valid' : `exit ${r.code}`, details: (r.stdout + r.stderr).trim() };
    },
  },
  {
    title: 'Lint the migrations for idempotency: greenlight lint migrations/',
    async run({ cli }) {
      const text = await cli(['lint', 'migrations/']);
      if (text.code === 2) return { status: 'failed', summary: 'the linter could not run (exit 2)', details: (text.stdout + text.stderr).trim() };
      // The demo's migrations include files named *not_idempotent*: the linter must flag exactly
      // those and pass the others, so this step checks the result instead of only printing it.
      const json = JSON.parse((await cli(['lint', 'migrations/', '--format', 'json', '--fail-on', 'never'])).stdout);
      const flagged = json.files.filter((f) => f.findings.length > 0).map((f) => f.path);
      const expected = json.files.filter((f) => /not_idempotent/.test(f.path)).map((f) => f.path);
      const same = flagged.length === expected.length && flagged.every((f) => expected.includes(f));
      const problems = json.summary.errors + json.summary.warnings + json.summary.infos;
      return {
        status: same && text.code === (problems > 0 ? 1 : 0) ? 'ok' : 'failed',
        summary: same
          ? `${problems} problem(s), all in the deliberately non-idempotent files (${expected.map((f) => path.basename(f)).join(', ')}); ${json.summary.files - flagged.length} file(s) clean; exit ${text.code} as expected`
          : `flagged ${JSON.stringify(flagged)} but the non-idempotent files are ${JSON.stringify(expected)}`,
        details: text.stdout.trim(),
      };
    },
  },
  {
    title: 'Verify the demo migrations on PGlite (fresh, rerun): greenlight migrate verify',
    run: ({ ts }) => ts('verifyMigrationsStep.ts'),
  },
  {
    title: 'Build and test the demo image: greenlight build && greenlight test',
    run: ({ ts }) => ts('imagesStep.ts'),
  },
  {
    title: 'Deploy the tested image to the local "production" host and roll it back: greenlight deploy && greenlight rollback',
    run: ({ ts }) => ts('deployStep.ts'),
  },
];

const t0 = Date.now();
console.log(`Greenlight demo — project ${path.relative(process.cwd(), root) || '.'}/greenlight.yaml\n`);
let failed = 0;
for (const [i, step] of STEPS.entries()) {
  const label = `[${i + 1}/${STEPS.length}] ${step.title}`;
  console.log(label);
  const s0 = Date.now();
  let r;
  try {
    r = await step.run(ctx);
  } catch (e) {
    r = { status: 'failed', summary: e instanceof Error ? e.message : String(e) };
  }
  if (r.details) console.log(r.details.replace(/^/gm, '      '));
  const secs = ((Date.now() - s0) / 1000).toFixed(1);
  // A step that could not run is a failure too: the demo proves nothing it did not do.
  const ok = r.status === 'ok';
  console.log(`  → ${ok ? 'ok' : r.status === 'skipped' ? 'FAILED (did not run)' : 'FAILED'}${r.summary ? ` — ${r.summary}` : ''} (${secs} s)\n`);
  if (!ok) failed++;
  // Without the first step's dependencies and test bed nothing after it can run.
  if (!ok && i === 0) break;
}
console.log(`${failed ? `${failed} step(s) failed` : 'All steps passed'} in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
process.exit(failed ? 1 : 0);
