// The linter's accuracy on real code nobody here wrote: the migrations and seeds of public
// projects at pinned commits (test/fixtures/realworld/projects.json), labelled by the oracle (SQL)
// or by reading (seeds, Django) in test/fixtures/realworld/labels.json. The files are gathered
// from local git mirrors into .realworld/ (git-ignored) — see scripts/realworld/corpus.ts — and
// every labelled file is linted as it is in the repository. Prints precision and recall per
// project and per language, with squawk's prefer-robust-stmts on the same SQL files for
// comparison, and rewrites the "Lint accuracy on real-world code" section of docs/benchmarks.md.
//
// The held-out projects (test/fixtures/realworld/heldout/: lemmy, harbor, authelia, atuin,
// openfga, marquez, ente, documenso) are scored the same way but apart, in their own section: no
// rule was changed to fit them, so they are the independent check the development corpus cannot be.
//
// usage: npm run bench -- accuracy   (both sets; or: node --import tsx scripts/bench/accuracy.ts
//          [--set development|heldout] [--no-write] [--doc <file>] [--language sql|seed|django] [--repos])
//        --repos lists the repositories and commits the corpus needs, one per line, and exits
//        --doc writes the section(s) into another markdown file than docs/benchmarks.md
//        GREENLIGHT_MIRRORS=<dir> when the mirrors are not in /work/.mirror
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDefaultLinter } from '../../src/core/lint/defaultLinter';
import { PARSE_ERROR_CODE } from '../../src/core/lint/types';
import { forwardPart, gather, leftOutCounts, loadChains, loadLabels, missingMirrors, mirrorsDir, parseCorpusSet, type Chain, type CorpusLanguage, type CorpusSet } from '../realworld/corpus';
import { replaceSection } from './_report';

const root = path.resolve(__dirname, '..', '..');
const { values: opts } = parseArgs({ options: { 'no-write': { type: 'boolean', default: false }, misses: { type: 'boolean', default: false }, language: { type: 'string' }, repos: { type: 'boolean', default: false }, set: { type: 'string' }, doc: { type: 'string' } } });
const sets: CorpusSet[] = opts.set ? [parseCorpusSet(opts.set)] : ['development', 'heldout'];

interface Tally {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}
const empty = (): Tally => ({ tp: 0, fp: 0, fn: 0, tn: 0 });
const add = (t: Tally, flagged: boolean, positive: boolean): void => {
  if (flagged && positive) t.tp++;
  else if (flagged) t.fp++;
  else if (positive) t.fn++;
  else t.tn++;
};
const precision = (t: Tally): number => (t.tp + t.fp ? t.tp / (t.tp + t.fp) : 1);
const recall = (t: Tally): number => (t.tp + t.fn ? t.tp / (t.tp + t.fn) : 1);
const files = (t: Tally): number => t.tp + t.fp + t.fn + t.tn;
const row = (name: string, t: Tally, extra = ''): string => `| ${name} | ${files(t)} | ${t.tp} | ${t.fp} | ${t.fn} | ${t.tn} | ${precision(t).toFixed(3)} | ${recall(t).toFixed(3)} |${extra}`;

function squawkBinary(): string {
  const candidates = [path.join(root, 'node_modules', '@squawk-cli', `${process.platform}-${process.arch}`, 'bin', 'squawk'), path.join(root, 'node_modules', '.bin', 'squawk')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error('squawk is not installed: npm install (squawk-cli is a devDependency)');
  return found;
}

/** The files squawk's prefer-robust-stmts flags, one squawk process per file batch. */
function squawkRobust(localFiles: readonly string[]): Set<string> {
  const flagged = new Set<string>();
  const bin = squawkBinary();
  for (let i = 0; i < localFiles.length; i += 200) {
    const batch = localFiles.slice(i, i + 200);
    const r = spawnSync(bin, ['--reporter', 'json', ...batch], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.error) throw r.error;
    const issues = JSON.parse(r.stdout || '[]') as { file: string; rule_name: string }[];
    for (const x of issues) if (x.rule_name === 'prefer-robust-stmts') flagged.add(path.resolve(x.file));
  }
  return flagged;
}

/** Scores one set and returns its section of the benchmarks document, or exits on missing mirrors or labels. */
async function scoreSet(set: CorpusSet): Promise<{ id: string; doc: string }> {
  // --language sql|seed|django scores one language only (and then never writes the document).
  const chains = loadChains(set).filter((c) => !opts.language || c.language === opts.language);
  const missing = missingMirrors(chains);
  if (missing.length) {
    console.error(`The real-world corpus (${set}) needs these repositories at these commits as bare git mirrors under ${mirrorsDir()}/<owner>+<name>/repo (GREENLIGHT_MIRRORS=<dir> to use another place):\n${missing.map((m) => `  ${m}`).join('\n')}`);
    process.exit(1);
  }
  const labels = loadLabels(set);
  const byKey = new Map(labels.map((l) => [`${l.chain}\0${l.path}`, l]));
  const gathered = gather(chains);
  const linter = createDefaultLinter();
  const perChain = new Map<string, Tally>();
  const perLang = new Map<CorpusLanguage, Tally>();
  const squawk = { chains: new Map<string, Tally>(), all: empty() };
  // Files with migration-tool sections, linted a second time with only their forward part: what
  // the linter sees once it reads the sections itself.
  const forwardOnly = new Map<string, Tally>();
  const misses: string[] = [];
  const unlabelled: string[] = [];
  let unjudged = 0;
  const unjudgedPerChain = new Map<string, number>();
  const sqlLocal = gathered.filter((g) => g.chain.language === 'sql').map((g) => g.local);
  const squawkFlagged = squawkRobust(sqlLocal);
  for (const g of gathered) {
    const l = byKey.get(`${g.chain.id}\0${g.file}`);
    if (!l) {
      unlabelled.push(`${g.chain.id}: ${g.file}`);
      continue;
    }
    if (l.label === 'unjudged') {
      unjudged++;
      unjudgedPerChain.set(g.chain.id, (unjudgedPerChain.get(g.chain.id) ?? 0) + 1);
      continue;
    }
    const text = readFileSync(g.local, 'utf8');
    const result = await linter.lint(g.local, text);
    if (g.chain.sections) {
      const fwd = await linter.lint(g.local, forwardPart(text, g.chain.sections));
      const ft = forwardOnly.get(g.chain.id) ?? empty();
      forwardOnly.set(g.chain.id, ft);
      add(ft, fwd.findings.some((x) => x.tags.includes('idempotency') || x.code === PARSE_ERROR_CODE), l.label === 'not-idempotent');
    }
    if (!result.language) throw new Error(`${g.local}: no lint language handles this file`);
    const flagged = result.findings.some((x) => x.tags.includes('idempotency') || x.code === PARSE_ERROR_CODE);
    const positive = l.label === 'not-idempotent';
    const t = perChain.get(g.chain.id) ?? empty();
    perChain.set(g.chain.id, t);
    add(t, flagged, positive);
    const lt = perLang.get(g.chain.language) ?? empty();
    perLang.set(g.chain.language, lt);
    add(lt, flagged, positive);
    if (flagged !== positive) {
      const where = flagged ? result.findings.map((x) => `${x.startPos.line}:${x.code}`).join(', ') : `label lines ${(l.lines ?? []).join(',')}: ${l.reason.slice(0, 160)}`;
      misses.push(`${flagged ? 'false positive' : 'false negative'} ${g.chain.id} ${g.file} — ${where}`);
    }
    if (g.chain.language === 'sql') {
      const st = squawk.chains.get(g.chain.id) ?? empty();
      squawk.chains.set(g.chain.id, st);
      const sf = squawkFlagged.has(path.resolve(g.local));
      add(st, sf, positive);
      add(squawk.all, sf, positive);
    }
  }
  if (unlabelled.length) {
    console.error(`files of the ${set} corpus without a label (run scripts/realworld/labelSql.ts${set === 'heldout' ? ' --set heldout' : ''}, or label them by reading):\n${unlabelled.join('\n')}`);
    process.exit(1);
  }
  const chainById = new Map<string, Chain>(chains.map((c) => [c.id, c]));
  const chainOf = (id: string): Chain => chainById.get(id)!;
  const repos = [...new Set(chains.map((c) => `${c.repo}@${c.commit.slice(0, 12)}`))];
  const scored = [...perLang.values()].reduce((n, t) => n + files(t), 0);
  const all = [...perLang.values()].reduce((a, t) => ({ tp: a.tp + t.tp, fp: a.fp + t.fp, fn: a.fn + t.fn, tn: a.tn + t.tn }), empty());
  const sections = chains.filter((c) => c.sections).map((c) => c.id);
  const heldout = set === 'heldout';
  // Per stack (Go, Rust, Java, Node, …): the language a project's runner is written in.
  const perStack = new Map<string, Tally>();
  const squawkPerStack = new Map<string, Tally>();
  for (const [id, t] of perChain) {
    const stack = chainOf(id).stack.split(' ')[0]!;
    const acc = perStack.get(stack) ?? empty();
    perStack.set(stack, { tp: acc.tp + t.tp, fp: acc.fp + t.fp, fn: acc.fn + t.fn, tn: acc.tn + t.tn });
    const sq = squawk.chains.get(id);
    if (sq) {
      const sacc = squawkPerStack.get(stack) ?? empty();
      squawkPerStack.set(stack, { tp: sacc.tp + sq.tp, fp: sacc.fp + sq.fp, fn: sacc.fn + sq.fn, tn: sacc.tn + sq.tn });
    }
  }
  const leftOut = chains.flatMap((c) => leftOutCounts(c).filter((x) => x.files).map((x) => `${c.id} ${x.files} (${x.why})`));
  const unjudgedNote = [...unjudgedPerChain.entries()].map(([id, n]) => `${id} ${n}`).join(', ');
  const doc = [
    heldout ? '## Lint accuracy on the held-out projects' : '## Lint accuracy on real-world code',
    '',
    heldout
      ? `Command: \`npm run bench -- accuracy\` (scripts/bench/accuracy.ts; this set alone: \`node --import tsx scripts/bench/accuracy.ts --set heldout\`), ${new Date().toISOString().slice(0, 10)}. Labels: \`TEST_DATABASE_URL=<superuser URL of a PostgreSQL 15 server> npx tsx scripts/realworld/labelSql.ts --set heldout\`. The files are read from local git mirrors (GREENLIGHT_MIRRORS, default /work/.mirror); the repository keeps only test/fixtures/realworld/heldout/projects.json and labels.json.`
      : `Command: \`npm run bench -- accuracy\` (scripts/bench/accuracy.ts), ${new Date().toISOString().slice(0, 10)}. The files are read from local git mirrors of the projects (GREENLIGHT_MIRRORS, default /work/.mirror), gathered into .realworld/ (git-ignored); the repository keeps only test/fixtures/realworld/projects.json and labels.json.`,
    '',
    ...(heldout
      ? [
          'These eight projects were kept out of the development corpus. Their first check, before any rule was changed to fit them, gave sql precision 0.991, recall 0.995 (TP 561, FP 5, FN 3, TN 205; docs/benchmarks.d/heldout.md): that is the independent figure. The figures below are **after fixes found on the held-out set** (branch lint-rules: LIKE filters and row loops in DO blocks for sql-update-changes-on-rerun, the new sql-frozen-now-literal, and the oracle probing the source tables of INSERT … SELECT, which relabelled one file), so this set no longer measures code nobody here looked at.',
          '',
        ]
      : []),
    `Corpus: ${scored} scored files (${unjudged} more that the oracle could not run are left out) from ${repos.length} public repositories, ${chains.length} migration chains. SQL: each chain run in order on a fresh PostgreSQL 15 database, each file run again on the state right after it ran, labelled by error or fingerprint change (scripts/realworld/labelSql.ts).${heldout ? ' The held-out projects ship no seeds or Django migrations: SQL only.' : ' Seeds and Django migrations: labelled by reading, the reason stored with each label.'} A file is flagged when the linter reports a finding tagged \`idempotency\` (or a parse error).`,
    '',
    '| language | files | TP | FP | FN | TN | precision | recall |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...[...perLang.entries()].map(([lang, t]) => row(lang, t)),
    row('**all**', all),
    '',
    ...(heldout
      ? [
          '| stack | files | TP | FP | FN | TN | precision | recall | squawk prefer-robust-stmts P / R |',
          '|---|---:|---:|---:|---:|---:|---:|---:|---|',
          ...[...perStack.entries()].map(([stack, t]) => {
            const sq = squawkPerStack.get(stack);
            return row(stack, t, ` ${sq ? `${precision(sq).toFixed(3)} / ${recall(sq).toFixed(3)}` : '—'} |`);
          }),
          '',
        ]
      : []),
    '| project (chain) | stack | files | TP | FP | FN | TN | precision | recall | squawk prefer-robust-stmts P / R |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...[...perChain.entries()].map(([id, t]) => {
      const c = chainOf(id);
      const sq = squawk.chains.get(id);
      return row(`${id}${c.sections ? ' †' : ''}`, t, ` ${sq ? `${precision(sq).toFixed(3)} / ${recall(sq).toFixed(3)}` : '—'} |`).replace(`| ${id}${c.sections ? ' †' : ''} |`, `| ${id}${c.sections ? ' †' : ''} | ${c.stack} |`);
    }),
    '',
    `squawk (prefer-robust-stmts, same ${files(squawk.all)} SQL files as written): precision ${precision(squawk.all).toFixed(3)}, recall ${recall(squawk.all).toFixed(3)}.`,
    ...(sections.length
      ? [
          '',
          `† ${sections.join(', ')}: files with goose Up/Down sections; labelled on the forward part, linted as written above (Down included). The linter reads only the forward part once migration-tool sections land (another branch); linted that way now: ${[...forwardOnly.entries()].map(([id, t]) => `${id} precision ${precision(t).toFixed(3)}, recall ${recall(t).toFixed(3)} (TP ${t.tp} FP ${t.fp} FN ${t.fn} TN ${t.tn})`).join('; ')}.`,
        ]
      : []),
    '',
    ...(heldout
      ? [
          `Unjudged (the first run failed, not scored): ${unjudgedNote || 'none'}.${leftOut.length ? ` Left out, outside the PostgreSQL oracle: ${leftOut.join('; ')}.` : ''}`,
        ]
      : [
          // Measured once, by running this script in a worktree at de4c85a (the linter before this
          // corpus existed) with the same labels and files; kept as the reference the rules improved on.
          'Before the rule changes made with this corpus (linter at commit de4c85a, same files and labels): sql precision 0.958, recall 0.999 (30 FP, 1 FN); seed 0.977 / 0.875 (1 FP, 6 FN); django 0.733 / 0.478 (4 FP, 12 FN); all 0.955 / 0.975. The rules were then improved against this corpus, so it is not an independent test: the held-out projects (lemmy, harbor, authelia, atuin, openfga, marquez, ente, documenso) are.',
        ]),
    '',
    `Repositories: ${repos.join(', ')}.`,
    '',
    ...(misses.length ? ['Misses:', '', ...misses.map((m) => `- ${m}`)] : ['No misses.']),
  ].join('\n');
  console.log(doc);
  if (opts.misses) console.log(`\n${misses.length} misses`);
  return { id: heldout ? 'lint-accuracy-heldout' : 'lint-accuracy-realworld', doc };
}

void (async () => {
  if (opts.repos) {
    // What to fetch: every repository and the commits the corpus reads from it.
    const need = new Map<string, Set<string>>();
    for (const c of sets.flatMap((s) => loadChains(s))) for (const commit of [c.commit, ...(c.base ? [c.base.commit] : [])]) need.set(c.repo, (need.get(c.repo) ?? new Set()).add(commit));
    for (const [repo, commits] of need) console.log(`${repo} ${[...commits].join(' ')}`);
    process.exit(0);
  }
  const docPath = path.resolve(root, opts.doc ?? path.join('docs', 'benchmarks.md'));
  for (const set of sets) {
    const { id, doc } = await scoreSet(set);
    if (!opts['no-write'] && !opts.language) {
      const text = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
      writeFileSync(docPath, replaceSection(text, id, doc));
      console.log(`\nwrote ${path.relative(root, docPath)} (section ${id})`);
    }
  }
  process.exit(0);
})();
