// Ship: put the exact bytes of a local, tested image on the production engine. Three ways:
//  - stream:   `docker save <id>` streamed over the SSH connection straight into the remote
//              engine's load. The archive is saved by image ID, so it carries no tag; the remote
//              engine recomputes every layer digest and the config digest (= the image ID) while
//              loading, and the tag is added only after the remote ID equals the local one. When
//              the host already holds the image's base layers (an earlier version), only the
//              missing layers are sent (layerDelta.ts), with no registry; `allLayers` sends
//              them all. Besides the image ID, the host's layer diff IDs must equal the local
//              ones before the tag is added.
//  - artifact: an exported archive (.tar or .tar.gz) is copied to the host, its sha256 checked
//              there against the local one, and only then loaded.
//  - registry: push to a registry, pull on the host, compare image IDs, tag.
// A dropped connection is retried on a fresh connection; nothing half-loaded is tagged or run.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { sha256File } from '../images/checksum';
import { InputError, OperationError, errorMessage } from '../common/errors';
import { CancelledError, sleep, throwIfCancelled, type JobContext } from '../common/job';
import type { DockerEngine, ImageInfo } from '../images/docker';
import type { RemoteHost } from './remoteHost';
import { sharedPrefix, withoutSharedLayers } from './layerDelta';
import { ConnectionLostError } from './sshAdapter';

export type ShipMode = 'stream' | 'artifact' | 'registry';

export interface ShipRequest {
  /** Local image reference (tag or ID). */
  readonly image: string;
  /** Tag to give the image on the host ("repo:tag"); default: the local reference when it is a tag. */
  readonly tag?: string;
  readonly mode: ShipMode;
  /** For mode "artifact": the exported archive, and its sha256 (default: `<file>.sha256`, else computed). */
  readonly artifact?: { readonly file: string; readonly sha256?: string };
  /** For mode "registry": the registry as seen from here and from the host. */
  readonly registry?: { readonly push: string; readonly pull: string };
  /** Remote directory for artifact uploads (relative = SSH user home). */
  readonly remoteDir?: string;
  /** Docker socket on the host, for `docker load -i` of artifacts. */
  readonly dockerSocket?: string;
  /** Attempts in total when the connection drops (default 3). */
  readonly attempts?: number;
  /** Stream mode: send every layer even when the host already has some (the full stream). */
  readonly allLayers?: boolean;
}

export interface ShipResult {
  readonly imageId: string;
  readonly tag: string;
  readonly mode: ShipMode;
  /** True when the host already had this image ID: nothing was sent. */
  readonly alreadyPresent: boolean;
  readonly bytes: number;
  /** sha256 of the bytes sent (stream: the `docker save` archive; artifact: the file). */
  readonly sha256?: string;
  readonly attempts: number;
  readonly ms: number;
  /** Stream mode: how many of the image's layers were sent (the host had the others). */
  readonly layers?: LayerCounts;
}

/** Counts and hashes what flows through, and reports progress every few MB. */
export class HashingCounter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  #lastReport = 0;

  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.bytes - this.#lastReport >= 4 * 1024 * 1024) {
      this.#lastReport = this.bytes;
      this.onBytes?.(this.bytes);
    }
    cb(null, chunk);
  }
}

/** The tag an image gets on the host. An image ID alone cannot name a deployable version. */
export function remoteTagFor(req: Pick<ShipRequest, 'image' | 'tag'>): { repo: string; tag: string } {
  const ref = req.tag ?? req.image;
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) throw new InputError(`ship: "${ref}" is an image ID; give a tag (repo:tag) to name it on the host`);
  const at = ref.lastIndexOf(':');
  const slash = ref.lastIndexOf('/');
  if (at > slash) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  return { repo: ref, tag: 'latest' };
}

/** Whether an error means the SSH transport (not the operation) failed. */
export function isConnectionFailure(e: unknown, host: RemoteHost): boolean {
  if (e instanceof ConnectionLostError) return true;
  if (host.connection.closed) return true;
  return /socket hang up|ECONNRESET|EPIPE|Channel open failure|Not connected|No response from server/i.test(errorMessage(e));
}

export async function shipImage(ctx: JobContext, local: DockerEngine, host: RemoteHost, req: ShipRequest): Promise<ShipResult> {
  const started = Date.now();
  const info = await local.inspectImage(req.image);
  if (!info) throw new InputError(`ship: no image "${req.image}" on the ${local.where}`);
  const { repo, tag } = remoteTagFor({ image: req.image, tag: req.tag ?? info.repoTags.find((t) => t === req.image) ?? info.repoTags[0] });
  const fullTag = `${repo}:${tag}`;
  const attempts = req.attempts ?? 3;

  for (let attempt = 1; ; attempt++) {
    throwIfCancelled(ctx.signal);
    try {
      const present = await host.docker.inspectImage(info.id);
      if (present) {
        if (!present.repoTags.includes(fullTag)) await host.docker.tagImage(info.id, repo, tag);
        ctx.log(`ship: ${host.target.host} already has ${fullTag} (${info.id.slice(7, 19)}); nothing to send`);
        return { imageId: info.id, tag: fullTag, mode: req.mode, alreadyPresent: true, bytes: 0, attempts: attempt, ms: Date.now() - started };
      }
      const sent = await shipOnce(ctx, local, host, req, info.id, info.sizeBytes, info.layers);
      const landed = await host.docker.inspectImage(info.id);
      if (!landed || landed.id !== info.id) {
        throw new OperationError(`ship: after loading, ${host.target.host} does not have image ${info.id}: the bytes that arrived differ from the local image; nothing was tagged`);
      }
      const diff = layerMismatch(info.layers, landed.layers);
      if (diff) throw new OperationError(`ship: image ${info.id.slice(7, 19)} on ${host.target.host} has other layers than the local one (${diff}); nothing was tagged`);
      // Only now, with the config digest and every layer digest equal, does the image get its name.
      await host.docker.tagImage(info.id, repo, tag);
      const partial = sent.layers && sent.layers.sent < sent.layers.total ? ` (${sent.layers.sent} of ${sent.layers.total} layers)` : '';
      ctx.log(`ship: ${fullTag} (${info.id.slice(7, 19)}) verified on ${host.target.host}: ${sent.bytes >= 1e6 ? `${(sent.bytes / 1e6).toFixed(1)} MB` : `${(sent.bytes / 1e3).toFixed(1)} KB`} sent${partial}${sent.sha256 ? `, sha256 ${sent.sha256.slice(0, 16)}…` : ''}`);
      return { imageId: info.id, tag: fullTag, mode: req.mode, alreadyPresent: false, bytes: sent.bytes, sha256: sent.sha256, layers: sent.layers, attempts: attempt, ms: Date.now() - started };
    } catch (e) {
      if (e instanceof CancelledError || ctx.signal.aborted) throw e instanceof CancelledError ? e : new CancelledError();
      if (!isConnectionFailure(e, host) || attempt >= attempts) {
        if (isConnectionFailure(e, host)) throw new OperationError(`ship: the connection to ${host.target.host} dropped ${attempts} times; gave up. Nothing was tagged on the host. Last error: ${errorMessage(e)}`);
        throw e;
      }
      // The engine discards a load whose request body ended early, so the next attempt starts
      // from what the host holds now (its layers are read again: a base may have gone meanwhile).
      ctx.log(`ship: connection to ${host.target.host} lost (${errorMessage(e)}); reconnecting for attempt ${attempt + 1} of ${attempts}`, 'warn');
      await sleep(500 * attempt, ctx.signal);
      await host.reconnect(ctx);
    }
  }
}

/** Why two layer lists (diff IDs, base first) differ, or undefined when they are equal. */
export function layerMismatch(local: readonly string[], remote: readonly string[]): string | undefined {
  if (local.length !== remote.length) return `${remote.length} layers there, ${local.length} here`;
  const i = local.findIndex((d, k) => d !== remote[k]);
  return i < 0 ? undefined : `layer ${i + 1}: ${remote[i]} there, ${local[i]} here`;
}

async function shipOnce(ctx: JobContext, local: DockerEngine, host: RemoteHost, req: ShipRequest, imageId: string, sizeBytes: number, layers: readonly string[]): Promise<{ bytes: number; sha256?: string; layers?: LayerCounts }> {
  switch (req.mode) {
    case 'stream':
      return await shipStream(ctx, local, host, imageId, sizeBytes, layers, req.allLayers ?? false);
    case 'artifact':
      return await shipArtifact(ctx, host, req);
    case 'registry':
      return await shipRegistry(ctx, local, host, req, imageId);
  }
}

async function shipStream(ctx: JobContext, local: DockerEngine, host: RemoteHost, imageId: string, sizeBytes: number, mine: readonly string[], allLayers: boolean): Promise<{ bytes: number; sha256: string; layers?: LayerCounts }> {
  let shared = 0;
  let before: readonly ImageInfo[] = [];
  try {
    before = await host.docker.listImages();
    if (!allLayers && mine.length > 1) shared = sharedPrefix(mine, before.map((i) => i.layers));
  } catch (e) {
    if (isConnectionFailure(e, host)) throw e;
    ctx.log(`ship: could not list the images on ${host.target.host} (${errorMessage(e)}); sending every layer`, 'warn');
  }
  try {
    if (shared > 0) {
      try {
        return await shipMissingLayers(ctx, local, host, imageId, mine, shared);
      } catch (e) {
        if (e instanceof CancelledError || isConnectionFailure(e, host) || !(missingLayerError(e) || e instanceof DeltaUnreadable)) throw e;
        // The host lost a base layer since it was listed (an image removed meanwhile), or its
        // engine insists on every layer tar (another image store): it still gets the image.
        ctx.log(`ship: ${e instanceof DeltaUnreadable ? errorMessage(e) : `the host needed a layer it was not sent (${errorMessage(e)})`}; sending the whole image`, 'warn');
      }
    }
    ctx.progress({ step: 'ship', message: `streaming ${imageId.slice(7, 19)} to ${host.target.host}`, fraction: 0 });
    // Saved by ID: the archive names no tag, so a load that fails halfway leaves nothing tagged.
    const save = await local.saveImage(imageId);
    const counter = new HashingCounter((n) => ctx.progress({ step: 'ship', message: `${(n / 1e6).toFixed(0)} MB sent`, fraction: sizeBytes > 0 ? Math.min(0.99, n / sizeBytes) : undefined, bytes: { done: n, total: sizeBytes > 0 ? sizeBytes : undefined } }));
    save.on('error', (e) => counter.destroy(e));
    const body = save.pipe(counter);
    await loadChecked(host, body, imageId, ctx.signal);
    return { bytes: counter.bytes, sha256: counter.hash.digest('hex'), layers: { sent: mine.length, total: mine.length } };
  } catch (e) {
    if (!(e instanceof CancelledError) && !isConnectionFailure(e, host)) await removeLeftovers(ctx, host, before, mine, e instanceof LoadedOtherImage ? e.ids : []);
    throw e;
  }
}

/**
 * Whether a failed load asked for a layer the archive did not carry: Docker's own store names the
 * missing `<id>/layer.tar` (or `blobs/sha256/…`), the containerd store a blob "not found".
 */
export function missingLayerError(e: unknown): boolean {
  const m = errorMessage(e);
  return /(layer\.tar|blobs\/sha256\/[0-9a-f]+)\S*: no such file or directory/i.test(m) || /\bnot found\b/i.test(m);
}

/**
 * `docker load`, then a look at what the engine says it loaded: an archive whose config changed
 * on the way loads as an image of another ID, which is never ours to keep.
 */
async function loadChecked(host: RemoteHost, body: Readable, imageId: string, signal: AbortSignal): Promise<void> {
  const lines = await host.docker.loadImage(body, signal);
  const other = lines.map((l) => /Loaded image ID: (sha256:[0-9a-f]{64})/.exec(l)?.[1]).filter((id): id is string => id !== undefined && id !== imageId);
  if (other.length) throw new LoadedOtherImage(other);
}

class LoadedOtherImage extends OperationError {
  constructor(readonly ids: readonly string[]) {
    super(`ship: the host's engine loaded ${ids.join(', ')} instead of the image sent: the bytes that arrived differ from the local image; nothing was tagged`);
    this.name = 'LoadedOtherImage';
  }
}

/**
 * After a load that failed or brought the wrong image, removes what it left: the image of another
 * ID the engine reported, and untagged images that appeared meanwhile whose layers are ours or a
 * prefix of them (Docker's legacy loader makes those from the layer folders of an archive cut off
 * before its manifest). Nothing tagged, and nothing that was there before, is touched.
 */
async function removeLeftovers(ctx: JobContext, host: RemoteHost, before: readonly ImageInfo[], mine: readonly string[], reported: readonly string[]): Promise<void> {
  try {
    const had = new Set(before.map((i) => i.id));
    const partial = (i: ImageInfo): boolean => i.layers.length <= mine.length && i.layers.every((d, k) => d === mine[k]);
    const stray = (await host.docker.listImages()).filter((i) => !had.has(i.id) && i.repoTags.length === 0 && (reported.includes(i.id) || partial(i)));
    for (const i of stray) await host.docker.removeImage(i.id);
    if (stray.length) ctx.log(`ship: removed ${stray.length} untagged image(s) the failed load left on ${host.target.host}: ${stray.map((i) => i.id.slice(7, 19)).join(', ')}`, 'warn');
  } catch (e) {
    ctx.log(`ship: could not look for leftovers of the failed load on ${host.target.host} (${errorMessage(e)}); they are untagged and unused`, 'warn');
  }
}

/** Layers sent of the image's layers. */
export interface LayerCounts {
  readonly sent: number;
  readonly total: number;
}

/** The archive, filtered as it streams, without the tars of the `shared` base layers the host already holds. */
async function shipMissingLayers(ctx: JobContext, local: DockerEngine, host: RemoteHost, imageId: string, mine: readonly string[], shared: number): Promise<{ bytes: number; sha256: string; layers: LayerCounts }> {
  const total = mine.length;
  ctx.log(`ship: ${host.target.host} already has ${shared} of the image's ${total} layers; sending the other ${total - shared}`);
  ctx.progress({ step: 'ship', message: `streaming ${total - shared} of ${total} layers of ${imageId.slice(7, 19)} to ${host.target.host}`, fraction: 0 });
  const counter = new HashingCounter((n) => ctx.progress({ step: 'ship', message: `${(n / 1e6).toFixed(0)} MB sent`, bytes: { done: n } }));
  const filter = withoutSharedLayers(await local.saveImage(imageId), mine, shared);
  filter.body.on('error', (e) => counter.destroy(e));
  try {
    await loadChecked(host, filter.body.pipe(counter), imageId, ctx.signal);
  } catch (e) {
    // The filter's own reason (an archive it could not read as expected) says more than the
    // engine's. Otherwise the load failed (a dropped connection): stop reading the saved image.
    const own = filter.failure();
    filter.abort(e instanceof Error ? e : new Error(String(e)));
    if (own && !isConnectionFailure(e, host)) throw new DeltaUnreadable(errorMessage(own));
    throw e;
  }
  const { skipped } = await filter.result;
  return { bytes: counter.bytes, sha256: counter.hash.digest('hex'), layers: { sent: total - skipped, total } };
}

/** The saved archive could not be filtered (an unknown layout): the whole image goes instead. */
class DeltaUnreadable extends OperationError {
  constructor(why: string) {
    super(`ship: could not pick the missing layers out of the saved image (${why})`);
    this.name = 'DeltaUnreadable';
  }
}

/** The expected sha256 of an artifact: given, or from `<file>.sha256` (sha256sum format), or computed. */
export async function artifactSha256(file: string, given?: string): Promise<string> {
  if (given) return given.toLowerCase();
  try {
    const side = (await readFile(`${file}.sha256`, 'utf8')).trim().split(/\s+/)[0] ?? '';
    if (/^[0-9a-f]{64}$/i.test(side)) return side.toLowerCase();
  } catch {
    // No sidecar: hash the file itself.
  }
  return await sha256File(file);
}

/** Remote commands for artifact uploads, as data (tested as exact argv). */
export const artifactCommands = {
  mkdir: (dir: string): string[] => ['mkdir', '-p', '-m', '700', '--', dir],
  /** Writes stdin to the file with mode 0600; the script is constant, the path is an argument. */
  upload: (file: string): string[] => ['sh', '-c', 'umask 077 && cat > "$1"', 'greenlight-upload', file],
  sha256: (file: string): string[] => ['sha256sum', '--', file],
  load: (socket: string, file: string): string[] => ['env', `DOCKER_HOST=unix://${socket}`, 'docker', 'load', '--input', file],
  remove: (file: string): string[] => ['rm', '-f', '--', file],
};

async function shipArtifact(ctx: JobContext, host: RemoteHost, req: ShipRequest): Promise<{ bytes: number; sha256: string }> {
  if (!req.artifact) throw new InputError('ship: mode "artifact" needs an artifact file');
  const file = req.artifact.file;
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new InputError(`ship: artifact ${file} not found`);
  }
  const expected = await artifactSha256(file, req.artifact.sha256);
  const dir = req.remoteDir ?? '.greenlight/incoming';
  const remote = `${dir}/${path.basename(file)}.${Date.now()}.partial`;
  await host.run(artifactCommands.mkdir(dir), { signal: ctx.signal });
  try {
    ctx.progress({ step: 'ship', message: `copying ${path.basename(file)} (${(size / 1e6).toFixed(1)} MB) to ${host.target.host}`, fraction: 0 });
    const counter = new HashingCounter((n) => ctx.progress({ step: 'ship', message: `${(n / 1e6).toFixed(0)} MB copied`, fraction: Math.min(0.9, n / size), bytes: { done: n, total: size } }));
    await host.run(artifactCommands.upload(remote), { stdin: createReadStream(file).pipe(counter), signal: ctx.signal });
    const sent = counter.hash.digest('hex');
    if (sent !== expected) throw new OperationError(`ship: ${file} changed while it was read (sha256 ${sent} ≠ ${expected})`);
    const out = await host.run(artifactCommands.sha256(remote), { signal: ctx.signal });
    const got = out.trim().split(/\s+/)[0];
    if (got !== expected) throw new OperationError(`ship: sha256 on ${host.target.host} is ${got}, expected ${expected}: the copy is corrupt; nothing was loaded`);
    ctx.log(`ship: sha256 verified on ${host.target.host}: ${expected}`);
    ctx.progress({ step: 'ship', message: 'loading into the engine', fraction: 0.95 });
    await host.run(artifactCommands.load(req.dockerSocket ?? '/var/run/docker.sock', remote), { signal: ctx.signal });
    return { bytes: counter.bytes, sha256: expected };
  } finally {
    if (!host.connection.closed) await host.exec(artifactCommands.remove(remote)).catch(() => undefined);
  }
}

async function shipRegistry(ctx: JobContext, local: DockerEngine, host: RemoteHost, req: ShipRequest, imageId: string): Promise<{ bytes: number }> {
  if (!req.registry) throw new InputError('ship: mode "registry" needs environments.<env>.ship.registry { push, pull }');
  const { repo, tag } = remoteTagFor(req);
  const name = repo.replace(/^[^/]+[.:][^/]*\//, '');
  await local.tagImage(imageId, `${req.registry.push}/${name}`, tag);
  ctx.progress({ step: 'ship', message: `pushing to ${req.registry.push}/${name}:${tag}` });
  await local.pushImage(`${req.registry.push}/${name}:${tag}`, (l) => ctx.log(`push: ${l}`), ctx.signal);
  ctx.progress({ step: 'ship', message: `pulling ${req.registry.pull}/${name}:${tag} on ${host.target.host}` });
  await host.docker.pullImage(`${req.registry.pull}/${name}:${tag}`, (l) => ctx.log(`pull: ${l}`), ctx.signal);
  return { bytes: 0 };
}

export type { Readable };
