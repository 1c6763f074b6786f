// Versions of a small Node app in a FROM scratch image, for the layer-delta test and bench: a base
// layer with this machine's node binary and the shared libraries ldd names for it (about 100 MB,
// the same bytes on every build, so the engine's build cache gives every version the same base
// layer), and an app layer of a few KB that differs per version. No registry, no network.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Builds `tag` (e.g. "delta-app:v2") with `version` in its app layer; returns its image ID.
 * `appBytes` adds that many random bytes to the app layer (a transfer long enough to interrupt).
 */
export function buildNodeVersion(tag: string, version: string, opts: { appBytes?: number } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'delta-img-'));
  try {
    const rootfs = path.join(dir, 'rootfs');
    const copy = (src: string, dst: string): void => {
      mkdirSync(path.dirname(dst), { recursive: true });
      copyFileSync(realpathSync(src), dst);
      chmodSync(dst, 0o755);
    };
    const node = realpathSync(process.execPath);
    copy(node, path.join(rootfs, 'usr/bin/node'));
    for (const m of execFileSync('ldd', [node], { encoding: 'utf8' }).matchAll(/(\/\S+)\s+\(0x/g)) copy(m[1]!, path.join(rootfs, m[1]!));
    mkdirSync(path.join(dir, 'app'));
    writeFileSync(
      path.join(dir, 'app/server.js'),
      `require('http').createServer((q, s) => s.end(${JSON.stringify(`${version}\n`)})).listen(Number(process.env.PORT || 3000), process.env.BIND || '127.0.0.1');\n`,
    );
    writeFileSync(path.join(dir, 'app/release.txt'), `${version}\n`.repeat(200));
    if (opts.appBytes) writeFileSync(path.join(dir, 'app/assets.bin'), randomBytes(opts.appBytes));
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs /\nCOPY app /app\nCMD ["/usr/bin/node", "/app/server.js"]\n');
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', tag, dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]).toString().trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
