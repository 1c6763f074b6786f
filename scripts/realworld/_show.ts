import { readFileSync } from 'node:fs';
import { createDefaultLinter } from '../../src/core/lint/defaultLinter';
import { gather, loadChains } from './corpus';
void (async () => {
  const lang = process.argv[2];
  const only = process.argv[3];
  const linter = createDefaultLinter();
  for (const g of gather(loadChains().filter((c) => c.language === lang && (!only || c.id === only)))) {
    const r = await linter.lint(g.local, readFileSync(g.local, 'utf8'));
    console.log(`${g.chain.id}\t${g.file}\t${r.language ? '' : 'NOLANG '}${r.findings.filter((x) => x.tags.includes('idempotency') || x.code === 'parse-error').map((x) => `${x.startPos.line}:${x.code}`).join(' ')}`);
  }
})();
