// Exports tested images for shipping by hand: one streaming pass `docker save` → gzip → file that
// hashes the compressed bytes as it writes them. Per service `<service>-<version>.tar.gz` and its
// `.sha256` (checkable with `sha256sum -c`), and one `deploy-info-<version>.json` that says what
// is inside, which migrations go with it and how to deploy it.
import { readFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../common/errors';
import { throwIfCancelled, type JobContext } from '../common/job';
import { readBuildOf } from './build';
import { gzipToFileWithSha256, sha256Line } from './checksum';
import type { DockerEngine } from './docker';
import { openLedger, type TestRecord } from './ledger';
import { loadProject, selectServices } from './project';
import { ensureStateDir, withFileLock, writeFileAtomic } from './stateDir';
import { LABEL } from './version';

export interface ExportedImage {
  readonly service: string;
  readonly tag: string;
  readonly imageId: string;
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly imageBytes: number;
  readonly tested: TestRecord;
}

export interface DeployInfo {
  readonly project: string;
  readonly version: string;
  readonly gitSha: string;
  readonly exportedAt: string;
  readonly images: { service: string; tag: string; imageId: string; file: string; sha256: string; bytes: number; testedAt: string; testCommand?: string[] }[];
  readonly migrations: { dir: string; files: string[] } | null;
  readonly howToDeploy: string[];
}

export interface ExportResult {
  readonly dir: string;
  readonly version: string;
  readonly images: ExportedImage[];
  readonly deployInfo: string;
  readonly durationMs: number;
}

export interface ExportOptions {
  readonly workspaceRoot: string;
  readonly engine: DockerEngine;
  /** The version to export; default the newest version whose every service image passed. */
  readonly version?: string;
  readonly services?: readonly string[];
  /** Output folder; default <workspace>/.greenlight/exports/<version>. */
  readonly outDir?: string;
  readonly configFile?: string;
}

export async function exportImages(opts: ExportOptions, ctx: JobContext): Promise<ExportResult> {
  const started = Date.now();
  const project = await loadProject(opts.workspaceRoot, opts.configFile);
  const services = selectServices(project.config, opts.services, project.file).map((s) => s.name);
  const ledger = await openLedger(project.root);
  const version = opts.version ?? newestTestedVersion(ledger.list(), services);
  if (!version) throw new InputError(`no tested version of ${services.join(', ')} to export: run \`greenlight test\` first (only images that passed are exported)`);

  // Zero delta: the bytes exported are the bytes that passed. The tag must still name the image
  // ID the ledger says passed; a tag rebuilt since then is refused.
  const picks: { service: string; tag: string; imageId: string; tested: TestRecord; imageBytes: number; gitSha: string }[] = [];
  for (const service of services) {
    const tag = `${service}:${version}`;
    const info = await opts.engine.inspectImage(tag);
    if (!info) throw new InputError(`image ${tag} does not exist on ${opts.engine.endpoint}`);
    const rec = ledger.get(info.id);
    if (!rec || rec.result !== 'passed') {
      throw new InputError(`${tag} (${info.id.slice(7, 19)}) is ${rec ? 'failed' : 'untested'}: only images that passed \`greenlight test\` are exported`);
    }
    picks.push({ service, tag, imageId: info.id, tested: rec, imageBytes: info.sizeBytes, gitSha: info.labels[LABEL.ociRevision] ?? rec.gitSha });
  }

  const dir = path.resolve(project.root, opts.outDir ?? path.join(await ensureStateDir(project.root), 'exports', version));
  await mkdir(dir, { recursive: true });
  const images: ExportedImage[] = [];
  const total = picks.reduce((n, p) => n + p.imageBytes, 0) || 1;
  let done = 0;
  for (const p of picks) {
    throwIfCancelled(ctx.signal);
    const fileName = `${p.service}-${version}.tar.gz`;
    ctx.progress({ step: `export ${p.service}`, message: fileName, fraction: done / total });
    ctx.log(`[${p.service}] docker save ${p.tag} | gzip > ${path.join(dir, fileName)}`);
    const source = await opts.engine.saveImage(p.tag);
    const w = await gzipToFileWithSha256(source, path.join(dir, fileName), {
      signal: ctx.signal,
      onSourceBytes: (n) => ctx.progress({ step: `export ${p.service}`, message: `${(n / 1e6).toFixed(0)} MB read`, fraction: Math.min(1, (done + n) / total), bytes: { done: n, total: p.imageBytes } }),
    });
    done += p.imageBytes;
    // Re-check after saving: if the tag moved during the save, what was written is not what passed.
    const after = await opts.engine.inspectImage(p.tag);
    if (after?.id !== p.imageId) throw new InputError(`${p.tag} was retagged while it was exported; export again`);
    await writeFileAtomic(path.join(dir, `${fileName}.sha256`), sha256Line(w.sha256, fileName));
    ctx.log(`[${p.service}] ${fileName}: ${(w.bytes / 1e6).toFixed(1)} MB, sha256 ${w.sha256}`);
    images.push({ service: p.service, tag: p.tag, imageId: p.imageId, file: fileName, sha256: w.sha256, bytes: w.bytes, imageBytes: w.sourceBytes, tested: p.tested });
  }

  const build = await readBuildOf(project.root, version);
  const info: DeployInfo = {
    project: project.config.project,
    version,
    gitSha: build?.gitSha ?? picks[0]?.gitSha ?? '',
    exportedAt: new Date().toISOString(),
    images: images.map((i) => ({ service: i.service, tag: i.tag, imageId: i.imageId, file: i.file, sha256: i.sha256, bytes: i.bytes, testedAt: i.tested.testedAt, testCommand: i.tested.testCommand })),
    migrations: await migrationsOf(project.root, project.config.database?.migrations),
    howToDeploy: [
      ...images.map((i) => `sha256sum -c ${i.file}.sha256`),
      ...images.map((i) => `gunzip -c ${i.file} | docker load    # loads ${i.tag} (${i.imageId})`),
      `greenlight deploy <environment> --version ${version}    # or copy this folder to the server and run the two lines above there`,
    ],
  };
  const deployInfo = `deploy-info-${version}.json`;
  await writeFileAtomic(path.join(dir, deployInfo), JSON.stringify(info, null, 2) + '\n');
  await recordExport(project.root, dir, images);
  ctx.progress({ step: 'done', fraction: 1 });
  return { dir, version, images, deployInfo, durationMs: Date.now() - started };
}

/** The newest version for which every named service has a passing latest record. */
export function newestTestedVersion(records: readonly TestRecord[], services: readonly string[]): string | undefined {
  const byVersion = new Map<string, Set<string>>();
  const when = new Map<string, string>();
  for (const r of records) {
    if (r.result !== 'passed') continue;
    const set = byVersion.get(r.version) ?? new Set<string>();
    set.add(r.service);
    byVersion.set(r.version, set);
    if ((when.get(r.version) ?? '') < r.testedAt) when.set(r.version, r.testedAt);
  }
  return [...byVersion.entries()]
    .filter(([, set]) => services.every((s) => set.has(s)))
    .map(([v]) => v)
    .sort((a, b) => (when.get(b) ?? '').localeCompare(when.get(a) ?? ''))[0];
}

async function migrationsOf(root: string, dir: string | undefined): Promise<DeployInfo['migrations']> {
  if (!dir) return null;
  try {
    const files = (await readdir(path.resolve(root, dir), { recursive: true })).map(String).filter((f) => /\.(sql|aql|js|json|py|rb)$/.test(f)).sort();
    return { dir, files };
  } catch {
    return { dir, files: [] };
  }
}

export interface ExportRecord {
  readonly imageId: string;
  readonly file: string;
  readonly sha256: string;
  readonly exportedAt: string;
}

const EXPORTS_FILE = 'exports.json';

async function recordExport(root: string, dir: string, images: ExportedImage[]): Promise<void> {
  const state = await ensureStateDir(root);
  const file = path.join(state, EXPORTS_FILE);
  await withFileLock(`${file}.lock`, async () => {
    const all = readExportRecords(root);
    const at = new Date().toISOString();
    for (const i of images) all.push({ imageId: i.imageId, file: path.join(dir, i.file), sha256: i.sha256, exportedAt: at });
    await writeFileAtomic(file, JSON.stringify(all.slice(-500), null, 2) + '\n');
  });
}

export function readExportRecords(root: string): ExportRecord[] {
  try {
    return JSON.parse(readFileSync(path.join(root, '.greenlight', EXPORTS_FILE), 'utf8')) as ExportRecord[];
  } catch {
    return [];
  }
}
