// The real-world accuracy corpus: migrations and seeds of public projects at pinned commits,
// read from local git mirrors. The repository keeps only the list of projects
// (test/fixtures/realworld/projects.json) and the labels (labels.json); the files themselves are
// gathered from the mirrors into a git-ignored directory, so no one else's code is committed.
//
// Mirrors are bare git directories at $GREENLIGHT_MIRRORS/<owner>+<name>/repo (default
// /work/.mirror, where the session's `fetch` tool puts them); a plain `git clone --mirror` of
// https://github.com/<owner>/<name> at that path works as well.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'realworld');

/**
 * The development corpus (the rules were improved against it) or the held-out one (projects kept
 * apart as an independent check, never used to change a rule); each keeps its projects.json and
 * labels.json in its own directory.
 */
export type CorpusSet = 'development' | 'heldout';

export function fixturesOf(set: CorpusSet): string {
  return set === 'heldout' ? path.join(FIXTURES, 'heldout') : FIXTURES;
}

export function parseCorpusSet(value: string | undefined): CorpusSet {
  if (value === undefined || value === 'development' || value === 'heldout') return value ?? 'development';
  throw new Error(`--set ${value}: expected development or heldout`);
}
/** Where gathered files go (git-ignored). */
export const GATHERED = path.join(ROOT, '.realworld');

export type CorpusLanguage = 'sql' | 'seed' | 'django';

export interface Chain {
  readonly id: string;
  readonly repo: string;
  readonly commit: string;
  readonly stack: string;
  readonly language: CorpusLanguage;
  /** Paths at the commit that belong to the chain (a regular expression). */
  readonly select: string;
  /** Only the first N files of the chain, in order. */
  readonly limit?: number;
  /** Only files whose first captured number in `select` is above this (upgrade scripts newer than `base`). */
  readonly after?: number;
  /** An older full schema the upgrade scripts start from, loaded before the chain and not labelled. */
  readonly base?: { readonly commit: string; readonly path: string };
  /** Only files whose text matches this (e.g. a project's data migrations: RunPython|RunSQL). */
  readonly contains?: string;
  /** The files hold forward and backward sections; only the forward one is the migration. */
  readonly sections?: 'goose';
  /**
   * SQL the project's migration tool runs itself before the first file (its bookkeeping table),
   * for chains whose files touch that table.
   */
  readonly prelude?: string;
  /** Flyway runs every versioned file (V…) before the repeatable ones (R__…). */
  readonly order?: 'flyway';
  /** Migrations of the same project the corpus leaves out, and why (another SQL dialect, code). */
  readonly leftOut?: readonly { readonly select: string; readonly why: string }[];
}

export type Verdict = 'idempotent' | 'not-idempotent' | 'unjudged';

export interface RealWorldLabel {
  readonly chain: string;
  readonly repo: string;
  readonly commit: string;
  readonly path: string;
  readonly language: CorpusLanguage;
  readonly label: Verdict;
  /** 1-based lines of the statements or calls to blame (for not-idempotent), when known. */
  readonly lines?: readonly number[];
  /** Why: the oracle's observation for SQL, the reader's reasoning for seeds and Django. */
  readonly reason: string;
  readonly source: 'oracle' | 'reading';
}

export function loadChains(set: CorpusSet = 'development'): Chain[] {
  const doc = JSON.parse(readFileSync(path.join(fixturesOf(set), 'projects.json'), 'utf8')) as { chains: Chain[] };
  return doc.chains;
}

export function loadLabels(set: CorpusSet = 'development'): RealWorldLabel[] {
  const file = path.join(fixturesOf(set), 'labels.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { labels: RealWorldLabel[] }).labels : [];
}

export function saveLabels(labels: readonly RealWorldLabel[], set: CorpusSet = 'development'): void {
  const sorted = [...labels].sort((a, b) => a.chain.localeCompare(b.chain) || 0);
  const body = {
    about: `${set === 'heldout' ? 'Held-out set, kept apart as an independent check: no rule was changed to fit it. ' : ''}Labels of the real-world accuracy corpus (see projects.json): one entry per file, in chain order. SQL labels come from the oracle run over each chain on PostgreSQL 15 (scripts/realworld/labelSql.ts); seed and Django labels from reading the file (reason says why). unjudged = the oracle could not run the file (its first run failed); such files are not scored.`,
    labels: sorted,
  };
  writeFileSync(path.join(fixturesOf(set), 'labels.json'), `${JSON.stringify(body, null, 1)}\n`);
}

export function mirrorsDir(): string {
  return process.env.GREENLIGHT_MIRRORS ?? '/work/.mirror';
}

export function gitDirOf(repo: string): string {
  return path.join(mirrorsDir(), repo.replace('/', '+'), 'repo');
}

function git(repo: string, args: readonly string[]): string {
  return execFileSync('git', [`--git-dir=${gitDirOf(repo)}`, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** Repositories (and commits) the corpus needs that are not in the mirrors directory, or lack the commit. */
export function missingMirrors(chains: readonly Chain[]): string[] {
  const missing: string[] = [];
  for (const c of chains) {
    const need = [c.commit, ...(c.base ? [c.base.commit] : [])];
    for (const commit of need) {
      const label = `${c.repo}@${commit}`;
      if (missing.includes(label)) continue;
      try {
        git(c.repo, ['cat-file', '-e', `${commit}^{commit}`]);
      } catch {
        missing.push(label);
      }
    }
  }
  return missing;
}

const byName = new Intl.Collator('en', { numeric: true });

/** The chain's files in the order its migration tool runs them. */
export function chainFiles(c: Chain): string[] {
  const re = new RegExp(c.select);
  let files = git(c.repo, ['ls-tree', '-r', '--name-only', c.commit]).split('\n').filter((f) => re.test(f));
  if (c.after !== undefined) files = files.filter((f) => Number(re.exec(f)![1]) > c.after!);
  // Tools order by version, and diesel writes versions with dashes (2017-08-31-230457) it ignores.
  files.sort((a, b) => byName.compare(a.replace(/-/g, ''), b.replace(/-/g, '')));
  if (c.order === 'flyway') {
    const repeatable = (f: string): boolean => /^R__/.test(path.basename(f));
    files = [...files.filter((f) => !repeatable(f)), ...files.filter(repeatable)];
  }
  if (c.contains) {
    const want = new RegExp(c.contains);
    files = files.filter((f) => want.test(readAt(c.repo, c.commit, f)));
  }
  return c.limit ? files.slice(0, c.limit) : files;
}

/** How many files at the chain's commit each `leftOut` entry matches. */
export function leftOutCounts(c: Chain): { why: string; files: number }[] {
  if (!c.leftOut?.length) return [];
  const all = git(c.repo, ['ls-tree', '-r', '--name-only', c.commit]).split('\n');
  return c.leftOut.map((l) => ({ why: l.why, files: all.filter((f) => new RegExp(l.select).test(f)).length }));
}

export function readAt(repo: string, commit: string, file: string): string {
  return git(repo, ['show', `${commit}:${file}`]);
}

/** The forward part of a goose file: what lies between `-- +goose Up` and `-- +goose Down`. */
export function forwardPart(text: string, sections: Chain['sections']): string {
  if (sections !== 'goose') return text;
  const lines = text.split('\n');
  const up = lines.findIndex((l) => /^\s*--\s*\+goose\s+Up\b/i.test(l));
  if (up < 0) return text;
  const down = lines.findIndex((l, i) => i > up && /^\s*--\s*\+goose\s+Down\b/i.test(l));
  // Blank lines keep the line numbers of the forward part as they are in the file.
  return lines.map((l, i) => (i > up && (down < 0 || i < down) ? l : '')).join('\n');
}

/** Where a gathered file lives; the original path is kept so the linter picks its language by name. */
export function gatheredPath(c: Chain, file: string): string {
  return path.join(GATHERED, c.repo.replace('/', '+'), file);
}

/** Copies every chain's files (as written, both sections) out of the mirrors into .realworld/. */
export function gather(chains: readonly Chain[]): { chain: Chain; file: string; local: string }[] {
  const out: { chain: Chain; file: string; local: string }[] = [];
  for (const c of chains) {
    for (const file of chainFiles(c)) {
      const local = gatheredPath(c, file);
      if (!existsSync(local)) {
        mkdirSync(path.dirname(local), { recursive: true });
        writeFileSync(local, readAt(c.repo, c.commit, file));
      }
      out.push({ chain: c, file, local });
    }
  }
  return out;
}
