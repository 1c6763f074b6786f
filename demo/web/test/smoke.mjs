#!/usr/bin/env node
// The demo project's image test (greenlight.yaml `test.command`). Greenlight runs it on the host
// after the built images are healthy, with GREENLIGHT_TEST_URL pointing at the web service on
// its test port and GREENLIGHT_TEST_VERSION set to the version under test.
const base = process.env.GREENLIGHT_TEST_URL;
const version = process.env.GREENLIGHT_TEST_VERSION;
if (!base) {
  console.error('GREENLIGHT_TEST_URL is not set: run this through `greenlight test`');
  process.exit(2);
}
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}
async function json(path, init) {
  const r = await fetch(new URL(path, base), init);
  return { status: r.status, body: await r.json() };
}
await check('/health answers 200 and reaches the database', async () => {
  const { status, body } = await json('/health');
  if (status !== 200 || body.database !== true) throw new Error(`${status} ${JSON.stringify(body)}`);
});
await check('the running image is the version under test', async () => {
  const { body } = await json('/version');
  if (version && body.version !== version) throw new Error(`expected ${version}, got ${body.version}`);
});
await check('/items writes and reads the migrated table', async () => {
  const before = (await json('/items')).body.count;
  const { status } = await json('/items?name=smoke', { method: 'POST' });
  if (status !== 201) throw new Error(`POST /items answered ${status}`);
  const after = (await json('/items')).body.count;
  if (after !== before + 1) throw new Error(`count went from ${before} to ${after}`);
});
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
