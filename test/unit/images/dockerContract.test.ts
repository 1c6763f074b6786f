import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DockerEngine } from '../../../src/core/images/docker';
import type { connectDocker, localDocker, remoteDocker } from '../../../src/core/images/adapters/dockerodeAdapter';

const SRC = path.resolve(__dirname, '../../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

// Every way of reaching an engine (local, an explicit endpoint, a host over SSH) returns the one
// contract; the compiler fails this file if one of them starts returning something else.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const oneContract: [Same<ReturnType<typeof localDocker>, DockerEngine>, Same<ReturnType<typeof connectDocker>, DockerEngine>, Same<ReturnType<typeof remoteDocker>, DockerEngine>] = [true, true, true];

suite('(unit) images: one Docker contract', () => {
  const files = sourceFiles(SRC);

  test('src declares exactly one DockerEngine interface, in core/images/docker.ts', () => {
    const declaring = files.filter((f) => /^\s*(export\s+)?(interface\s+DockerEngine\b|type\s+DockerEngine\s*=)/m.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    assert.deepEqual(declaring, [path.join('core', 'images', 'docker.ts')]);
    assert.deepEqual(oneContract, [true, true, true]);
  });

  test('dockerode is driven from one adapter file only (the context adapter borrows its option type)', () => {
    const runtime = files.filter((f) => /^import\s+(?!type\b)[^;]*from\s+'dockerode'/m.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    assert.deepEqual(runtime, [path.join('core', 'images', 'adapters', 'dockerodeAdapter.ts')]);
  });
});
