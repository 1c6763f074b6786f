// The floor of `npm run bench -- lint` for many files: a Node.js process that does nothing but
// find the .sql files under a folder, read each and parse it with libpg-query (PostgreSQL's own
// parser compiled to WASM, the one Greenlight's SQL rules read) — no splitting, no rules, no
// report. Whatever Greenlight does on top costs more than this, so its ratio to squawk here is the
// best any linter built on that parser in Node.js could reach on this machine.
//
// usage: node scripts/bench/_lintParseFloor.cjs <dir> [threads]   (threads: 1 = the main thread;
// n > 1 = n worker threads, files dealt round-robin). Prints "<files> files <statements> statements".
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const { setFlagsFromString } = require('node:v8');
const fs = require('node:fs');
const path = require('node:path');

// The same V8 flags as Greenlight's lint run (src/cli/lintMain.ts): baseline WASM code only.
setFlagsFromString('--liftoff-only');
setFlagsFromString('--wasm-lazy-compilation');

/** Parses each file and returns the number of statements (files PostgreSQL rejects count none). */
async function parseAll(files) {
  const pg = require('libpg-query');
  await pg.loadModule();
  let statements = 0;
  for (const f of files) {
    try {
      statements += pg.parseSync(fs.readFileSync(f, 'utf8')).stmts.length;
    } catch {
      // A parse error is the parser's answer too: it has done its work.
    }
  }
  return statements;
}

function sqlFiles(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sqlFiles(p, out);
    else if (p.endsWith('.sql')) out.push(p);
  }
  return out;
}

if (isMainThread) {
  const [dir, threadsArg] = process.argv.slice(2);
  const threads = Number(threadsArg ?? 1);
  const files = sqlFiles(path.resolve(dir));
  const report = (statements) => console.log(`${files.length} files ${statements} statements`);
  if (threads <= 1) {
    void parseAll(files).then(report);
  } else {
    let done = 0;
    let statements = 0;
    for (let k = 0; k < threads; k++) {
      const w = new Worker(__filename, { workerData: files.filter((_, i) => i % threads === k) });
      w.on('message', (n) => {
        statements += n;
        if (++done === threads) report(statements);
      });
    }
  }
} else {
  void parseAll(workerData).then((n) => parentPort.postMessage(n));
}
