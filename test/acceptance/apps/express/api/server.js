'use strict';
// An ordinary Express service: /healthz awaits a query of its own table, so it is healthy only
// once the migrations ran; / names the running version and release.
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');
const { Pool } = require('pg');

const VERSION = process.env.APP_VERSION || 'dev';
const RELEASE = fs.readFileSync(path.join(__dirname, 'release.txt'), 'utf8').trim();
const PORT = Number(process.env.PORT || 3000);
// Greenlight's local image test runs containers with host networking and sets BIND=127.0.0.1.
const HOST = process.env.BIND || '0.0.0.0';
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4, connectionTimeoutMillis: 3000 });

const app = express();

app.get('/healthz', async (req, res) => {
  try {
    const r = await pool.query('select count(*)::int as n from greetings');
    res.json({ status: 'ok', version: VERSION, release: RELEASE, greetings: r.rows[0].n });
  } catch (e) {
    res.status(503).json({ status: 'error', version: VERSION, error: e.message });
  }
});

app.get('/', (req, res) => res.json({ version: VERSION, release: RELEASE }));

app.get('/greetings', async (req, res, next) => {
  try {
    const r = await pool.query('select name from greetings order by id');
    res.json({ version: VERSION, names: r.rows.map((x) => x.name) });
  } catch (e) {
    next(e);
  }
});

app.post('/greetings', async (req, res, next) => {
  try {
    const r = await pool.query('insert into greetings (name) values ($1) returning id', [String(req.query.name || 'anonymous')]);
    res.status(201).json({ id: r.rows[0].id, version: VERSION });
  } catch (e) {
    next(e);
  }
});

const server = app.listen(PORT, HOST, () => console.log(`acc-express ${VERSION} (release ${RELEASE}) listening on ${HOST}:${PORT}`));
const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
