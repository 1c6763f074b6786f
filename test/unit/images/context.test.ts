import * as assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { extract } from 'tar-stream';
import { contextFilter, packContext } from '../../../src/core/images/context';

async function names(dir: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  return (await headers(dir, dockerfile)).filter((h) => h.startsWith('file ')).map((h) => h.split(' ')[1]!).sort();
}

/** Every entry of the packed context as "type name mode uid:gid size [-> link]", in tar order. */
async function headers(dir: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  const { stream } = packContext(dir, dockerfile);
  const ex = extract();
  const out: string[] = [];
  ex.on('entry', (h, s, next) => {
    out.push(`${h.type} ${h.name} ${(h.mode & 0o7777).toString(8).padStart(4, '0')} ${h.uid}:${h.gid} ${h.size}${h.linkname ? ` -> ${h.linkname}` : ''}`);
    s.on('end', next);
    s.resume();
  });
  stream.pipe(ex);
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
  });
  return out;
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-ctx-'));
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), c);
  }
  return dir;
}

suite('(unit) images: build context honours .dockerignore', () => {
  const dirs: string[] = [];
  teardown(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const mk = (f: Record<string, string>): string => {
    const d = tree(f);
    dirs.push(d);
    return d;
  };

  test('excluded files and folders are not sent; everything else is', async () => {
    const d = mk({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '# comment\nnode_modules\n*.log\nsecrets/\n',
      'app/server.js': 'x',
      'app/debug.log': 'x',
      'debug.log': 'x',
      'node_modules/x/index.js': 'x',
      'secrets/key.pem': 'x',
    });
    assert.deepEqual(await names(d), ['.dockerignore', 'Dockerfile', 'app/debug.log', 'app/server.js']);
  });

  test('`**` matches at any depth and `!` re-includes inside an excluded folder', async () => {
    const d = mk({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '**/*.log\ndocs\n!docs/keep.md\n',
      'a/b/c.log': 'x',
      'a/b/c.txt': 'x',
      'docs/drop.md': 'x',
      'docs/keep.md': 'x',
    });
    assert.deepEqual(await names(d), ['.dockerignore', 'Dockerfile', 'a/b/c.txt', 'docs/keep.md']);
  });

  test('the Dockerfile and .dockerignore are sent even when excluded (as the Docker CLI does)', async () => {
    const d = mk({ 'build/Dockerfile.prod': 'FROM scratch\n', '.dockerignore': 'build\n.dockerignore\n', 'x.txt': 'x' });
    assert.deepEqual(await names(d, 'build/Dockerfile.prod'), ['.dockerignore', 'build/Dockerfile.prod', 'x.txt']);
  });

  test('a missing Dockerfile or context is an input error naming the path', () => {
    const d = mk({ 'x.txt': 'x' });
    assert.throws(() => packContext(d, 'Dockerfile'), (e: Error & { exitCode?: number }) => e.exitCode === 2 && e.message.includes(path.join(d, 'Dockerfile')));
    assert.throws(() => packContext(path.join(d, 'nope'), 'Dockerfile'), /is not a directory/);
    assert.throws(() => packContext(d, '../Dockerfile'), /outside the build context/);
  });

  test('filter rules: later rules win', () => {
    const f = contextFilter(['*.md', '!README.md', 'README.md'], []);
    assert.equal(f.includes('README.md', false), false);
    assert.equal(f.includes('x.txt', false), true);
  });

  test('entries carry the modes on disk (no umask), owner 0:0, links, empty files and directories, in walk order', async () => {
    const d = mk({ Dockerfile: 'FROM scratch\n', 'tree/a.txt': 'abc', 'tree/empty.txt': '' });
    mkdirSync(path.join(d, 'tree/tmp'));
    chmodSync(path.join(d, 'tree/tmp'), 0o1777);
    mkdirSync(path.join(d, 'tree/shared'));
    chmodSync(path.join(d, 'tree/shared'), 0o2775);
    chmodSync(path.join(d, 'tree/a.txt'), 0o666);
    chmodSync(path.join(d, 'tree/empty.txt'), 0o000);
    linkSync(path.join(d, 'tree/a.txt'), path.join(d, 'tree/b.txt'));
    symlinkSync('/tree/a.txt', path.join(d, 'tree/link'));
    chmodSync(path.join(d, 'tree'), 0o755);
    chmodSync(path.join(d, 'Dockerfile'), 0o644);
    assert.deepEqual(await headers(d), [
      'file Dockerfile 0644 0:0 13',
      'directory tree 0755 0:0 0',
      'file tree/a.txt 0666 0:0 3',
      'link tree/b.txt 0666 0:0 0 -> tree/a.txt',
      'file tree/empty.txt 0000 0:0 0',
      'symlink tree/link 0777 0:0 0 -> /tree/a.txt',
      'directory tree/shared 2775 0:0 0',
      'directory tree/tmp 1777 0:0 0',
    ]);
  });

  test('an excluded directory walked for an exception sends the re-included file but not the directory', async () => {
    const d = mk({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'private\n!private/keep.txt\n', 'private/keep.txt': 'k', 'private/drop.txt': 'd' });
    assert.deepEqual((await headers(d)).map((h) => h.split(' ').slice(0, 2).join(' ')), ['file .dockerignore', 'file Dockerfile', 'file private/keep.txt']);
  });
});
