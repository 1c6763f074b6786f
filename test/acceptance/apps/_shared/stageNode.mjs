#!/usr/bin/env node
// Stages rootfs/ in the current directory (a service's build context) for a FROM scratch image:
// the host's node binary, exactly the shared libraries `ldd` reports for it, /etc/passwd and
// /etc/group with an unprivileged user 1000, and a world-writable /tmp (mode 1777).
// Greenlight runs it before each build through `prepare` in greenlight.yaml.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const rootfs = path.resolve('rootfs');
const copy = (src, dst) => {
  mkdirSync(path.dirname(dst), { recursive: true });
  copyFileSync(realpathSync(src), dst);
  chmodSync(dst, 0o755);
};
const node = realpathSync(process.execPath);
copy(node, path.join(rootfs, 'usr/bin/node'));
let libs = 0;
for (const m of execFileSync('ldd', [node], { encoding: 'utf8' }).matchAll(/(\/\S+)\s+\(0x/g)) {
  copy(m[1], path.join(rootfs, m[1]));
  libs++;
}
mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/nonexistent\napp:x:1000:1000:app:/app:/nonexistent\n');
writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
mkdirSync(path.join(rootfs, 'tmp'), { recursive: true });
chmodSync(path.join(rootfs, 'tmp'), 0o1777);
console.log(`stageNode: rootfs/ has node ${process.version} and ${libs} shared libraries`);
