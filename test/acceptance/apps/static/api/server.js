'use strict';
// The API beside the static site: nginx proxies /api/ here by the network alias "api".
const http = require('node:http');

const VERSION = process.env.APP_VERSION || 'dev';
const server = http.createServer((req, res) => {
  const body = req.url === '/healthz' ? { status: 'ok', version: VERSION } : req.url === '/api/version' ? { service: 'api', version: VERSION } : null;
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body || { error: 'not found' }));
});
server.listen(Number(process.env.PORT || 3000), process.env.BIND || '0.0.0.0', () => console.log(`acc-static api ${VERSION} listening`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
