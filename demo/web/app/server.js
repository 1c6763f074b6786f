'use strict';
// The demo web service. /health answers 200 only when the database answers too, so a broken
// DATABASE_URL or a missing migration fails the image test instead of the production deploy.
const http = require('node:http');
const { Pool } = require('pg');

const PORT = Number(process.env.PORT || 8080);
// Greenlight's image test sets BIND=127.0.0.1 (containers run with --network host).
const HOST = process.env.BIND || process.env.HOST || '0.0.0.0';
const VERSION = process.env.APP_VERSION || 'dev';
const pool = process.env.DATABASE_URL
  ? new Pool({ connectionString: process.env.DATABASE_URL, max: 4, connectionTimeoutMillis: 2000 })
  : null;

function send(res, code, body) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url || '/', 'http://localhost');
  try {
    if (url.pathname === '/health') {
      if (process.env.FAIL_HEALTH === '1') return send(res, 503, { status: 'failing on purpose (FAIL_HEALTH=1)', version: VERSION });
      if (!pool) return send(res, 503, { status: 'no DATABASE_URL', version: VERSION });
      const r = await pool.query('select 1 as ok');
      return send(res, 200, { status: 'ok', version: VERSION, database: r.rows[0].ok === 1 });
    }
    if (url.pathname === '/version') return send(res, 200, { version: VERSION });
    if (url.pathname === '/items' && pool) {
      if (req.method === 'POST') {
        const name = url.searchParams.get('name') || 'item';
        const r = await pool.query('insert into items (name) values ($1) returning id', [name]);
        return send(res, 201, { id: r.rows[0].id });
      }
      const r = await pool.query('select count(*)::int as n from items');
      return send(res, 200, { count: r.rows[0].n });
    }
    send(res, 404, { error: 'not found' });
  } catch (e) {
    send(res, 500, { status: 'error', error: e.message });
  }
});

server.listen(PORT, HOST, () => console.log(`demo web ${VERSION} listening on ${HOST}:${PORT}`));
const stop = () => server.close(() => (pool ? pool.end() : Promise.resolve()).then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
