// The build context as a tar stream, filtered by .dockerignore with Docker's own semantics
// (@balena/dockerignore implements the Go matcher): later rules win, `!` re-includes, and an
// excluded directory is still walked when an exception could re-include something inside it.
// The Dockerfile and .dockerignore are always sent, as the Docker CLI does.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import ignore from '@balena/dockerignore';
import { pack } from 'tar-fs';
import { InputError } from '../common/errors';

export interface ContextFilter {
  /** True when the path (relative to the context, "/"-separated) is sent to the daemon. */
  includes(rel: string, isDirectory: boolean): boolean;
}

export function readDockerignore(contextDir: string): string[] {
  const file = path.join(contextDir, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export function contextFilter(patterns: readonly string[], alwaysInclude: readonly string[]): ContextFilter {
  const ig = ignore().add([...patterns]);
  const exceptions = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1).replace(/^\/+/, ''));
  const keep = new Set(alwaysInclude.map((p) => p.split(path.sep).join('/')));
  return {
    includes(rel, isDirectory) {
      if (keep.has(rel)) return true;
      if (!ig.ignores(rel)) return true;
      if (isDirectory && [...keep].some((k) => k.startsWith(`${rel}/`))) return true;
      // An excluded directory must still be walked if an exception names something under it.
      return isDirectory && exceptions.some((e) => e.startsWith(`${rel}/`) || e.startsWith('*') || e.startsWith('**'));
    },
  };
}

export interface BuildContext {
  readonly stream: Readable;
  /** The Dockerfile path as the daemon sees it: relative to the context, "/"-separated. */
  readonly dockerfile: string;
}

/** Packs contextDir for the daemon. Throws InputError when the context or Dockerfile is missing. */
export function packContext(contextDir: string, dockerfile: string): BuildContext {
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) {
    throw new InputError(`build context ${contextDir} is not a directory`);
  }
  const dfAbs = path.resolve(contextDir, dockerfile);
  const dfRel = path.relative(contextDir, dfAbs);
  if (dfRel.startsWith('..') || path.isAbsolute(dfRel)) {
    throw new InputError(`Dockerfile ${dfAbs} is outside the build context ${contextDir}`);
  }
  if (!existsSync(dfAbs)) throw new InputError(`Dockerfile not found: ${dfAbs}`);
  const dfPosix = dfRel.split(path.sep).join('/');
  const filter = contextFilter(readDockerignore(contextDir), [dfPosix, '.dockerignore']);
  const root = path.resolve(contextDir);
  // tar-fs 3 takes `sort` (its bundled types are from version 2); sorted entries keep the tar
  // stable between builds of the same files.
  const options = {
    sort: true,
    ignore: (abs: string) => {
      const rel = path.relative(root, abs).split(path.sep).join('/');
      if (rel === '') return false;
      let isDir = false;
      try {
        isDir = statSync(abs).isDirectory();
      } catch {
        return true;
      }
      return !filter.includes(rel, isDir);
    },
    // Owner ids of the workstation mean nothing inside an image; Docker's CLI sends 0:0 too.
    map: (h: { uid?: number; gid?: number }) => ({ ...h, uid: 0, gid: 0 }),
  };
  const stream = pack(root, options as unknown as Parameters<typeof pack>[1]) as unknown as Readable;
  return { stream, dockerfile: dfPosix };
}
