// The migration panel's message contract (src/extension/panels/migrationMessages.ts): what the
// webview may send is checked field by field before the extension acts on it, and the summary
// line of a target counts each state.
import * as assert from 'node:assert/strict';
import { countStates, parseWebviewMessage, summarizeCounts } from '../../../src/extension/panels/migrationMessages';

suite('(unit) extension: migration panel messages', () => {
  const valid: [string, unknown][] = [
    ['ready', { type: 'ready' }],
    ['refresh', { type: 'refresh' }],
    ['show the verify report', { type: 'showVerifyReport' }],
    ['verify all', { type: 'verify' }],
    ['verify one file', { type: 'verify', fileName: '003_add_order_total.sql' }],
    ['dry run on the local database', { type: 'dryRun', target: 'local' }],
    ['dry run on an environment', { type: 'dryRun', target: 'env:production' }],
    ['drift of the local database', { type: 'drift', target: 'local' }],
    ['drift of an environment', { type: 'drift', target: 'env:production' }],
    ['open a file', { type: 'openFile', fileName: '001_create_orders.sql' }],
    ['open a file at a line', { type: 'openFile', fileName: '001_create_orders.sql', line: 12 }],
  ];
  for (const [what, raw] of valid) {
    test(`accepts ${what}`, () => assert.deepEqual(parseWebviewMessage(raw), raw));
  }

  const invalid: [string, unknown][] = [
    ['nothing', undefined],
    ['a string', 'ready'],
    ['an unknown type', { type: 'deploy' }],
    ['a path instead of a file name', { type: 'openFile', fileName: '../../etc/passwd' }],
    ['an absolute path', { type: 'openFile', fileName: '/etc/passwd' }],
    ['a Windows path', { type: 'verify', fileName: '..\\secrets.sql' }],
    ['a line that is not a positive integer', { type: 'openFile', fileName: 'a.sql', line: 0 }],
    ['a fractional line', { type: 'openFile', fileName: 'a.sql', line: 1.5 }],
    ['a line given as text', { type: 'openFile', fileName: 'a.sql', line: '3' }],
    ['a file name that is not text', { type: 'verify', fileName: 42 }],
    ['an unknown target', { type: 'dryRun', target: 'production' }],
    ['a target with a shell character', { type: 'dryRun', target: 'env:prod;rm' }],
    ['a dry run without a target', { type: 'dryRun' }],
    ['a drift check without a target', { type: 'drift' }],
    ['a drift check of a path', { type: 'drift', target: 'env:../../etc' }],
    ['a fix of an unknown kind', { type: 'fix', target: 'env:prod', kind: 'run-anything' }],
    ['a fix without a target', { type: 'fix', kind: 'host-key' }],
    ['a fix of a path', { type: 'fix', target: 'env:../x', kind: 'host-key' }],
  ];
  for (const [what, raw] of invalid) {
    test(`drops ${what}`, () => assert.equal(parseWebviewMessage(raw), undefined));
  }

  test('passes a known fix for a named target', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'fix', target: 'env:prod', kind: 'host-key', extra: 1 }), { type: 'fix', target: 'env:prod', kind: 'host-key' });
    assert.deepEqual(parseWebviewMessage({ type: 'fix', target: 'env:prod', kind: 'not-configured' }), { type: 'fix', target: 'env:prod', kind: 'not-configured' });
  });

  test('extra fields are not passed on', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'refresh', command: 'rm -rf /' }), { type: 'refresh' });
  });

  test('counts each state and leaves zero counts out of the summary, except applied and pending', () => {
    const c = countStates([
      { fileName: 'a', state: 'applied' },
      { fileName: 'b', state: 'checksum-changed' },
      { fileName: 'c', state: 'pending' },
      { fileName: 'd', state: 'pending' },
    ]);
    assert.deepEqual(c, { applied: 1, pending: 2, 'checksum-changed': 1, failed: 0, missing: 0 });
    assert.equal(summarizeCounts(c), '1 applied, 2 pending, 1 checksum changed');
    assert.equal(summarizeCounts(countStates([])), '0 applied, 0 pending');
    assert.equal(summarizeCounts(countStates([{ fileName: 'x', state: 'failed' }, { fileName: 'y', state: 'missing' }])), '0 applied, 0 pending, 1 failed, 1 missing');
  });
});
