// The log of an image's latest test: the full file when it is still there, else the excerpt
// kept in the ledger.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { JobContext } from '../../core/common/job';
import { InputError } from '../../core/common/errors';
import { openLedger } from '../../core/images/ledger';
import type { JobParams, JobResult } from '../protocol';

export async function imagesTestLogJob(params: JobParams<'images.testLog'>, _ctx: JobContext): Promise<JobResult<'images.testLog'>> {
  const rec = (await openLedger(params.workspaceRoot)).get(params.imageId);
  if (!rec) throw new InputError(`image ${params.imageId.slice(7, 19)} has not been tested`);
  if (rec.logFile) {
    const file = path.resolve(params.workspaceRoot, rec.logFile);
    try {
      return { text: await readFile(file, 'utf8'), file };
    } catch {
      // The log folder was cleaned: fall back to the excerpt.
    }
  }
  return { text: `${rec.result.toUpperCase()} ${rec.version} at ${rec.testedAt} (log excerpt)\n\n${rec.logExcerpt}\n` };
}
