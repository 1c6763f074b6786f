import * as assert from 'node:assert/strict';
import { formatStamp, imageLabels, imageTag, makeVersion, parseVersion, stripUrlCredentials } from '../../../src/core/images/version';

suite('(unit) images: versions and labels', () => {
  const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

  test('version is v<7-char sha>-<YYYYMMDD-HHMMSS> in UTC', () => {
    assert.equal(makeVersion('0123456789abcdef0123456789abcdef01234567', at, false), 'v0123456-20260102-030405');
  });

  test('a dirty working tree adds -dirty', () => {
    assert.equal(makeVersion('abcdef0123', at, true), 'vabcdef0-20260102-030405-dirty');
  });

  test('the stamp does not depend on the local time zone', () => {
    assert.equal(formatStamp(new Date('2026-12-31T23:59:59.999Z')), '20261231-235959');
  });

  test('a version parses back to its parts; other strings do not parse', () => {
    const p = parseVersion('vabcdef0-20260102-030405-dirty');
    assert.deepEqual(p, { shortSha: 'abcdef0', builtAt: at, dirty: true });
    assert.equal(parseVersion('latest'), undefined);
    assert.equal(parseVersion('v1.2.3'), undefined);
    assert.equal(parseVersion('vabcdef0-20260102-030405-clean'), undefined);
  });

  test('a non-sha commit id is refused', () => {
    assert.throws(() => makeVersion('HEAD', at, false), /not a git commit id/);
  });

  test('tag and OCI labels', () => {
    assert.equal(imageTag('web', 'vabcdef0-20260102-030405'), 'web:vabcdef0-20260102-030405');
    const l = imageLabels({ project: 'demo', service: 'web', version: 'vabcdef0-20260102-030405', gitSha: 'abcdef0123', dirty: false, createdAt: at, source: 'https://git.example/x.git' });
    assert.equal(l['org.opencontainers.image.revision'], 'abcdef0123');
    assert.equal(l['org.opencontainers.image.created'], '2026-01-02T03:04:05.000Z');
    assert.equal(l['org.opencontainers.image.version'], 'vabcdef0-20260102-030405');
    assert.equal(l['org.opencontainers.image.source'], 'https://git.example/x.git');
    assert.equal(l['greenlight.project'], 'demo');
    assert.equal(l['greenlight.service'], 'web');
    assert.equal(l['greenlight.dirty'], 'false');
  });

  test('credentials in a remote URL never reach a label', () => {
    assert.equal(stripUrlCredentials('https://user:tok3n@git.example/x.git'), 'https://git.example/x.git');
    assert.equal(stripUrlCredentials('git@git.example:x.git'), 'git@git.example:x.git');
  });
});
