// Scores the idempotency linter on the labelled corpus, per language (folder): a file is flagged
// when any finding carries the `idempotency` tag (or is a parse error); it is positive when its
// label says it is not idempotent. Shared by the accuracy test and the lint benchmark.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createDefaultLinter } from '../../../src/core/lint/defaultLinter';
import { PARSE_ERROR_CODE } from '../../../src/core/lint/types';

export const CORPUS = join(__dirname, '..', '..', 'fixtures', 'lint-corpus');
interface Label {
  readonly idempotent: boolean;
  readonly codes?: readonly string[];
}

export interface FolderScore {
  readonly folder: string;
  readonly files: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  readonly precision: number;
  readonly recall: number;
  readonly misses: readonly string[];
}

export async function scoreCorpus(corpus = CORPUS): Promise<FolderScore[]> {
  const linter = createDefaultLinter();
  const scores: FolderScore[] = [];
  for (const folder of readdirSync(corpus).sort()) {
    const dir = join(corpus, folder);
    if (!statSync(dir).isDirectory()) continue;
    const labelsFile = join(dir, 'labels.json');
    assert.ok(existsSync(labelsFile), `${labelsFile} is missing: every corpus folder needs labels`);
    const labels = JSON.parse(readFileSync(labelsFile, 'utf8')) as Record<string, Label>;
    const files = readdirSync(dir).filter((f) => f !== 'labels.json' && !f.startsWith('.') && statSync(join(dir, f)).isFile());
    for (const f of files) assert.ok(labels[f], `${folder}/${f} has no label in ${labelsFile}`);
    for (const f of Object.keys(labels)) assert.ok(files.includes(f), `${labelsFile} labels ${f}, which does not exist`);
    let tp = 0, fp = 0, fn = 0, tn = 0;
    const misses: string[] = [];
    for (const f of files.sort()) {
      const result = await linter.lint(join(dir, f), readFileSync(join(dir, f), 'utf8'));
      assert.ok(result.language, `${folder}/${f}: no lint language handles this file`);
      const flagged = result.findings.some((x) => x.tags.includes('idempotency') || x.code === PARSE_ERROR_CODE);
      const positive = !labels[f]!.idempotent;
      if (flagged && positive) tp++;
      else if (flagged) {
        fp++;
        misses.push(`false positive ${folder}/${f}: ${result.findings.map((x) => `${x.startPos.line}:${x.code}`).join(', ')}`);
      } else if (positive) {
        fn++;
        misses.push(`false negative ${folder}/${f}`);
      } else tn++;
    }
    scores.push({ folder, files: files.length, tp, fp, fn, tn, precision: tp + fp ? tp / (tp + fp) : 1, recall: tp + fn ? tp / (tp + fn) : 1, misses });
  }
  return scores;
}

