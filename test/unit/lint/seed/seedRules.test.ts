// Valid/invalid tables for the Rails seed rules, with exact positions.
import * as assert from 'node:assert/strict';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { ruleTester } from '../ruleTester';

const linter = createDefaultLinter();
const F = 'db/seeds.rb';

suite('(unit) lint seed rules', () => {
  ruleTester('seed-unguarded-create', { linter, file: F,
    valid: [
      'User.find_or_create_by!(email: "admin@example.com") do |u|\n  u.name = "Admin"\nend',
      'Role.where(name: "admin").first_or_create!',
      'User.create_or_find_by!(email: "a@example.com")',
      'User.create!(email: "a@example.com") unless User.exists?(email: "a@example.com")',
      'if User.none?\n  User.create!(email: "a@example.com")\nend',
      'User.find_by(email: "a@example.com") || User.create!(email: "a@example.com")',
      'return if User.any?\n\nUser.create!(email: "a@example.com")',
      'begin\n  User.create!(email: "a@example.com")\nrescue ActiveRecord::RecordNotUnique\n  nil\nend',
      // Creates inside the block of find_or_create_by run only when the parent is created.
      'Org.find_or_create_by!(slug: "acme") do |org|\n  org.teams.create!(name: "Core")\nend',
      // `create` without a receiver is not a model call.
      'def create(x) = x\ncreate(1)',
    ],
    invalid: [
      {
        code: '# Admin user\nUser.create!(email: "admin@example.com", name: "Admin")\n',
        errors: [{ line: 2, column: 1, endLine: 2, endColumn: 56, message: /User\.create! inserts a new row every time/ }],
        output: '# Admin user\nUser.find_or_create_by!(email: "admin@example.com", name: "Admin")\n',
      },
      { code: '10.times do |i|\n  Post.create(title: "Post #{i}")\nend', errors: [{ line: 2, column: 3, message: /inside `times`/ }], output: '10.times do |i|\n  Post.find_or_create_by(title: "Post #{i}")\nend' },
      // A condition that does not ask the database is no guard.
      { code: 'User.create!(email: "a") if Rails.env.development?', errors: [{ line: 1, column: 1 }] },
      // "exists?" in a comment or string is no guard.
      { code: '# unless User.exists?\nUser.create!(note: "unless User.exists?")', errors: [{ line: 2, column: 1 }] },
      { code: 'admin = User.first\nadmin.posts.create!(title: "Hello")', errors: [{ line: 2, column: 1, message: /admin\.posts\.create!/ }] },
      // Multi-byte characters before the call: columns are UTF-16, not bytes.
      { code: '# Café ☕ seeds\nCity.create!(name: "Zürich")', errors: [{ line: 2, column: 1, endLine: 2, endColumn: 29 }] },
      // Calls under the list fields prism 1.9's compactChildNodes() drops: `when` branches, a
      // multiple assignment's values, a parameter's default.
      { code: 'case Rails.env\nwhen "development"\n  User.create!(email: "dev@example.com")\nend', errors: [{ line: 3, column: 3 }] },
      { code: 'a, b = Team.create!(name: "x"), Team.create!(name: "y")', errors: [{ line: 1, column: 8 }, { line: 1, column: 33 }] },
    ],
  });

  ruleTester('seed-new-save', { linter, file: F,
    valid: [
      'u = User.find_or_initialize_by(email: "a")\nu.name = "A"\nu.save!',
      'u = User.new(email: "a")\nu.save! if u.new_record? && !User.exists?(email: "a")',
    ],
    invalid: [
      { code: 'u = User.new(email: "a")\nu.name = "A"\nu.save!', errors: [{ line: 3, column: 1, endColumn: 8 }] },
      { code: 'Tag.new(name: "x").save', errors: [{ line: 1, column: 1 }] },
    ],
  });

  ruleTester('seed-insert-all-without-unique-by', { linter, file: F,
    valid: ['Tag.insert_all([{ name: "a" }], unique_by: :name)', 'list = [1]\nlist.insert(0, 2)'],
    invalid: [
      { code: 'Tag.insert_all([{ name: "a" }, { name: "b" }])', errors: [{ line: 1, column: 1, message: /without unique_by/ }] },
      { code: 'Tag.insert_all!([{ name: "a" }], unique_by: :name)', errors: [{ line: 1, column: 1, message: /raises on the second run/ }] },
      { code: 'Setting.insert({ key: "theme", value: "dark" })', errors: [{ line: 1, column: 1 }] },
    ],
  });

  ruleTester('seed-upsert-without-unique-by', { linter, file: F,
    valid: ['Tag.upsert_all([{ name: "a" }], unique_by: :name)', 'Tag.upsert_all([{ id: 1, name: "a" }])', 'Setting.upsert({ key: "x", value: 1 }, unique_by: :key)'],
    invalid: [{ code: 'Tag.upsert_all([{ name: "a" }])', errors: [{ line: 1, column: 1, endColumn: 32 }] }],
  });

  ruleTester('seed-delete-all', { linter, file: F,
    valid: ['User.where(email: "old@example.com").delete_all', 'Session.where("expires_at < ?", Time.now).destroy_all', 'conn.execute("DELETE FROM sessions WHERE expired")'],
    invalid: [
      { code: 'User.delete_all', errors: [{ line: 1, column: 1, endColumn: 16 }] },
      { code: 'Post.all.destroy_all', errors: [{ line: 1, column: 1 }] },
      { code: 'ActiveRecord::Base.connection.execute("TRUNCATE users CASCADE")', errors: [{ line: 1, column: 1 }] },
      { code: 'ActiveRecord::Base.connection.truncate_tables(:users)', errors: [{ line: 1, column: 1 }] },
    ],
  });

  ruleTester('seed-random-lookup-key', { linter, file: F,
    valid: ['User.find_or_create_by!(email: "demo@example.com") { |u| u.name = Faker::Name.name }'],
    invalid: [
      { code: 'User.find_or_create_by!(email: Faker::Internet.email)', errors: [{ line: 1, column: 25, message: /Faker/ }] },
      { code: 'Token.where(value: SecureRandom.hex(8)).first_or_create', errors: [{ line: 1, column: 13, message: /SecureRandom/ }] },
      { code: 'Day.find_or_create_by(date: Date.today)', errors: [{ line: 1, column: 23, message: /Date\.today/ }] },
    ],
  });

  test('a syntax error is one parse-error at the right place', async () => {
    const { findings } = await linter.lint(F, 'User.create!(name: "x")\nif true\n  puts 1\n');
    assert.equal(findings.filter((f) => f.code === 'parse-error').length, 1);
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.message, /Ruby syntax error: expected an `end` to close the conditional clause/);
    assert.deepEqual([findings[0]!.startPos.line, findings[0]!.startPos.column], [2, 1]);
  });

  test('# greenlight-ignore suppresses the next statement, also inside a block', async () => {
    const text = '3.times do\n  # greenlight-ignore seed-unguarded-create\n  User.create!(name: "x")\n  Post.create!(title: "y")\nend\n';
    const { findings } = await linter.lint(F, text);
    assert.deepEqual(findings.map((f) => [f.code, f.startPos.line]), [['seed-unguarded-create', 4]]);
  });

  test('only seed files are Ruby seeds', () => {
    assert.equal(linter.languageFor('db/seeds.rb', '')?.id, 'ruby');
    assert.equal(linter.languageFor('db/seeds/users.rb', '')?.id, 'ruby');
    // A Rails migration is not a seed file: its own language lints the SQL of its execute calls.
    assert.equal(linter.languageFor('db/migrate/20240101_add_x.rb', '')?.id, 'rails-migration');
    assert.equal(linter.languageFor('app/models/user.rb', ''), undefined);
  });
});
