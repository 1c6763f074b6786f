#!/usr/bin/env node
// The image test of acc-static: nginx serves the site and the API answers with the version under
// test (in the image test the API is reached directly: there is no user network on the test engine).
const fail = (m) => {
  console.error(`FAIL ${m}`);
  process.exit(1);
};
const site = await fetch(new URL('/', process.env.GREENLIGHT_TEST_URL_WEB));
const html = await site.text();
if (site.status !== 200 || !/site release/.test(html)) fail(`/ answered ${site.status}: ${html.slice(0, 200)}`);
const api = await (await fetch(new URL('/api/version', process.env.GREENLIGHT_TEST_URL_API))).json();
if (api.version !== process.env.GREENLIGHT_TEST_VERSION) fail(`the API names ${api.version}, expected ${process.env.GREENLIGHT_TEST_VERSION}`);
console.log(`ok: site (${/site release \w+/.exec(html)[0]}) and API ${api.version}`);
