#!/usr/bin/env node
// The image test of acc-express (test.command): run by `greenlight test` once the image is
// healthy, with GREENLIGHT_TEST_URL and GREENLIGHT_TEST_VERSION set.
const base = process.env.GREENLIGHT_TEST_URL;
const version = process.env.GREENLIGHT_TEST_VERSION;
const fail = (m) => {
  console.error(`FAIL ${m}`);
  process.exit(1);
};
const health = await fetch(new URL('/healthz', base));
if (health.status !== 200) fail(`/healthz answered ${health.status}: ${await health.text()}`);
const root = await (await fetch(new URL('/', base))).json();
if (root.version !== version) fail(`/ names ${root.version}, expected ${version}`);
const post = await fetch(new URL('/greetings?name=smoke', base), { method: 'POST' });
if (post.status !== 201) fail(`POST /greetings answered ${post.status}`);
const list = await (await fetch(new URL('/greetings', base))).json();
if (!list.names.includes('smoke')) fail(`/greetings does not list the row just written: ${JSON.stringify(list)}`);
console.log(`ok: ${version} (release ${root.release}) is healthy, reads and writes its table`);
