// The build context as a tar stream, filtered by .dockerignore with Docker's own semantics
// (@balena/dockerignore implements the Go matcher): later rules win, `!` re-includes, and an
// excluded directory is still walked when an exception could re-include something inside it.
// The Dockerfile and .dockerignore are always sent, as the Docker CLI does.
//
// The tar is written the way the Docker CLI writes its context (moby's pkg/archive
// TarWithOptions with ChownOpts 0:0), so an image built here equals the one `docker build` makes of
// the same directory: every mode bit as on disk (setuid, setgid, sticky, group/other write; no
// umask applied), empty directories, symlinks with their target as written, hard links as links,
// fifos and devices, sockets left out, owner 0:0, entries in lexical order with directories before
// their contents, and no entry for the context root or for an excluded directory that is only
// walked for its re-included contents (the daemon creates such parents itself).
import { existsSync, readFileSync, statSync, createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import ignore from '@balena/dockerignore';
import { pack, type Pack } from 'tar-stream';
import { InputError } from '../common/errors';

export interface ContextFilter {
  /** True when the path (relative to the context, "/"-separated) is sent to the daemon. */
  includes(rel: string, isDirectory: boolean): boolean;
  /** True when an excluded directory must still be walked: an exception may re-include something in it. */
  descends(rel: string): boolean;
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
    includes(rel) {
      return keep.has(rel) || !ig.ignores(rel);
    },
    descends(rel) {
      if ([...keep].some((k) => k.startsWith(`${rel}/`))) return true;
      return exceptions.some((e) => e.startsWith(`${rel}/`) || e.startsWith('*') || e.startsWith('**'));
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
  const out = pack();
  writeContext(root, filter, out).then(
    () => out.finalize(),
    (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
  );
  // tar-stream is built on streamx; its pack stream pipes like a Node Readable, which is all the daemon client needs.
  return { stream: out as unknown as Readable, dockerfile: dfPosix };
}

/** Go's filepath.Walk visits names in byte order, not in UTF-16 order. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function writeContext(root: string, filter: ContextFilter, out: Pack): Promise<void> {
  // The first name under which a multiply-linked inode was sent: later names become hard links.
  const firstName = new Map<string, string>();
  const walk = async (dirRel: string): Promise<void> => {
    const dirAbs = dirRel === '' ? root : path.join(root, ...dirRel.split('/'));
    for (const name of (await readdir(dirAbs)).sort(byteOrder)) {
      if (out.destroyed) return;
      const rel = dirRel === '' ? name : `${dirRel}/${name}`;
      const abs = path.join(dirAbs, name);
      const st = await lstat(abs);
      const isDir = st.isDirectory();
      if (filter.includes(rel, isDir)) {
        await addEntry(out, abs, rel, st, firstName);
        if (isDir) await walk(rel);
      } else if (isDir && filter.descends(rel)) {
        await walk(rel);
      }
    }
  };
  await walk('');
}

async function addEntry(out: Pack, abs: string, rel: string, st: Stats, firstName: Map<string, string>): Promise<void> {
  // The whole st_mode goes in: tar-stream keeps the low 12 bits (a mode of 0 would otherwise be
  // replaced by its default 0644).
  const header: Parameters<Pack['entry']>[0] = { name: rel, mode: st.mode, uid: 0, gid: 0, mtime: st.mtime, size: 0 };
  if (st.isDirectory()) header.type = 'directory';
  else if (st.isSymbolicLink()) {
    header.type = 'symlink';
    header.linkname = await readlink(abs);
  } else if (st.isFile()) {
    const inode = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? firstName.get(inode) : undefined;
    if (first !== undefined) {
      header.type = 'link';
      header.linkname = first;
    } else {
      if (st.nlink > 1) firstName.set(inode, rel);
      header.type = 'file';
      header.size = st.size;
    }
  } else if (st.isFIFO()) header.type = 'fifo';
  else if (st.isCharacterDevice() || st.isBlockDevice()) {
    header.type = st.isCharacterDevice() ? 'character-device' : 'block-device';
    header.devmajor = Math.floor(st.rdev / 256) % 4096;
    header.devminor = st.rdev % 256;
  } else {
    // A socket has no tar form; the Docker CLI leaves it out too.
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const sink = out.entry(header, (err) => (err ? reject(err) : resolve()));
    if (header.type !== 'file') return;
    const body = sink as unknown as NodeJS.WritableStream;
    // An empty file still has a body to close.
    if (header.size === 0) return void body.end();
    const source = createReadStream(abs);
    source.on('error', (e) => sink.destroy(new Error(`build context: cannot read ${abs}: ${e.message}`)));
    source.pipe(body);
  });
}
