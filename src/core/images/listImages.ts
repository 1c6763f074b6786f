// What the Images view and `greenlight images` show: every image Greenlight built for the project,
// grouped by service, newest first, each with its tested state (from the ledger, by image ID),
// whether it was exported, its size and age.
import type { DockerEngine } from './docker';
import { readExportRecords } from './exportImages';
import { openLedger } from './ledger';
import { LABEL, parseVersion } from './version';

export interface ImageRow {
  readonly service: string;
  readonly version: string;
  readonly tag: string;
  readonly imageId: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly dirty: boolean;
  readonly gitSha: string;
  readonly tested: 'passed' | 'failed' | 'untested';
  readonly testedAt?: string;
  readonly testLogFile?: string;
  readonly exported: boolean;
}

export interface ServiceImages {
  readonly service: string;
  readonly images: ImageRow[];
}

export async function listProjectImages(root: string, project: string, engine: DockerEngine): Promise<ServiceImages[]> {
  const ledger = await openLedger(root);
  const exported = new Set(readExportRecords(root).map((r) => r.imageId));
  const list = await engine.listImages({ [LABEL.project]: project });
  const rows: ImageRow[] = [];
  for (const img of list) {
    const service = img.labels[LABEL.service];
    const version = img.labels[LABEL.version];
    if (!service || !version) continue;
    const tag = img.repoTags.find((t) => t === `${service}:${version}`) ?? img.repoTags[0] ?? `${service}@${img.id.slice(7, 19)}`;
    const rec = ledger.get(img.id);
    rows.push({
      service,
      version,
      tag,
      imageId: img.id,
      sizeBytes: img.sizeBytes,
      createdAt: img.labels[LABEL.ociCreated] ?? img.created ?? '',
      dirty: img.labels[LABEL.dirty] === 'true' || parseVersion(version)?.dirty === true,
      gitSha: img.labels[LABEL.ociRevision] ?? '',
      tested: rec ? rec.result : 'untested',
      testedAt: rec?.testedAt,
      testLogFile: rec?.logFile,
      exported: exported.has(img.id),
    });
  }
  const byService = new Map<string, ImageRow[]>();
  for (const r of rows) byService.set(r.service, [...(byService.get(r.service) ?? []), r]);
  return [...byService.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, images]) => ({ service, images: images.sort((a, b) => b.createdAt.localeCompare(a.createdAt)) }));
}
