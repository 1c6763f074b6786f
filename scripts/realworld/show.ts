// Prints, for every gathered file of one language (and optionally one chain), the idempotency
// findings the linter reports — a worksheet for labelling seeds and Django migrations by reading.
// The label comes from reading the file; this only says where the linter and the reader differ.
//
// usage: npx tsx scripts/realworld/show.ts seed|django|sql [chain-id]
import { readFileSync } from 'node:fs';
import { createDefaultLinter } from '../../src/core/lint/defaultLinter';
import { gather, loadChains } from './corpus';

void (async () => {
  const [lang, only] = process.argv.slice(2);
  if (!lang) throw new Error('usage: npx tsx scripts/realworld/show.ts seed|django|sql [chain-id]');
  const linter = createDefaultLinter();
  for (const g of gather(loadChains().filter((c) => c.language === lang && (!only || c.id === only)))) {
    const r = await linter.lint(g.local, readFileSync(g.local, 'utf8'));
    const found = r.findings.filter((x) => x.tags.includes('idempotency') || x.code === 'parse-error').map((x) => `${x.startPos.line}:${x.code}`);
    console.log(`${g.chain.id}\t${g.file}\t${r.language ? '' : 'NO LANGUAGE '}${found.join(' ')}`);
  }
})();
