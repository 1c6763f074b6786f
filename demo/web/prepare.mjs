#!/usr/bin/env node
// Stages the build context of the demo web service (run by Greenlight before each build through
// `prepare` in greenlight.yaml, or by hand: `node demo/web/prepare.mjs`):
//   rootfs/  the host's node binary and exactly the shared libraries `ldd` reports, /etc/passwd
//   app/node_modules/  pg and its dependencies, copied from the repository's node_modules (no
//            network: builds run offline)
// Files are copied only when they changed, so an unchanged context hits the build cache.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const rootfs = path.join(here, 'rootfs');

function copyIfChanged(src, dst) {
  const s = statSync(src);
  if (existsSync(dst)) {
    const d = statSync(dst);
    if (d.size === s.size && d.mtimeMs === s.mtimeMs) return false;
  }
  mkdirSync(path.dirname(dst), { recursive: true });
  copyFileSync(src, dst);
  chmodSync(dst, s.mode & 0o777);
  // Keep the source's mtime so the next run sees the copy as current.
  execFileSync('touch', ['-r', src, dst]);
  return true;
}

function writeIfChanged(file, text) {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// 1. node and its libraries.
const node = realpathSync(process.execPath);
let copied = copyIfChanged(node, path.join(rootfs, 'usr/bin/node')) ? 1 : 0;
const ldd = execFileSync('ldd', [node], { encoding: 'utf8' });
for (const m of ldd.matchAll(/(\/\S+)\s+\(0x/g)) {
  const lib = m[1];
  if (copyIfChanged(realpathSync(lib), path.join(rootfs, lib))) copied++;
}
writeIfChanged(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/nonexistent\napp:x:1000:1000:app:/app:/nonexistent\n');
writeIfChanged(path.join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
mkdirSync(path.join(rootfs, 'tmp'), { recursive: true });
chmodSync(path.join(rootfs, 'tmp'), 0o1777);

// 2. pg and everything it requires, resolved from the repository's node_modules.
const modules = path.join(repo, 'node_modules');
const pending = Object.keys(JSON.parse(readFileSync(path.join(here, 'app/package.json'), 'utf8')).dependencies);
const seen = new Set();
while (pending.length) {
  const name = pending.pop();
  if (seen.has(name)) continue;
  seen.add(name);
  const dir = path.join(modules, name);
  if (!existsSync(dir)) {
    const pkgOfParent = [...seen].join(', ');
    throw new Error(`prepare: ${name} is not in ${modules} (needed by ${pkgOfParent}); run npm install in the repository`);
  }
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const f of execFileSync('find', [dir, '-type', 'f', '-not', '-path', '*/node_modules/*/node_modules/*'], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    if (/\.(md|map|ts)$/.test(f) && !f.endsWith('.d.ts')) continue;
    if (copyIfChanged(f, path.join(here, 'app/node_modules', path.relative(modules, f)))) copied++;
  }
  for (const d of Object.keys(pkg.dependencies || {})) pending.push(d);
}
console.log(`prepare: rootfs/ and app/node_modules/ staged (${copied} file${copied === 1 ? '' : 's'} updated; node ${process.version}, ${seen.size} packages)`);
