// Lint file discovery knows the migration tools' layouts: without greenlight.yaml the conventional
// folders of goose/golang-migrate/dbmate, Flyway, sqitch, Prisma, Rails and arangojs projects are
// walked, and of what they hold only the files that run forward are linted.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createDefaultLinter } from '../../../../src/core/lint/defaultLinter';
import { collectLintFiles, resolveLintTargets } from '../../../../src/core/lint/workspace';

suite('(unit) lint: discovery of migration tools layouts', () => {
  let dir: string;
  suiteSetup(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'greenlight-lint-layouts-'));
    const files: Record<string, string> = {
      'migrations/00001_users.sql': '-- +goose Up\nCREATE TABLE users (id int);\n-- +goose Down\nDROP TABLE users;\n',
      'migrations/000002_x.up.sql': 'SELECT 1;\n',
      'migrations/000002_x.down.sql': 'DROP TABLE x;\n',
      'migrations/20240101_arango.ts': "import { aql } from 'arangojs';\nexport const up = (db) => db.query(aql`FOR u IN users RETURN u`);\n",
      'migrations/helper.js': 'module.exports = 1;\n',
      'db/migrations/20240101_t.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n',
      'src/main/resources/db/migration/V1__init.sql': 'SELECT 1;\n',
      'src/main/resources/db/migration/U1__init.sql': 'SELECT 1;\n',
      'src/main/resources/db/migration/R__views.sql': 'SELECT 1;\n',
      'deploy/users.sql': 'SELECT 1;\n',
      'revert/users.sql': 'SELECT 1;\n',
      'prisma/migrations/20240101000000_init/migration.sql': 'SELECT 1;\n',
      'db/migrate/20240101000000_create_x.rb': 'class CreateX < ActiveRecord::Migration[7.1]\n  def up\n    execute "SELECT 1"\n  end\nend\n',
      'src/app.ts': "import { aql } from 'arangojs';\n",
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    }
  });
  suiteTeardown(() => rmSync(dir, { recursive: true, force: true }));

  test('the conventional paths find every layout; the linter takes exactly the forward files', async () => {
    const targets = await resolveLintTargets(dir);
    const { files } = await collectLintFiles(dir, targets.patterns);
    const linter = createDefaultLinter();
    const linted = files.filter((f) => linter.languageFor(f, readFileSync(f, 'utf8'))).map((f) => path.relative(dir, f).split(path.sep).join('/'));
    assert.deepEqual(linted.sort(), [
      'db/migrate/20240101000000_create_x.rb',
      'db/migrations/20240101_t.sql',
      'deploy/users.sql',
      'migrations/000002_x.up.sql',
      'migrations/00001_users.sql',
      'migrations/20240101_arango.ts',
      'prisma/migrations/20240101000000_init/migration.sql',
      'src/main/resources/db/migration/R__views.sql',
      'src/main/resources/db/migration/V1__init.sql',
    ]);
  });
});
