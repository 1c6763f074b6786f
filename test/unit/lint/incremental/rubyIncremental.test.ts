// Incremental Ruby parsing (src/core/lint/ruby/incremental.ts: only the edited statement parsed
// again, the rest of the previous tree moved) must give exactly what a whole parse gives. Random
// edit sequences — spaces, identifiers, quotes, brackets, newlines, heredoc terminators, local
// variable assignments, jumps, non-ASCII text, whole statements — are applied to a seed file and a
// Rails migration; after each edit the tree, statements and comments equal a whole parse's, and
// so do the findings of a linter that keeps parses and one that does not, and what parseRuby
// collects for the rules (kept per top-level statement across edits).
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { rubyParseCounts } from '../../../../src/core/lint/ruby/incremental';
import { parseRuby, type RubyNodeInfo, type RubyParse } from '../../../../src/core/lint/ruby/prism';

const SEEDS = [
  '# frozen-ish comment, not magic',
  'admin = User.find_by(email: "admin@example.com")',
  'User.create!(email: "admin@example.com") unless admin',
  '',
  'def ensure_role(name)',
  '  Role.find_or_create_by!(name: name)',
  'end',
  '',
  'ensure_role("editor")',
  'Role.create!(name: "viewer")  # greenlight-ignore seed-unguarded-create',
  '3.times do |i|',
  '  Post.create!(title: "Post #{i}", token: SecureRandom.hex)',
  'end',
  'count = Tag.count',
  'Tag.create!(name: "t") if count.zero?',
  'Comment.new(body: Faker::Lorem.sentence).save!',
  'Setting.insert_all([{ key: "a" }])',
  'x = <<~TXT',
  '  some text',
  'TXT',
  'Note.create!(body: x)',
  'Log.delete_all',
  'User.where(name: "é").first_or_create!',
  'class Importer',
  '  def run',
  '    u = User.find_or_initialize_by(email: "a@example.com")',
  '    u.token = token_value',
  '    u.save!',
  '    Audit.create!(at: Time.now)',
  '  end',
  '',
  '  def token_value',
  '    SecureRandom.hex',
  '  end',
  'end',
  'module Helpers',
  '  def self.seeded?',
  '    Setting.exists?',
  '  end',
  'end',
  'Tag.find_or_create_by!(name: token_value)',
  '',
].join('\n');

const MIGRATION = [
  'class AddThings < ActiveRecord::Migration[7.1]',
  '  def up',
  '    execute <<~SQL',
  '      CREATE TABLE IF NOT EXISTS t1 (id bigint PRIMARY KEY, name text);',
  '      CREATE INDEX t1_name ON t1 (name);',
  '    SQL',
  '    add_column :users, :c1, :integer, default: 0',
  '    name = "t2"',
  '    execute "CREATE TABLE #{name} (id int)"',
  '    execute "INSERT INTO t1 (id, name) VALUES (1, \'a\') ON CONFLICT DO NOTHING"',
  '    reversible do |dir|',
  '      dir.up { execute "DROP TABLE old" }',
  '    end',
  '    execute \'UPDATE t1 SET name = name\'',
  '  end',
  '',
  '  def down',
  '    execute "DROP TABLE t1"',
  '  end',
  'end',
  '',
].join('\n');

const editArb = fc.record({
  // Per mille of the text (fc.double would put most edits at its very start: it favours tiny numbers).
  at: fc.nat({ max: 1000 }),
  remove: fc.nat({ max: 6 }),
  insert: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(' ', '  ', 'x', 'name', 'count', 'admin', '_1', 'é', '日本', '😀') },
    { weight: 2, arbitrary: fc.constantFrom('\n', '"', "'", '(', ')', '[', ']', '{', '}', ',', '#', '\\', '.', '&.', '<<~SQL', 'SQL', 'TXT', 'end', 'do', '=begin', '__END__', '=') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'count = 1\n',
        'admin = nil\n',
        'Foo.create!(a: 1)\n',
        'next if Foo.exists?\n',
        'return if User.exists?\n',
        'yield\n',
        '    execute "DROP TABLE t9"\n',
        '    tmp = 1\n',
        'name\n',
        ' if admin',
        'foo(<<~Q); ',
        '; Bar.create!',
        '# greenlight-ignore seed-unguarded-create\n',
        'foo \\\n',
        '  .bar\n',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  ),
});

function apply(text: string, e: { at: number; remove: number; insert: string }): string {
  // At a character, not inside a surrogate pair.
  let at = Math.floor((e.at / 1000) * text.length);
  if (at > 0 && at < text.length && /[\udc00-\udfff]/.test(text[at]!)) at--;
  return text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
}

/**
 * A parse as plain data (node ids are a parse's own numbering and differ between parses), with
 * what parseRuby collects for the rules (kept per top-level statement across edits): calls,
 * assignments and method definitions in order, each with its position and its ancestors' kinds.
 */
function dump(p: RubyParse): string {
  if (!p.ok) return JSON.stringify(p);
  const fact = (i: RubyNodeInfo): unknown => [i.node.constructor.name, i.node.location.startOffset, i.node.location.length, i.ancestors.map((a) => `${a.constructor.name}@${a.location.startOffset}`)];
  const facts = {
    calls: p.unit.calls.map(fact),
    assignments: p.unit.assignments.map(fact),
    defs: p.unit.defs.map((d) => [d.name, d.location.startOffset, d.location.length]),
  };
  return JSON.stringify({ program: p.unit.program, statements: p.statements, comments: p.comments, facts }, (k, v: unknown) => (k === 'nodeID' ? undefined : v));
}

suite('(unit) lint: incremental Ruby parsing equals a whole parse', () => {
  for (const [name, base, file] of [
    ['a seed file', SEEDS, '/p/db/seeds.rb'],
    ['a Rails migration', MIGRATION, '/p/db/migrate/20240101000000_add_things.rb'],
  ] as const) {
    test(`fast-check: ${name} — the tree, statements, comments and findings equal a whole parse after every edit`, async () => {
      const warm = createDefaultLinter();
      const before = { ...rubyParseCounts };
      let doc = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 12 }), async (edits) => {
          const path = file.replace(/\.rb$/, `_${doc++}.rb`);
          const parsePath = `${path}.parse.rb`;
          let text = base;
          await warm.lint(path, text);
          await parseRuby(text, parsePath);
          for (const e of edits) {
            text = apply(text, e);
            assert.equal(dump(await parseRuby(text, parsePath)), dump(await parseRuby(text)));
            const kept = await warm.lint(path, text);
            // Another path is another document: nothing is kept for it, so it is parsed whole.
            const whole = await createDefaultLinter().lint(path.replace(/\.rb$/, '_whole.rb'), text);
            assert.deepEqual(kept.findings, whole.findings);
          }
        }),
        { numRuns: 120 },
      );
      // The property says nothing if every edit fell back to a whole parse.
      assert.ok(rubyParseCounts.spliced - before.spliced > 100, `only ${rubyParseCounts.spliced - before.spliced} incremental parses`);
    });
  }

  test('an edit in the heredoc body of a statement that shares its line with the next one is parsed with it', async () => {
    const text = 'x = 1\nfoo(<<~A); bar\n  body text\nA\nbaz(1)\nqux(2)\n';
    await parseRuby(text, '/p/db/seeds_heredoc.rb');
    const edited = text.replace('body text', 'body  text');
    assert.equal(dump(await parseRuby(edited, '/p/db/seeds_heredoc.rb')), dump(await parseRuby(edited)));
  });

  test("an edit in a method body that reads the method's parameters or multiple-assignment targets is parsed with them as local variables", async () => {
    // prism's compactChildNodes() leaves out parameters and `a, b = …` targets; found by the fuzzer.
    const text = 'def run(u, opt = 1)\n  a, b = 1, 2\n  u.token = a\n  b.x = opt\n  u.save!\n  c = 3\n  c\nend\nfoo\n';
    const path = '/p/db/seeds_params.rb';
    for (const edited of [text.replace('u.token', 'u.tokn'), text.replace('b.x', 'b.xy'), text.replace('u.save!', 'u.save')]) {
      await parseRuby(text, path);
      const before = rubyParseCounts.spliced;
      assert.equal(dump(await parseRuby(edited, path)), dump(await parseRuby(edited)));
      assert.equal(rubyParseCounts.spliced, before + 1);
    }
  });

  test('an edit inside one statement of a 2,000-statement seed file is parsed incrementally, with the same findings', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => (i % 5 === 4 ? `Role.create!(name: "r${i}")` : `User.find_or_create_by!(email: "u${i}@example.com") { |u| u.name = "User ${i}" }`));
    const file = '/p/db/seeds.rb';
    const warm = createDefaultLinter();
    await warm.lint(file, lines.join('\n') + '\n');
    const before = rubyParseCounts.spliced;
    lines[1000] = lines[1000]!.replace('Role.create!(', 'Role.create!( ');
    lines[1004] = lines[1004]!.replace('create!', 'find_or_create_by!');
    const text = lines.join('\n') + '\n';
    const kept = await warm.lint(file, text);
    assert.equal(rubyParseCounts.spliced, before + 1);
    assert.deepEqual(kept.findings, (await createDefaultLinter().lint('/p/db/seeds_whole.rb', text)).findings);
    assert.equal(kept.findings.length, 399);
  });
});
