'use strict';
// Release task "seed": makes sure the greeting every version shows exists (idempotent).
const { Client } = require('pg');

(async () => {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  const r = await c.query("insert into greetings (name) select 'seeded' where not exists (select 1 from greetings where name = 'seeded')");
  console.log(`seed: ${r.rowCount} row(s) inserted`);
  await c.end();
})().catch((e) => {
  console.error(`seed failed: ${e.message}`);
  process.exit(1);
});
