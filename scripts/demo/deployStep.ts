// Demo step: deploy the tested demo image to the "production" environment of greenlight.yaml
// (the test bed's production host: its own sshd, dockerd and PostgreSQL in a network namespace,
// reached exactly as a real server) and roll it back, printing each step of both. It fails, with
// the reason, when there is no test bed, no Docker engine or no tested image. The CLI equivalent is `greenlight deploy <tag> --env production`
// followed by `greenlight rollback --env production`.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { JobContext } from '../../src/core/common/job';
import { deploy } from '../../src/core/deploy/deploy';
import { rollback, listRetained } from '../../src/core/deploy/rollback';
import { openEnvironment } from '../../src/core/deploy/session';
import { buildAndTestDemo } from '../../src/core/images/demo';
import { openLedger } from '../../src/core/images/ledger';
import { localDocker } from '../../src/core/images/adapters/dockerodeAdapter';
import { runStep } from './result';

const ROOT = path.resolve(__dirname, '../..');
const ENV_NAME = 'production';
const TESTBED_ENV = process.env.GREENLIGHT_TESTBED_ENV ?? '/tmp/greenlight-testbed/env';
const PASSWORD_VAR = 'GREENLIGHT_PROD_DB_PASSWORD';

function testbedValue(name: string): string | undefined {
  if (!existsSync(TESTBED_ENV)) return undefined;
  const m = new RegExp(`^export ${name}='?([^'\\n]+)'?$`, 'm').exec(readFileSync(TESTBED_ENV, 'utf8'));
  return m?.[1];
}

// The demo prints what a user watches in the output channel: steps, verdicts, not every probe.
const SHOWN = /^(deploy |preflight|migrations:|backup:|ship:|health:|  \[migrate\]|release task|switch:|rollback|keep )/;

function printer(prefix: string): JobContext {
  return {
    signal: new AbortController().signal,
    progress: () => undefined,
    log: (line, level) => {
      if (SHOWN.test(line) || level === 'error') console.log(`${prefix}${level === 'warn' ? 'warning: ' : level === 'error' ? 'error: ' : ''}${line}`);
    },
  };
}

runStep(async () => {
  if (!existsSync(TESTBED_ENV)) return { status: 'failed', summary: `no production host: the "${ENV_NAME}" environment is the test bed's (start it with bash test/testbed/up.sh; ${TESTBED_ENV} is missing)` };
  const engine = localDocker(process.env);
  try {
    await engine.ping();
  } catch (e) {
    return { status: 'failed', summary: `no Docker engine at ${engine.endpoint} (${(e as Error).message})` };
  }
  const ledger = await openLedger(ROOT);
  const tested = ledger.list().find((r) => r.result === 'passed' && r.service === 'web');
  if (!tested) return { status: 'failed', summary: 'no tested demo image yet: the build-and-test step did not pass (only tested images are deployed)' };
  const image = tested.tags[0]!;
  if (!(await engine.inspectImage(image).catch(() => undefined))) return { status: 'failed', summary: `the tested image ${image} is no longer on the local engine; run the demo again to rebuild it` };

  // The production database password: from the environment, else the test bed's (its env file).
  const vars = { ...process.env };
  if (!vars[PASSWORD_VAR]) {
    const url = testbedValue('PROD_DATABASE_URL');
    if (!url) return { status: 'failed', summary: `${PASSWORD_VAR} is not set and ${TESTBED_ENV} names no production database` };
    vars[PASSWORD_VAR] = decodeURIComponent(new URL(url).password);
  }
  const ctx = printer('  ');
  let session;
  try {
    session = await openEnvironment(ctx, { cwd: ROOT, envName: ENV_NAME, vars, retryForMs: 5000 });
  } catch (e) {
    return { status: 'failed', summary: `the ${ENV_NAME} host does not answer over SSH (${(e as Error).message}); start the test bed with bash test/testbed/up.sh` };
  }
  // The engine that built and tested the image is the one ship reads it from.
  const local = engine;
  try {
    const s = session;
    const request = { config: s.config, environment: s.environment, image, ledger, secrets: s.secrets, who: 'npm run demo' };
    console.log(`deploying ${image} (tested ${tested.testedAt}) to ${ENV_NAME} = ${s.host.where}`);
    let r = await deploy(ctx, local, s.host, request);
    if (r.outcome !== 'succeeded') return { status: 'failed', summary: `deploy ${r.outcome}: ${r.message}` };
    const deployed = r;
    if ((await listRetained(s.host, s.config, ENV_NAME, 'web')).length === 0) {
      // A first deploy has nothing to roll back to: deploy the same tested image once more, so
      // the previous container is kept and the rollback below has a version to return to.
      // A first deploy has nothing to roll back to: build and test a second version (a new tag and
      // image: the build stamps its time into the image), deploy it, and roll back to the first.
      console.log('first deploy to this environment: building and testing a second version, so there is a previous version to roll back to');
      const env = { ...process.env };
      const testUrl = testbedValue('TEST_DATABASE_URL');
      if (!env.GREENLIGHT_LOCAL_DB_PASSWORD && testUrl) env.GREENLIGHT_LOCAL_DB_PASSWORD = decodeURIComponent(new URL(testUrl).password);
      const second = await buildAndTestDemo(ROOT, { signal: new AbortController().signal, progress: () => undefined, log: () => undefined }, env);
      if (second.status !== 'ok' || !second.test.passed) return { status: 'failed', summary: `the second version did not build and pass its test${second.status === 'skipped' ? `: ${second.reason}` : ''}` };
      const next = second.build.images[0]!;
      r = await deploy(ctx, local, s.host, { ...request, image: next.tag });
      if (r.outcome !== 'succeeded') return { status: 'failed', summary: `deploy of the second version ${r.outcome}: ${r.message}` };
    }
    console.log(`rolling back ${ENV_NAME}`);
    const rb = await rollback(ctx, s.host, { config: s.config, environment: s.environment, who: 'npm run demo' });
    if (rb.outcome !== 'succeeded') return { status: 'failed', summary: `rollback failed: ${rb.message}; serving ${rb.serving}` };
    return {
      status: 'ok',
      summary:
        `deployed ${deployed.version} (${deployed.backup ? `backup ${deployed.backup.id}` : `no backup: ${deployed.backupReason ?? 'no database'}`}, switch ${deployed.switchMs} ms), ` +
        `then rolled back ${rb.from} → ${rb.to} in ${rb.rollbackMs} ms; ${ENV_NAME} serves ${rb.serving}`,
    };
  } finally {
    local.close();
    session.close();
  }
});
