import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readGitState } from '../../../src/core/images/git';

function repo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gl-git-'));
  const g = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  g('init', '-q');
  g('config', 'user.email', 't@example.invalid');
  g('config', 'user.name', 't');
  writeFileSync(path.join(dir, 'a.txt'), 'a\n');
  g('add', 'a.txt');
  g('commit', '-qm', 'first');
  return dir;
}

suite('(unit) images: git state (the dirty marker)', () => {
  let dir = '';
  setup(() => (dir = repo()));
  teardown(() => rmSync(dir, { recursive: true, force: true }));

  test('a clean tree is not dirty and names HEAD', async () => {
    const s = await readGitState(dir);
    assert.equal(s.dirty, false);
    assert.match(s.sha, /^[0-9a-f]{40}$/);
    assert.equal(s.sha, execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim());
    assert.match(s.source, /^file:\/\//);
  });

  test('a modified tracked file makes it dirty', async () => {
    writeFileSync(path.join(dir, 'a.txt'), 'changed\n');
    const s = await readGitState(dir);
    assert.equal(s.dirty, true);
    assert.deepEqual(s.changes, ['a.txt']);
  });

  test('an untracked file makes it dirty; an ignored one does not', async () => {
    writeFileSync(path.join(dir, '.gitignore'), 'ignored.txt\n');
    execFileSync('git', ['add', '.gitignore'], { cwd: dir });
    execFileSync('git', ['commit', '-qm', 'ignore'], { cwd: dir });
    writeFileSync(path.join(dir, 'ignored.txt'), 'x');
    assert.equal((await readGitState(dir)).dirty, false);
    writeFileSync(path.join(dir, 'new.txt'), 'x');
    assert.equal((await readGitState(dir)).dirty, true);
  });

  test('a folder that is not a repository is a clear input error', async () => {
    const plain = mkdtempSync(path.join(tmpdir(), 'gl-nogit-'));
    try {
      await assert.rejects(readGitState(plain), (e: Error & { exitCode?: number }) => e.exitCode === 2 && /cannot name one/.test(e.message));
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
