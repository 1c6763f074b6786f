import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { gzipToFileWithSha256, parseSha256Lines, sha256Line, verifyArtifacts } from '../../../src/core/images/checksum';

function synthetic(size: number, chunk = 64 * 1024): { stream: Readable; data: Buffer } {
  // Half random, half repetitive: like an image tar (binaries plus text).
  const data = Buffer.concat([randomBytes(size / 2), Buffer.alloc(size / 2, 'layer ')]);
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  return { stream: Readable.from(parts), data };
}

suite('(unit) images: export checksum on a stream', () => {
  let dir = '';
  setup(() => (dir = mkdtempSync(path.join(tmpdir(), 'gl-sum-'))));
  teardown(() => rmSync(dir, { recursive: true, force: true }));

  test('one pass writes gzip whose sha256 equals a separate hash of the file', async () => {
    const { stream, data } = synthetic(4 * 1024 * 1024);
    const file = path.join(dir, 'web-v1.tar.gz');
    const seen: number[] = [];
    const r = await gzipToFileWithSha256(stream, file, { onSourceBytes: (n) => seen.push(n) });
    const onDisk = readFileSync(file);
    assert.equal(r.sha256, createHash('sha256').update(onDisk).digest('hex'));
    assert.equal(r.bytes, onDisk.length);
    assert.equal(r.sourceBytes, data.length);
    assert.ok(gunzipSync(onDisk).equals(data), 'the file decompresses to the source bytes');
    assert.equal(seen[seen.length - 1], data.length, 'progress reports the bytes read');
  });

  test('a failing source leaves no file behind', async () => {
    const bad = new Readable({
      read() {
        this.destroy(new Error('daemon went away'));
      },
    });
    const file = path.join(dir, 'x.tar.gz');
    await assert.rejects(gzipToFileWithSha256(bad, file), /daemon went away/);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a cancelled export leaves no file behind', async () => {
    const ac = new AbortController();
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    const p = gzipToFileWithSha256(endless, path.join(dir, 'y.tar.gz'), { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p);
    assert.deepEqual(await readdir(dir), []);
  });

  test('verify: intact files pass, a corrupted one is reported by name, a missing one too', async () => {
    for (const name of ['a-v1.tar.gz', 'b-v1.tar.gz', 'c-v1.tar.gz']) {
      const r = await gzipToFileWithSha256(synthetic(256 * 1024).stream, path.join(dir, name));
      writeFileSync(path.join(dir, `${name}.sha256`), sha256Line(r.sha256, name));
    }
    assert.ok((await verifyArtifacts(dir)).every((r) => r.ok));
    const b = path.join(dir, 'b-v1.tar.gz');
    const bytes = readFileSync(b);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(b, bytes);
    rmSync(path.join(dir, 'c-v1.tar.gz'));
    const res = await verifyArtifacts(dir);
    assert.deepEqual(res.filter((r) => !r.ok).map((r) => [r.file, r.problem?.split(':')[0]]), [
      ['b-v1.tar.gz', 'checksum mismatch'],
      ['c-v1.tar.gz', 'missing (named in c-v1.tar.gz.sha256)'],
    ]);
  });

  test('sha256sum lines parse in both text and binary mode', () => {
    const h = 'ab'.repeat(32);
    assert.deepEqual(parseSha256Lines(`${h}  a.tar.gz\n${h.toUpperCase()} *b.tar.gz\nnoise\n`), [
      { sha256: h, name: 'a.tar.gz' },
      { sha256: h, name: 'b.tar.gz' },
    ]);
  });
});
