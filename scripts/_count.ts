import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
setFlagsFromString('--liftoff-only'); setFlagsFromString('--wasm-lazy-compilation');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pg = require('libpg-query');
const stat = { parse: { n: 0, bytes: 0, ms: 0, fail: 0 }, scan: { n: 0, bytes: 0, ms: 0 }, plpgsql: { n: 0, bytes: 0, ms: 0, fail: 0 } };
for (const [k, fn] of [['parse', 'parseSync'], ['scan', 'scanSync'], ['plpgsql', 'parsePlPgSQLSync']] as const) {
  const orig = pg[fn];
  pg[fn] = (t: string) => { const s = (stat as any)[k]; s.n++; s.bytes += t.length; const a = performance.now(); try { return orig(t); } catch (e) { s.fail = (s.fail ?? 0) + 1; throw e; } finally { s.ms += performance.now() - a; } };
}
import { createDefaultLinter } from '../src/core/lint/defaultLinter';
import { sqlParseCounters } from '../src/core/lint/sql/parse';
const files: string[] = []; (function walk(d: string) { for (const e of readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (p.endsWith('.sql')) files.push(p); } })(process.argv[2]!);
void (async () => {
  const linter = createDefaultLinter(); let bytes = 0;
  const t0 = performance.now();
  for (const f of files) { const t = readFileSync(f, 'utf8'); bytes += t.length; await linter.lint(f, t); }
  console.log(files.length, 'files', bytes, 'bytes', (performance.now() - t0).toFixed(0), 'ms total', JSON.stringify(stat), JSON.stringify(sqlParseCounters()));
})();
