import * as assert from 'node:assert/strict';
import { lineWriter, endAll } from '../../../src/cli/output';
import { formatUptime } from '../../../src/cli/commands/status';
import { newestTestedOfCommit } from '../../../src/core/deploy/defaults';
import { parseSince } from '../../../src/core/deploy/operations';
import type { TestRecord } from '../../../src/core/images/ledger';

const NOW = new Date('2025-01-20T12:00:00Z');
const nowS = NOW.getTime() / 1000;

function rec(over: Partial<TestRecord>): TestRecord {
  return { imageId: 'sha256:aa', service: 'web', version: 'v', tags: [], gitSha: 'a'.repeat(40), result: 'passed', durationMs: 1, logExcerpt: '', testedAt: '2025-01-20T10:00:00Z', ...over };
}

suite('(unit) deploy: everyday operations helpers', () => {
  test('--since: durations back from now, times, Unix seconds; anything else is refused', () => {
    assert.equal(parseSince('90s', NOW), nowS - 90);
    assert.equal(parseSince('10m', NOW), nowS - 600);
    assert.equal(parseSince('1h30m', NOW), nowS - 5400);
    assert.equal(parseSince('2d', NOW), nowS - 172800);
    assert.equal(parseSince('2025-01-20T11:00:00Z', NOW), nowS - 3600);
    assert.equal(parseSince('1737370800', NOW), 1737370800);
    for (const bad of ['yesterday', '10', '5x', '-1h', '2025-13-45']) assert.throws(() => parseSince(bad, NOW), /--since ".*": expected a duration/);
  });

  test('uptime reads as the two largest units', () => {
    assert.equal(formatUptime(0), '0s');
    assert.equal(formatUptime(42), '42s');
    assert.equal(formatUptime(3725), '1h 2m');
    assert.equal(formatUptime(3 * 86400 + 4 * 3600 + 59), '3d 4h');
  });

  test('deploy defaults: the newest passing image of HEAD for the service, never another commit or a failed one', () => {
    const head = 'b'.repeat(40);
    const ledger = {
      list: () => [
        rec({ imageId: 'sha256:other-commit-newer', gitSha: 'c'.repeat(40), version: 'v9', testedAt: '2025-01-20T11:59:00Z' }),
        rec({ imageId: 'sha256:head-failed-newest', gitSha: head, result: 'failed', testedAt: '2025-01-20T11:58:00Z' }),
        rec({ imageId: 'sha256:head-old', gitSha: head, testedAt: '2025-01-20T09:00:00Z' }),
        rec({ imageId: 'sha256:head-new', gitSha: head, testedAt: '2025-01-20T11:00:00Z' }),
        rec({ imageId: 'sha256:head-worker', gitSha: head, service: 'worker', testedAt: '2025-01-20T11:30:00Z' }),
      ],
    };
    assert.equal(newestTestedOfCommit(ledger, 'web', head).imageId, 'sha256:head-new');
    assert.equal(newestTestedOfCommit(ledger, 'worker', head).imageId, 'sha256:head-worker');
    assert.throws(() => newestTestedOfCommit(ledger, 'web', 'd'.repeat(40)), /no image of web built from HEAD \(ddddddd\) has passed greenlight test; .*the newest tested image, v9, is from ccccccc/);
  });

  test('container output reaches the CLI as whole lines, split UTF-8 and a last line without newline included', async () => {
    const lines: string[] = [];
    const w = lineWriter((l) => lines.push(l));
    const text = Buffer.from('one\r\ntwo ü\nthree');
    w.write(text.subarray(0, 9));
    w.write(text.subarray(9));
    await endAll(w);
    assert.deepEqual(lines, ['one', 'two ü', 'three']);
  });
});
