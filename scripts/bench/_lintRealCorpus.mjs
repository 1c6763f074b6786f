// Gathers the real-world SQL migrations the lint speed benchmark runs on: PostgreSQL migration
// files of public projects, taken from bare git mirrors at pinned commits and extracted into
// .bench-corpus/lint-real/<owner>+<name>/ (git-ignored; their files are never committed).
// Mirrors are looked for in $GREENLIGHT_MIRRORS (default /work/.mirror, laid out as
// <owner>+<name>/repo); a missing one is cloned bare from GitHub into that folder.
//
// usage: node scripts/bench/_lintRealCorpus.mjs      (prints the folder and the file count)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const REAL_CORPUS_DIR = path.join(root, '.bench-corpus', 'lint-real');

/** Each project: its commit and the git pathspecs of its PostgreSQL migrations (forward files only). */
export const PROJECTS = [
  { repo: 'ory/kratos', commit: 'b86338da04a040247a07f46100a86dcfb3875909', paths: [':(glob)persistence/sql/migrations/sql/*.postgres.up.sql'] },
  { repo: 'rust-lang/crates.io', commit: '57fa000662f511321daa61e6769f190ea0e80771', paths: [':(glob)migrations/*/up.sql'] },
  { repo: 'triggerdotdev/trigger.dev', commit: 'b082e44389337dc6505d590737a6df70867cc8f4', paths: [':(glob)**/prisma/migrations/*/migration.sql'] },
  { repo: 'dani-garcia/vaultwarden', commit: '46d71107f5094460dd5ecbe1dbac6e6c71e5189a', paths: [':(glob)migrations/postgresql/*/up.sql'] },
  { repo: 'supabase/storage', commit: '4fa61fba9371c4bd40cbb81509f07bcb3af21683', paths: [':(glob)migrations/tenant/*.sql', ':(glob)migrations/multitenant/*.sql'] },
  { repo: 'roundcube/roundcubemail', commit: '28b44419ee44c8749a85e7183325055c2cf68a4d', paths: [':(glob)SQL/postgres/*.sql', ':(glob)SQL/postgres.initial.sql'] },
];

const mirrors = process.env.GREENLIGHT_MIRRORS ?? '/work/.mirror';

function gitDir(repo) {
  const dir = path.join(mirrors, repo.replace('/', '+'), 'repo');
  if (!existsSync(dir)) {
    mkdirSync(path.dirname(dir), { recursive: true });
    execFileSync('git', ['clone', '--bare', '--filter=blob:none', `https://github.com/${repo}.git`, dir], { stdio: 'inherit' });
  }
  return dir;
}

function countFiles(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  return n;
}

/** Extracts every project (again, if its folder is missing) and returns the corpus folder. */
export function gatherRealCorpus() {
  for (const p of PROJECTS) {
    const out = path.join(REAL_CORPUS_DIR, p.repo.replace('/', '+'));
    const stamp = path.join(out, `.commit-${p.commit}`);
    if (existsSync(stamp)) continue;
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const git = gitDir(p.repo);
    // git archive → tar: the files at the pinned commit, without a work tree.
    const tar = execFileSync('git', ['--git-dir', git, 'archive', '--format=tar', p.commit, '--', ...p.paths], { maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', out], { input: tar });
    execFileSync('touch', [stamp]);
  }
  return REAL_CORPUS_DIR;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = gatherRealCorpus();
  console.log(`${dir}: ${countFiles(dir) - PROJECTS.length} files`, statSync(dir).isDirectory() ? '' : '');
}
