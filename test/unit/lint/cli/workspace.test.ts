import * as assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { collectLintFiles, globToRegExp, LintPathMatcher, resolveLintTargets, CONVENTIONAL_LINT_PATHS } from '../../../../src/core/lint/workspace';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-lint-ws-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

suite('(unit) lint workspace: which files are linted', () => {
  const dirs: string[] = [];
  const mk = (f: Record<string, string>): string => {
    const d = tree(f);
    dirs.push(d);
    return d;
  };
  suiteTeardown(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const cases: [string, string, boolean][] = [
    ['migrations', 'migrations/001.sql', true],
    ['migrations', 'migrations/sub/x.sql', true],
    ['migrations', 'migrations2/x.sql', false],
    ['*/migrations/*.py', 'shop/migrations/0001_initial.py', true],
    ['*/migrations/*.py', 'shop/migrations/sub/x.py', false],
    ['*/migrations/*.py', 'a/b/migrations/0001.py', false],
    ['**/seeds/*.rb', 'db/seeds/users.rb', true],
    ['**/seeds/*.rb', 'seeds/users.rb', true],
    ['db/{seeds.rb,seeds}', 'db/seeds.rb', true],
    ['db/{seeds.rb,seeds}', 'db/seeds/a.rb', true],
    ['db/seeds.rb', 'db/seedsXrb', false],
    ['m/00?_*.sql', 'm/001_a.sql', true],
    ['m/00[12]_*.sql', 'm/003_a.sql', false],
  ];
  for (const [glob, file, expected] of cases) {
    test(`${glob} ${expected ? 'matches' : 'does not match'} ${file}`, () => {
      assert.equal(globToRegExp(glob).test(file), expected);
    });
  }

  test('the matcher resolves patterns against the root and accepts absolute files', () => {
    const m = new LintPathMatcher({ root: '/w', patterns: ['migrations', 'db/seeds.rb'] });
    assert.equal(m.matches('/w/migrations/001.sql'), true);
    assert.equal(m.matches('/w/db/seeds.rb'), true);
    assert.equal(m.matches('/w/src/app.sql'), false);
    assert.equal(m.matches('/other/migrations/001.sql'), false);
  });

  test('targets come from greenlight.yaml database.migrations and seeds, plus extra paths', async () => {
    const dir = mk({ 'greenlight.yaml': 'project: p\nservices: []\ndatabase:\n  kind: postgres\n  migrations: db/m\n  seeds: [db/seeds.rb]\nenvironments: {}\n' });
    const t = await resolveLintTargets(dir, ['extra/*.aql']);
    assert.deepEqual(t.patterns, ['db/m', 'db/seeds.rb', 'db/seeds', '*/migrations/*.py', 'extra/*.aql']);
    assert.equal(t.origin, 'config');
    assert.equal(t.configFile, path.join(dir, 'greenlight.yaml'));
  });

  test('a greenlight.yaml that lists no seeds keeps the usual seed paths linted (db/seeds.rb, db/seeds/*.rb, Django migrations)', async () => {
    const dir = mk({
      'greenlight.yaml': 'project: p\nservices: []\ndatabase:\n  kind: postgres\n  migrations: migrations\nenvironments: {}\n',
      'db/seeds.rb': '',
      'db/seeds/users.rb': '',
      'shop/migrations/0001_initial.py': '',
      'app/models.py': '',
    });
    const t = await resolveLintTargets(dir);
    const m = new LintPathMatcher(t);
    for (const f of ['db/seeds.rb', 'db/seeds/users.rb', 'shop/migrations/0001_initial.py']) assert.equal(m.matches(path.join(dir, f)), true, f);
    assert.equal(m.matches(path.join(dir, 'app/models.py')), false);
  });

  test('without greenlight.yaml the conventional paths are used; an invalid one is reported', async () => {
    const none = await resolveLintTargets(mk({}));
    assert.deepEqual(none.patterns, [...CONVENTIONAL_LINT_PATHS]);
    assert.equal(none.configProblems, undefined);
    const bad = await resolveLintTargets(mk({ 'greenlight.yaml': 'project: [\n' }));
    assert.equal(bad.origin, 'conventional');
    assert.ok(bad.configProblems && bad.configProblems.length > 0);
  });

  test('collecting walks directories for lintable extensions, skips node_modules and dot folders, sorts', async () => {
    const dir = mk({
      'migrations/002.sql': '',
      'migrations/001.sql': '',
      'migrations/notes.md': '',
      'migrations/node_modules/x.sql': '',
      'migrations/.hidden/y.sql': '',
      'migrations/arango/003.aql': '',
      'shop/migrations/0001_initial.py': '',
    });
    const c = await collectLintFiles(dir, ['migrations', '*/migrations/*.py', 'db/seeds.rb']);
    assert.deepEqual(c.files.map((f) => path.relative(dir, f)), ['migrations/001.sql', 'migrations/002.sql', 'migrations/arango/003.aql', 'shop/migrations/0001_initial.py']);
    assert.deepEqual(c.unmatched, ['db/seeds.rb']);
    assert.equal(c.truncated, false);
  });

  test('a walk stops at the file limit and says so', async () => {
    const dir = mk({ 'm/1.sql': '', 'm/2.sql': '', 'm/3.sql': '' });
    const c = await collectLintFiles(dir, ['m'], { maxFiles: 2 });
    assert.equal(c.files.length, 2);
    assert.equal(c.truncated, true);
  });
});
