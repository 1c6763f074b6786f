// Demo step: build the demo app's image and test exactly that image (src/core/images/demo.ts),
// against a copy of the local database in an isolated test database. The demo's greenlight.yaml
// names the local database postgres://app@127.0.0.1:25432/appdb with its password in
// GREENLIGHT_LOCAL_DB_PASSWORD. With nothing configured, the demo uses the test bed's PostgreSQL
// (bash test/testbed/up.sh serves it on that address and writes its URL to the env file); when
// neither is there, or no Docker engine answers, the step fails and says why.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { buildAndTestDemo } from '../../src/core/images/demo';
import { runStep } from './result';

const ROOT = path.resolve(__dirname, '../..');
const LOCAL = { host: '127.0.0.1', port: 25432 };
const TESTBED_ENV = process.env.GREENLIGHT_TESTBED_ENV ?? '/tmp/greenlight-testbed/env';

/** The password of the test bed's local PostgreSQL, when the test bed's URL is the demo's address. */
function testbedPassword(): string | undefined {
  let text: string;
  try {
    text = readFileSync(TESTBED_ENV, 'utf8');
  } catch {
    return undefined;
  }
  const raw = /^export TEST_DATABASE_URL='?([^'\n]+)'?$/m.exec(text)?.[1];
  if (!raw) return undefined;
  const url = new URL(raw);
  if (url.hostname !== LOCAL.host || Number(url.port) !== LOCAL.port || url.username !== 'app') return undefined;
  return decodeURIComponent(url.password) || undefined;
}

function reachable(host: string, port: number, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (why?: string) => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    s.once('connect', () => done(undefined));
    s.once('error', (e) => done(e.message));
  });
}

runStep(async () => {
  const env = { ...process.env };
  let source = 'GREENLIGHT_LOCAL_DB_PASSWORD from the environment';
  if (!env.GREENLIGHT_LOCAL_DB_PASSWORD) {
    const password = testbedPassword();
    if (!password) {
      return {
        status: 'failed',
        summary: `no local database: the demo tests against postgres://app@${LOCAL.host}:${LOCAL.port}/appdb; start the test bed (bash test/testbed/up.sh) or set GREENLIGHT_LOCAL_DB_PASSWORD for your own server there`,
      };
    }
    env.GREENLIGHT_LOCAL_DB_PASSWORD = password;
    source = `the test bed's PostgreSQL (${TESTBED_ENV})`;
  }
  const down = await reachable(LOCAL.host, LOCAL.port);
  if (down) return { status: 'failed', summary: `the local PostgreSQL at ${LOCAL.host}:${LOCAL.port} does not answer (${down}); start it with bash test/testbed/up.sh` };
  console.log(`database: postgres://app@${LOCAL.host}:${LOCAL.port}/appdb, password from ${source}`);

  // The build streams every Dockerfile step; the demo shows what the test run did and its verdicts.
  const lines: string[] = [];
  const outcome = await buildAndTestDemo(ROOT, { signal: new AbortController().signal, progress: () => undefined, log: (line) => lines.push(line) }, env);
  if (outcome.status === 'skipped') return { status: 'failed', summary: `could not run: ${outcome.reason}` };
  const { build, test } = outcome;
  const shown = lines.filter((l) => /^\[\w+\] (built|started|healthy|removed)|^test database|^applied|^\$ |^ {2}(ok|FAIL|all checks)|^(PASSED|FAILED)/.test(l));
  for (const l of shown.slice(-25)) console.log(l);
  const images = build.images.map((i) => `${i.tag} (${i.imageId.slice(7, 19)})`).join(', ');
  if (!test.passed) {
    console.log(lines.slice(-25).join('\n'));
    return { status: 'failed', summary: `built ${images}; the test failed at ${test.failure?.step}: ${test.failure?.message.split('\n')[0]} (log: ${test.logFile})` };
  }
  return { status: 'ok', summary: `built ${images}${build.dirty ? ' from uncommitted changes' : ''}; tested in ${(test.durationMs / 1000).toFixed(1)} s (${test.mode}): the ledger records it as tested` };
});
