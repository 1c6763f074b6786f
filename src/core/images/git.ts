// What the build needs to know from git: the commit, whether the working tree is clean, and where
// the source lives. Git runs as an argv array through execFile: no shell, nothing interpolated.
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { InputError } from '../common/errors';
import { stripUrlCredentials } from './version';

export interface GitState {
  readonly sha: string;
  readonly dirty: boolean;
  /** The files `git status` reported, for the build log (at most 20). */
  readonly changes: readonly string[];
  readonly source: string;
}

export function git(cwd: string, args: readonly string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, signal, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }));
      else resolve(String(stdout));
    });
  });
}

export async function readGitState(root: string, signal?: AbortSignal): Promise<GitState> {
  let sha: string;
  try {
    sha = (await git(root, ['rev-parse', '--verify', 'HEAD^{commit}'], signal)).trim();
  } catch (e) {
    const why = String((e as { stderr?: string }).stderr ?? '').trim();
    throw new InputError(
      `${root}: images are tagged with the commit they were built from, but git cannot name one (${why || 'not a git repository'}). Commit the workspace first.`,
    );
  }
  // Untracked files count: a new source file that is not committed changes what gets built.
  const status = await git(root, ['status', '--porcelain=v1', '--untracked-files=normal'], signal);
  const changes = status.split('\n').filter((l) => l.trim() !== '');
  let source = pathToFileURL(root).href;
  try {
    const remote = (await git(root, ['remote', 'get-url', 'origin'], signal)).trim();
    if (remote) source = stripUrlCredentials(remote);
  } catch {
    // No origin remote: the workspace path is the best source reference there is.
  }
  return { sha, dirty: changes.length > 0, changes: changes.slice(0, 20).map((l) => l.slice(3)), source };
}
