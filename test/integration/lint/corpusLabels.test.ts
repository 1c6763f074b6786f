// The stored SQL corpus labels must be what the oracle says on real PostgreSQL today, so the
// accuracy figures cannot drift from PostgreSQL's behaviour.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testbed } from '../testbed';
import { labelWithOracle, SQL_CORPUS, type SqlLabel } from './oracleLabels';

suite('(integration) lint corpus labels match the oracle on PostgreSQL', () => {
  test('every SQL corpus label equals the oracle verdict', async function () {
    this.timeout(900000);
    // testbed() throws with a clear message when the test bed is not up.
    const url = testbed().testDatabaseUrl;
    const stored = JSON.parse(readFileSync(join(SQL_CORPUS, 'labels.json'), 'utf8')) as Record<string, SqlLabel>;
    const fresh = await labelWithOracle(url);
    const drift = Object.entries(fresh)
      .filter(([f, l]) => stored[f]?.idempotent !== l.idempotent || stored[f]?.source !== 'oracle')
      .map(([f, l]) => `${f}: stored ${stored[f] ? `${stored[f].idempotent} (${stored[f].source})` : 'nothing'}, oracle ${l.idempotent}${l.detail ? ` — ${l.detail}` : ''}`);
    assert.deepEqual(drift, [], `labels drifted; re-run npx tsx test/integration/lint/oracleLabels.ts --write and review:\n${drift.join('\n')}`);
  });
});
