// SQL inside Rails migrations' `execute`: linted by the SQL rules where it runs forward (up,
// change, reversible's dir.up, up_only), never in down / dir.down / revert, with positions in the
// .rb file through escapes, heredocs and interpolations.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { LineIndex } from '../../../../src/core/lint/positions';
import { parseRailsMigration } from '../../../../src/core/lint/ruby/railsMigration';

const linter = createDefaultLinter();

async function found(file: string, text: string): Promise<string[]> {
  const r = await linter.lint(file, text);
  return r.findings.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.code}`);
}

function at(text: string, needle: string, after = ''): string {
  const i = text.indexOf(needle, after ? text.indexOf(after) : 0);
  assert.ok(i >= 0, `${needle} not in the text`);
  const p = new LineIndex(text).position(i);
  return `${p.line}:${p.column}`;
}

suite('(unit) lint: SQL in Rails migrations (execute)', () => {
  test("up is linted at the SQL's place in the heredoc; down is not", async () => {
    const text = [
      'class CreateAudit < ActiveRecord::Migration[7.1]',
      '  def up',
      '    execute <<~SQL',
      '      CREATE TABLE audit (id bigserial PRIMARY KEY);',
      '      CREATE INDEX audit_id ON audit (id);',
      '    SQL',
      '  end',
      '',
      '  def down',
      '    execute "DROP TABLE audit"',
      '  end',
      'end',
      '',
    ].join('\n');
    assert.deepEqual(await found('db/migrate/20240101000000_create_audit.rb', text), [
      `${at(text, 'CREATE TABLE audit')} sql-create-table-if-not-exists`,
      `${at(text, 'CREATE INDEX')} sql-create-index-if-not-exists`,
    ]);
  });

  test('change with reversible: dir.up is forward, dir.down is not; up_only is forward', async () => {
    const text = [
      'class Backfill < ActiveRecord::Migration[7.1]',
      '  def change',
      '    reversible do |dir|',
      "      dir.up { execute 'ALTER TABLE users ADD COLUMN score int' }",
      "      dir.down { execute 'ALTER TABLE users DROP COLUMN score' }",
      '    end',
      '    up_only do',
      '      execute "UPDATE users SET visits = visits + 1"',
      '    end',
      '    revert { execute "DROP TABLE old_things" }',
      '  end',
      'end',
    ].join('\n');
    assert.deepEqual(await found('db/migrate/2_backfill.rb', text), [
      `${at(text, 'ALTER TABLE users ADD')} sql-add-column-if-not-exists`,
      `${at(text, 'UPDATE users')} sql-update-changes-on-rerun`,
    ]);
  });

  test('escapes and interpolations keep positions: \\" and #{…} in a double-quoted string', async () => {
    const text = 'class X < ActiveRecord::Migration[7.0]\n  def up\n    execute "INSERT INTO \\"roles\\" (name) VALUES (\'#{name}\'); CREATE TABLE t#{n} (id int)"\n  end\nend\n';
    const parsed = await parseRailsMigration(text);
    assert.ok(parsed.ok);
    assert.equal(parsed.unit.executes[0]!.sql.value, 'INSERT INTO "roles" (name) VALUES (\'_______\'); CREATE TABLE t____ (id int)');
    assert.deepEqual(await found('db/migrate/3_x.rb', text), [`${at(text, 'INSERT INTO')} sql-insert-without-conflict-handling`, `${at(text, 'CREATE TABLE')} sql-create-table-if-not-exists`]);
  });

  test('connection.execute, single quotes with a literal backslash-n, and adjacent literals', async () => {
    const text = "class X < ActiveRecord::Migration[7.0]\n  def up\n    ActiveRecord::Base.connection.execute('CREATE TABLE a (s text DEFAULT \\'\\n\\')')\n    execute 'CREATE TABLE b ' \\\n      '(id int)'\n  end\nend\n";
    const parsed = await parseRailsMigration(text);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.unit.executes.map((e) => e.sql.value), ["CREATE TABLE a (s text DEFAULT '\\n')", 'CREATE TABLE b (id int)']);
    assert.deepEqual(await found('db/migrate/4_x.rb', text), [`${at(text, 'CREATE TABLE a')} sql-create-table-if-not-exists`, `${at(text, 'CREATE TABLE b')} sql-create-table-if-not-exists`]);
  });

  test('a suppression comment above execute <<~SQL reaches the heredoc body', async () => {
    const text = 'class X < ActiveRecord::Migration[7.0]\n  def up\n    # greenlight-ignore sql-create-table-if-not-exists\n    execute <<~SQL\n      CREATE TABLE a (id int);\n    SQL\n    execute "CREATE TABLE b (id int)"\n  end\nend\n';
    assert.deepEqual(await found('db/migrate/5_x.rb', text), [`${at(text, 'CREATE TABLE b')} sql-create-table-if-not-exists`]);
  });

  test('framework operations are not linted; a migration named *seed* under db/migrate is a migration, not a seed file', async () => {
    const text = "class SeedRoles < ActiveRecord::Migration[7.0]\n  def change\n    create_table :roles\n    Role.create!(name: 'admin')\n  end\nend\n";
    const r = await linter.lint('db/migrate/6_seed_roles.rb', text);
    assert.equal(r.language, 'rails-migration');
    assert.deepEqual(r.findings, []);
  });

  test('a Ruby syntax error is one parse-error at its line', async () => {
    const r = await linter.lint('db/migrate/7_x.rb', 'class X < ActiveRecord::Migration[7.0]\n  def up\n    execute "SELECT 1"\n  \nend\n');
    assert.deepEqual(r.findings.map((f) => f.code), ['parse-error']);
  });

  test('fast-check: decoded SQL of plain single-quoted strings maps each character back to itself', async function () {
    this.timeout(60000);
    const body = fc.string({ maxLength: 60 }).map((s) => s.replace(/['\\\r]/g, 'x'));
    await fc.assert(
      fc.asyncProperty(body, async (sql) => {
        const text = `class X < ActiveRecord::Migration[7.0]\n  def up\n    execute '${sql}'\n  end\nend\n`;
        const parsed = await parseRailsMigration(text);
        assert.ok(parsed.ok);
        const e = parsed.unit.executes[0]!;
        assert.equal(e.sql.value, sql);
        for (let i = 0; i < sql.length; i++) assert.equal(text[e.sql.offsets[i]!], sql[i]);
      }),
      { numRuns: 150 },
    );
  });

  test('fast-check: random edits of a migration never throw and keep findings inside the text', async function () {
    this.timeout(120000);
    const base = 'class X < ActiveRecord::Migration[7.0]\n  def up\n    execute <<~SQL\n      CREATE TABLE a (id int);\n    SQL\n    execute "UPDATE t SET n = n + #{k}"\n  end\n  def down\n    execute "DROP TABLE a"\n  end\nend\n';
    const piece = fc.oneof(fc.string({ maxLength: 15 }), fc.constantFrom('"', "'", '#{', '}', '\\', '\n', 'SQL', 'end', 'def down', '<<~SQL', '😀'));
    const edit = fc.tuple(fc.nat(), fc.nat({ max: 15 }), piece, fc.constantFrom('insert', 'delete'));
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 5 }), async (edits) => {
        let text = base;
        for (const [pos, len, s, op] of edits) {
          const i = pos % (text.length + 1);
          text = op === 'insert' ? text.slice(0, i) + s + text.slice(i) : text.slice(0, i) + text.slice(i + len);
        }
        const r = await linter.lint('db/migrate/9_x.rb', text);
        for (const f of r.findings) {
          assert.notEqual(f.code, 'internal-error', f.message);
          assert.ok(f.start >= 0 && f.start <= f.end && f.end <= text.length, `${f.code} ${f.start}-${f.end} outside ${text.length}`);
        }
      }),
      { numRuns: 120 },
    );
  });
});
