import * as assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { checkHostKey, fingerprint, keysFromKnownHosts, parseKeyLine } from '../../../src/core/ship/hostKey';

// Two real ed25519 public keys (ssh-keygen output); the fingerprint below is what `ssh-keygen -lf` prints for KEY_A.
const KEY_A = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJUAeH6TfA4iPaZEbsQzVu2RcMmH8iWxyvDzJmL2Ncm+';
const KEY_B = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINS0ZT/f+Vvcux0JOzMzjs3bBnAAQphbsQ+J4dTI/1FB';

suite('(unit) ship: host key pinning', () => {
  test('fingerprint matches ssh-keygen format', () => {
    const fp = fingerprint(parseKeyLine(KEY_A).blob);
    assert.equal(fp, 'SHA256:cPkkxRraxi8gQRXiFgHGKmRTCQxTGeq0OiqhDUnKQiI');
  });

  test('parseKeyLine rejects a type that does not match the blob', () => {
    assert.throws(() => parseKeyLine(KEY_A.replace('ssh-ed25519', 'ssh-rsa')), /encodes a ssh-ed25519 key/);
  });

  test('known_hosts: plain, bracketed port, wildcard, negation and hashed entries', () => {
    const b64a = KEY_A.split(' ')[1];
    const b64b = KEY_B.split(' ')[1];
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.9]:2222').digest('base64')}`;
    const text = [
      '# comment',
      `198.18.77.2 ssh-ed25519 ${b64a}`,
      `[198.18.77.2]:2222 ssh-ed25519 ${b64b}`,
      `*.example.com,!bad.example.com ssh-ed25519 ${b64b}`,
      `${hashed} ssh-ed25519 ${b64a}`,
      '@revoked 198.18.77.2 ssh-ed25519 ' + b64b,
    ].join('\n');
    assert.deepEqual(keysFromKnownHosts(text, '198.18.77.2', 22).map((k) => k.blob.toString('base64')), [b64a]);
    assert.deepEqual(keysFromKnownHosts(text, '198.18.77.2', 2222).map((k) => k.blob.toString('base64')), [b64b]);
    assert.equal(keysFromKnownHosts(text, 'web.example.com', 22).length, 1);
    assert.equal(keysFromKnownHosts(text, 'bad.example.com', 22).length, 0);
    assert.deepEqual(keysFromKnownHosts(text, '10.0.0.9', 2222).map((k) => k.blob.toString('base64')), [b64a]);
  });

  test('the pinned key is accepted; a changed key is refused with both fingerprints', () => {
    const a = parseKeyLine(KEY_A);
    const b = parseKeyLine(KEY_B);
    const policy = { host: 'prod', port: 22 };
    assert.deepEqual(checkHostKey(policy, a.blob, [a]), { ok: true });
    const v = checkHostKey(policy, b.blob, [a]);
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.reason, 'changed');
    assert.equal(v.fingerprint, fingerprint(b.blob));
    assert.ok(v.message.includes(fingerprint(b.blob)) && v.message.includes(fingerprint(a.blob)), v.message);
  });

  test('an unknown key is refused and the message shows how to pin it', () => {
    const b = parseKeyLine(KEY_B);
    const v = checkHostKey({ host: 'prod', port: 22 }, b.blob, []);
    assert.equal(v.ok, false);
    if (v.ok) return;
    assert.equal(v.reason, 'unknown');
    assert.ok(v.message.includes(fingerprint(b.blob)));
    assert.ok(v.message.includes(KEY_B), v.message);
  });
});
