// An image Greenlight builds from a context must equal the image `docker build` makes of the same
// directory. Both builds run on the host engine from one fixture context that holds what a tar of
// the context can get wrong (modes with sticky/setgid/setuid and group/other write, empty and
// excluded-but-walked directories, symlinks absolute, relative and dangling, hard links, a fifo, a
// file owned by uid 1000); the two images' filesystems are exported and their listings compared
// entry by entry (path, type, mode, uid, gid, size, link target).
//
// The docker CLI runs with DOCKER_BUILDKIT=0: Greenlight builds through the Engine API's classic
// builder, which is also what the CLI uses then, so the comparison is between the two context tars
// and nothing else. (The host has no buildx plugin; BuildKit is not available there anyway.)
import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { extract } from 'tar-stream';
import { buildImages } from '../../../src/core/images/build';
import type { DockerEngine } from '../../../src/core/images/docker';
import { recordingContext, removeProjectArtifacts, requireDocker, workspace, type Workspace } from './bed';

const run = promisify(execFile);

interface Entry {
  readonly path: string;
  readonly type: string;
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly link: string;
}

/** The fixture context: every case is a path under tree/ (or rootfs/, copied onto the image root). */
function fixtureContext(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-fidelity-'));
  const at = (rel: string): string => path.join(dir, rel);
  const mkdir = (rel: string, mode: number): void => {
    mkdirSync(at(rel), { recursive: true });
    // mkdir applies the umask; chmod sets the bits the test means.
    chmodSync(at(rel), mode);
  };
  const file = (rel: string, text: string, mode: number): void => {
    writeFileSync(at(rel), text);
    chmodSync(at(rel), mode);
  };
  writeFileSync(
    at('Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY rootfs/ /\nCOPY tree /tree\nUSER 1000\nCMD ["/bin/busybox", "sh"]\n',
  );
  writeFileSync(at('.dockerignore'), 'tree/ignored.txt\ntree/private\n!tree/private/keep.txt\n');
  copyFileSync('/usr/bin/busybox', at('busybox'));
  chmodSync(at('busybox'), 0o755);
  mkdir('rootfs/tmp', 0o1777);
  mkdir('rootfs/var/cache/app', 0o2775);
  mkdir('tree', 0o755);
  mkdir('tree/sticky', 0o1777);
  mkdir('tree/setgid', 0o2775);
  file('tree/setgid/shared.txt', 'shared\n', 0o664);
  mkdir('tree/empty', 0o700);
  mkdir('tree/deep/empty', 0o750);
  mkdir('tree/open', 0o777);
  file('tree/group-exec.sh', '#!/bin/sh\necho hi\n', 0o775);
  file('tree/world-write.txt', 'anyone\n', 0o666);
  file('tree/run.sh', '#!/bin/sh\nexit 0\n', 0o755);
  file('tree/setuid', 'not really a program\n', 0o4755);
  file('tree/private-key', 'secret\n', 0o600);
  file('tree/nothing', '', 0o000);
  file('tree/zero-length.txt', '', 0o644);
  file('tree/owned-by-1000.txt', 'mine\n', 0o640);
  chownSync(at('tree/owned-by-1000.txt'), 1000, 1000);
  symlinkSync('/tree/run.sh', at('tree/link-absolute'));
  symlinkSync('run.sh', at('tree/link-relative'));
  symlinkSync('../tree/setgid', at('tree/deep/link-up'));
  symlinkSync('does/not/exist', at('tree/link-dangling'));
  file('tree/hard-a.txt', 'one inode, two names\n', 0o644);
  linkSync(at('tree/hard-a.txt'), at('tree/hard-b.txt'));
  execFileSync('mkfifo', ['-m', '0620', at('tree/fifo')]);
  file('tree/ignored.txt', 'never sent\n', 0o644);
  mkdir('tree/private', 0o700);
  file('tree/private/keep.txt', 're-included\n', 0o644);
  file('tree/private/drop.txt', 'excluded\n', 0o644);
  return dir;
}

/** The image's filesystem as `docker export` of a container of it gives it, sorted by path. */
async function listing(image: string): Promise<Entry[]> {
  const { stdout } = await run('docker', ['create', image]);
  const id = stdout.trim();
  try {
    const ex = extract();
    const entries: Entry[] = [];
    ex.on('entry', (h, s, next) => {
      entries.push({
        path: h.name.replace(/\/$/, ''),
        type: h.type,
        mode: (h.mode & 0o7777).toString(8).padStart(4, '0'),
        uid: h.uid,
        gid: h.gid,
        size: h.size,
        link: h.linkname ?? '',
      });
      s.on('end', () => next());
      s.resume();
    });
    const child = spawn('docker', ['export', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.pipe(ex as unknown as NodeJS.WritableStream);
    await new Promise<void>((resolve, reject) => {
      ex.on('finish', resolve);
      ex.on('error', reject);
      child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`docker export ${id} exited ${code}: ${stderr}`))));
    });
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  } finally {
    await run('docker', ['rm', '-f', id]);
  }
}

const show = (e: Entry): string => `${e.path} ${e.type} ${e.mode} ${e.uid}:${e.gid} ${e.size}${e.link ? ` -> ${e.link}` : ''}`;

suite('(integration) images: a Greenlight build equals `docker build` of the same context', function () {
  this.timeout(240_000);
  let engine: DockerEngine;
  let w: Workspace;
  let context: string;
  const cliTag = `gl-fidelity-cli:${process.pid}`;

  suiteSetup(async () => {
    engine = await requireDocker();
    context = fixtureContext();
    w = workspace(({ project, service, port }) => `project: ${project}\nservices:\n  - name: ${service}\n    context: ${context}\n    port: ${port}\n`);
  });
  suiteTeardown(async () => {
    if (engine && w) await removeProjectArtifacts(engine, w.project);
    await run('docker', ['rmi', '-f', cliTag]).catch(() => undefined);
    if (w) rmSync(w.root, { recursive: true, force: true });
    if (context) rmSync(context, { recursive: true, force: true });
  });

  test('same paths, types, modes, owners, sizes and link targets; a non-root user can write /tmp', async () => {
    const built = await buildImages({ workspaceRoot: w.root, engine, services: [w.service] }, recordingContext().ctx);
    const ours = built.images[0]!.tag;
    await run('docker', ['build', '--quiet', '--tag', cliTag, context], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });

    const [mine, theirs] = await Promise.all([listing(ours), listing(cliTag)]);
    const byPath = (l: Entry[]): Map<string, string> => new Map(l.map((e) => [e.path, show(e)]));
    const a = byPath(mine);
    const b = byPath(theirs);
    const differences = [...new Set([...a.keys(), ...b.keys()])]
      .sort()
      .filter((p) => a.get(p) !== b.get(p))
      .map((p) => `greenlight: ${a.get(p) ?? '(missing)'}\ndocker:     ${b.get(p) ?? '(missing)'}`);
    assert.deepEqual(differences, [], `the two images differ:\n${differences.join('\n')}`);

    // The comparison alone would pass if both were wrong in the same way: pin what the fixture means.
    const get = (p: string): string => a.get(p) ?? `${p} (missing)`;
    assert.equal(get('tmp'), 'tmp directory 1777 0:0 0');
    assert.equal(get('var/cache/app'), 'var/cache/app directory 2775 0:0 0');
    assert.equal(get('tree/sticky'), 'tree/sticky directory 1777 0:0 0');
    assert.equal(get('tree/setgid/shared.txt'), 'tree/setgid/shared.txt file 0664 0:0 7');
    assert.equal(get('tree/empty'), 'tree/empty directory 0700 0:0 0');
    assert.equal(get('tree/deep/empty'), 'tree/deep/empty directory 0750 0:0 0');
    assert.equal(get('tree/world-write.txt'), 'tree/world-write.txt file 0666 0:0 7');
    assert.equal(get('tree/group-exec.sh'), 'tree/group-exec.sh file 0775 0:0 18');
    // The context carries 4755, but the daemon's COPY chowns each file to 0:0 after writing it and the
    // kernel clears setuid on chown: `docker build` gives 0755 too (the comparison above says so).
    assert.equal(get('tree/setuid'), 'tree/setuid file 0755 0:0 21');
    assert.equal(get('tree/nothing'), 'tree/nothing file 0000 0:0 0');
    assert.equal(get('tree/link-absolute'), 'tree/link-absolute symlink 0777 0:0 0 -> /tree/run.sh');
    assert.equal(get('tree/link-relative'), 'tree/link-relative symlink 0777 0:0 0 -> run.sh');
    assert.equal(get('tree/link-dangling'), 'tree/link-dangling symlink 0777 0:0 0 -> does/not/exist');
    assert.equal(get('tree/hard-b.txt'), 'tree/hard-b.txt link 0644 0:0 0 -> tree/hard-a.txt');
    assert.equal(get('tree/fifo'), 'tree/fifo fifo 0620 0:0 0');
    assert.equal(get('tree/private/keep.txt'), 'tree/private/keep.txt file 0644 0:0 12');
    assert.equal(a.has('tree/ignored.txt'), false, '.dockerignore still excludes');
    assert.equal(a.has('tree/private/drop.txt'), false, '.dockerignore still excludes inside a walked directory');

    // What the lost sticky bit broke: a non-root process creating its temp files.
    const { stdout } = await run('docker', ['run', '--rm', '--network', 'none', ours, '/bin/busybox', 'sh', '-c', 'id -u && echo ok > /tmp/probe && cat /tmp/probe']);
    assert.equal(stdout, '1000\nok\n');
  });
});
