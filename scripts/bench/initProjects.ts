// `greenlight init` on public projects: each project of test/fixtures/realworld/init-projects.json is
// materialised from a local git mirror at its pinned commit into the git-ignored .realworld/init/
// (file names down to five folders, contents where the mirror holds them: mirrors may lack some
// blobs, which become empty files), inspected as a workspace, and its project file rendered and
// loaded with the real loader. Each fact is compared with what a reading of the project says it
// should be (`expect`); the table goes into docs/benchmarks.md.
//
// usage: npm run bench -- initProjects     (or: node --import tsx scripts/bench/initProjects.ts [--no-write])
// Mirrors: $GREENLIGHT_MIRRORS/<owner>+<name>/repo (default /work/.mirror); a missing one is cloned.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { inspectWorkspace, renderProjectFile } from '../../src/core/config/init';
import { parseConfig } from '../../src/core/config/load';
import { replaceSection } from './_report';

const root = path.resolve(__dirname, '..', '..');
const { values: opts } = parseArgs({ options: { 'no-write': { type: 'boolean', default: false } } });
const mirrors = process.env.GREENLIGHT_MIRRORS ?? '/work/.mirror';
const out = path.join(root, '.realworld', 'init');
/** Deeper than init's own scan reads (three folders, plus Flyway's and Prisma's layouts). */
const MAX_DEPTH = 5;
const MAX_BYTES = 1 << 20;

type ServiceFact = [name: string, context: string, dockerfile: string | null, port: number | null];
interface Project {
  readonly repo: string;
  readonly commit: string;
  readonly stack: string;
  /** development: init was improved against it; heldout: expectations written before init first ran on it. */
  readonly set: 'development' | 'heldout';
  /** A fact left out (undefined) is not compared: a reading of the project cannot tell it. */
  readonly expect: { services: ServiceFact[]; migrations?: string | null; migrate?: string | null; database?: string | null; lintPaths?: number };
  readonly why: string;
}

function gitDir(repo: string): string {
  const dir = path.join(mirrors, repo.replace('/', '+'), 'repo');
  if (!existsSync(dir)) {
    mkdirSync(path.dirname(dir), { recursive: true });
    execFileSync('git', ['clone', '--bare', `https://github.com/${repo}.git`, dir], { stdio: 'inherit' });
  }
  return dir;
}

/** Writes the project's tree at the commit; returns how many blobs the mirror lacked. */
function materialise(p: Project, dest: string): { files: number; missing: number } {
  const git = gitDir(p.repo);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const listing = execFileSync('git', ['--git-dir', git, 'ls-tree', '-r', '-z', '-l', p.commit], { maxBuffer: 1 << 28 }).toString('utf8');
  const entries = listing
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, file] = line.split('\t') as [string, string];
      const [mode, type, oid, size] = meta.split(/\s+/) as [string, string, string, string];
      return { mode, type, oid, size: Number(size), file };
    })
    .filter((e) => e.type === 'blob' && e.mode !== '120000' && e.file.split('/').length <= MAX_DEPTH + 1);
  // One `git cat-file --batch` for every blob small enough to matter; a blob the mirror lacks
  // answers "<oid> missing" and its file stays empty.
  const wanted = entries.filter((e) => e.size <= MAX_BYTES);
  const batch = spawnSync('git', ['--git-dir', git, 'cat-file', '--batch'], { input: wanted.map((e) => e.oid).join('\n') + '\n', maxBuffer: 1 << 30 });
  const buf = batch.stdout;
  const contents = new Map<string, Buffer>();
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    const header = buf.subarray(at, nl).toString('utf8');
    at = nl + 1;
    const [oid, kind, size] = header.split(' ');
    if (kind === 'missing' || size === undefined) continue;
    contents.set(oid!, buf.subarray(at, at + Number(size)));
    at += Number(size) + 1;
  }
  let missing = 0;
  for (const e of entries) {
    const target = path.join(dest, e.file);
    mkdirSync(path.dirname(target), { recursive: true });
    const body = contents.get(e.oid);
    if (!body && e.size <= MAX_BYTES) missing++;
    writeFileSync(target, body ?? '');
  }
  return { files: entries.length, missing };
}

void (async () => {
  const { projects } = JSON.parse(readFileSync(path.join(root, 'test', 'fixtures', 'realworld', 'init-projects.json'), 'utf8')) as { projects: Project[] };
  const rows: string[] = [];
  const misses: string[] = [];
  const tally = { development: { facts: 0, right: 0, projects: 0 }, heldout: { facts: 0, right: 0, projects: 0 } };
  for (const p of projects) {
    const dest = path.join(out, p.repo.split('/')[1]!);
    const { files, missing } = materialise(p, dest);
    const facts = await inspectWorkspace(dest, { git: false });
    const text = renderProjectFile(facts, { ssh: { host: 'app.example.com', user: 'deploy' } });
    const loaded = parseConfig(text, path.join(dest, 'greenlight.yaml'));
    if (!loaded.ok) throw new Error(`${p.repo}: the written file does not load: ${JSON.stringify(loaded.problems)}`);
    const c = loaded.config;
    const got = {
      services: c.services.map((s): ServiceFact => [s.name, s.context, s.dockerfile === 'Dockerfile' ? null : s.dockerfile, s.port ?? null]),
      // The folder init found (none: the file holds the default, marked guessed).
      migrations: facts.migrations?.dir ?? null,
      migrate: c.database?.migrateCommand?.[0] ?? null,
      database: c.database?.kind ?? null,
      lintPaths: c.lint?.paths.length ?? 0,
    };
    const checks: [string, unknown, unknown][] = [
      ['services', p.expect.services, got.services],
      ...(p.expect.migrations !== undefined ? [['migrations', p.expect.migrations, got.migrations] as [string, unknown, unknown]] : []),
      ...(p.expect.database !== undefined ? [['database', p.expect.database, got.database] as [string, unknown, unknown]] : []),
      ...(p.expect.migrate !== undefined ? [['migrate command', p.expect.migrate, got.migrate] as [string, unknown, unknown]] : []),
      ...(p.expect.lintPaths !== undefined ? [['lint.paths', p.expect.lintPaths, got.lintPaths] as [string, unknown, unknown]] : []),
    ];
    // A port the project does not say (null) is not compared: the file then holds a guessed one, marked so.
    const same = (what: string, e: unknown, g: unknown): boolean =>
      what === 'services' ? JSON.stringify((e as ServiceFact[]).map((x, i) => (x[3] === null ? [...x.slice(0, 3), (g as ServiceFact[])[i]?.[3] ?? null] : x))) === JSON.stringify(g) : JSON.stringify(e) === JSON.stringify(g);
    const wrong = checks.filter(([what, e, g]) => !same(what, e, g));
    tally[p.set].facts += checks.length;
    tally[p.set].right += checks.length - wrong.length;
    tally[p.set].projects++;
    for (const [what, e, g] of wrong) misses.push(`- ${p.repo} (${p.set}): ${what} — expected ${JSON.stringify(e)}, written ${JSON.stringify(g)}. ${p.why}.`);
    const svc = got.services.map(([n, ctx, df, port]) => `${n} (${ctx}${df ? `, ${df}` : ''}${port ? `, :${port}` : ''})`).join('; ') || '—';
    rows.push(`| ${p.repo} | ${p.set} | ${p.stack} | ${svc} | ${got.migrations ?? '—'}${got.migrate ? ` (${got.migrate})` : ''} | ${checks.length - wrong.length} / ${checks.length} | ${files}${missing ? ` (${missing} not in the mirror)` : ''} |`);
    console.log(`${p.repo}: ${checks.length - wrong.length}/${checks.length} facts as expected`);
  }
  const section = [
    '## `greenlight init` on public projects',
    '',
    'Command: `npm run bench -- initProjects` (scripts/bench/initProjects.ts), ' + new Date().toISOString().slice(0, 10) + '. Each project of test/fixtures/realworld/init-projects.json is written out from a local git mirror at its pinned commit (file names down to five folders; a blob the mirror lacks becomes an empty file) and inspected as a workspace; the project file is rendered with an SSH target and loaded with the real loader (every one loads). Each fact — the services to build (name, context, Dockerfile, port), the migrations folder, the database kind, the migrate command where a reading of the project can tell, the number of `lint.paths` — is compared with what a reading of the project says it should be.',
    '',
    '| project | set | stack | services written | migrations written | facts as expected | files |',
    '|---|---|---|---|---|---:|---:|',
    ...rows,
    '',
    `Development set (init was improved against it): **${tally.development.right} of ${tally.development.facts} facts as expected** over ${tally.development.projects} projects.` +
      (tally.heldout.projects ? ` Held-out set (expectations written from a reading of each project before init first ran on it): **${tally.heldout.right} of ${tally.heldout.facts}** over ${tally.heldout.projects} projects.` : ' No project is held out now: the held-out batches\' first runs are recorded below the table.') +
      (misses.length ? ' Not as expected:' : ''),
    ...(misses.length ? ['', ...misses] : []),
  ].join('\n');
  console.log(`\n${section}`);
  if (!opts['no-write']) {
    const docFile = path.join(root, 'docs', 'benchmarks.md');
    writeFileSync(docFile, replaceSection(readFileSync(docFile, 'utf8'), 'init-realworld', section));
    console.log('\nwrote docs/benchmarks.md (section init-realworld)');
  }
})();
