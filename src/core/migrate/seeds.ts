// Seeds policy: on a new database seeds run; on an existing one a seed file runs only when the
// linter finds nothing non-idempotent in it, otherwise it is skipped with the reason and the
// exact command to run it by hand. Environment-specific files win: for environment "production",
// db/seeds/production_seeds.rb > db/production_seeds.rb > db/seeds.rb, and the same for .sql
// and .aql seed files (seeds/production_seeds.sql > production_seeds.sql > seeds.sql).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Linter } from '../lint/engine';

export type SeedLanguage = 'ruby' | 'sql' | 'aql';

export interface SeedDecision {
  readonly file: string;
  readonly language: SeedLanguage;
  readonly run: boolean;
  readonly reason: string;
  /** When skipped: the command that runs it by hand. */
  readonly manualCommand?: string;
  readonly findings?: readonly string[];
}

const EXT: Record<SeedLanguage, string> = { ruby: '.rb', sql: '.sql', aql: '.aql' };

/** The seed file that applies to env in one directory tree (base = db/ for Rails, the seeds root otherwise). */
export function chooseSeedFile(base: string, env: string | undefined, language: SeedLanguage): string | undefined {
  const ext = EXT[language];
  const candidates = [
    ...(env ? [path.join(base, 'seeds', `${env}_seeds${ext}`), path.join(base, `${env}_seeds${ext}`)] : []),
    path.join(base, `seeds${ext}`),
  ];
  return candidates.find((c) => existsSync(c));
}

export function manualSeedCommand(file: string, language: SeedLanguage, rel: string): string {
  switch (language) {
    case 'ruby':
      return path.basename(file) === 'seeds.rb' ? 'bin/rails db:seed' : `bin/rails runner ${rel}`;
    case 'sql':
      return `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -1 -f ${rel}`;
    case 'aql':
      return `arangosh --server.endpoint "$ARANGO_URL" --javascript.execute-string "db._query(require('fs').read('${rel}'))"`;
  }
}

export function languageOf(file: string): SeedLanguage | undefined {
  return file.endsWith('.rb') ? 'ruby' : file.endsWith('.sql') ? 'sql' : file.endsWith('.aql') ? 'aql' : undefined;
}

/** Decides, file by file, whether seeds run. Lint errors and warnings both count as "not idempotent". */
export async function decideSeeds(files: readonly string[], o: { newDatabase: boolean; linter: Linter; root: string }): Promise<SeedDecision[]> {
  const out: SeedDecision[] = [];
  for (const file of files) {
    const language = languageOf(file);
    if (!language) continue;
    const rel = path.relative(o.root, file) || file;
    if (o.newDatabase) {
      out.push({ file, language, run: true, reason: 'new database: seeds run' });
      continue;
    }
    const result = await o.linter.lint(file, await readFile(file, 'utf8'));
    const blocking = result.findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
    if (!result.language) {
      out.push({ file, language, run: false, reason: 'existing database and the linter cannot check this file, so it is not run', manualCommand: manualSeedCommand(file, language, rel) });
    } else if (blocking.length === 0) {
      out.push({ file, language, run: true, reason: 'existing database; the linter finds the file idempotent' });
    } else {
      out.push({
        file,
        language,
        run: false,
        reason: `existing database and ${blocking.length} idempotency finding${blocking.length === 1 ? '' : 's'}: running it again could duplicate or overwrite data`,
        manualCommand: manualSeedCommand(file, language, rel),
        findings: blocking.map((f) => `${rel}:${f.startPos.line}:${f.startPos.column}: ${f.code}: ${f.message}`),
      });
    }
  }
  return out;
}

/**
 * The seed files configured in database.seeds (files or directories): in each directory the
 * environment-specific file wins over the generic one; files named explicitly are taken as is.
 */
export function resolveSeedFiles(root: string, entries: readonly string[], env: string | undefined): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const full = path.resolve(root, e);
    if (/\.(rb|sql|aql)$/.test(full)) {
      if (existsSync(full)) out.push(full);
      continue;
    }
    const before = out.length;
    for (const language of ['ruby', 'sql', 'aql'] as const) {
      const base = path.basename(full) === 'seeds' ? path.dirname(full) : full;
      const chosen = chooseSeedFile(base, env, language);
      if (chosen && !out.includes(chosen)) out.push(chosen);
    }
    // A directory without the seeds/<env>_seeds convention: every seed file in it, in name order.
    if (out.length === before && existsSync(full) && statSync(full).isDirectory()) {
      for (const f of readdirSync(full).sort()) if (languageOf(f) && !/_seeds\.(rb|sql|aql)$/.test(f)) out.push(path.join(full, f));
    }
  }
  return out;
}
