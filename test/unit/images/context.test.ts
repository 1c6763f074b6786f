import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { extract } from 'tar-stream';
import { contextFilter, packContext } from '../../../src/core/images/context';

async function names(dir: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  const { stream } = packContext(dir, dockerfile);
  const ex = extract();
  const out: string[] = [];
  ex.on('entry', (h, s, next) => {
    if (h.type === 'file') out.push(h.name);
    s.on('end', next);
    s.resume();
  });
  stream.pipe(ex);
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
  });
  return out.sort();
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
});
