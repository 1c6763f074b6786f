import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { downMigrationOf, reversibilityOf } from '../../../src/core/migrate/reversible';

suite('(unit) migrate: whether an applied migration has a down migration', () => {
  test('sibling down files: golang-migrate, node-db-migrate, yoyo, Flyway undo', () => {
    const files = ['001_a.up.sql', '001_a.down.sql', '002_b-up.sql', '002_b-down.sql', '003_c.sql', '003_c.rollback.sql', 'V4__d.sql', 'U4__d.sql', '005_e.up.sql', '006_f.sql'];
    assert.deepEqual(downMigrationOf('001_a.up.sql', 'create table a ();', files), { name: '001_a.up.sql', reversible: 'yes', down: '001_a.down.sql' });
    assert.equal(downMigrationOf('002_b-up.sql', 'x', files).down, '002_b-down.sql');
    assert.equal(downMigrationOf('003_c.sql', 'x', files).down, '003_c.rollback.sql');
    assert.equal(downMigrationOf('V4__d.sql', 'x', files).down, 'U4__d.sql');
    assert.equal(downMigrationOf('005_e.up.sql', 'x', files).reversible, 'no');
    assert.equal(downMigrationOf('006_f.sql', 'x', files).reversible, 'no');
  });

  test('down sections in the file itself (goose, dbmate, tern); an empty down section is not a down migration', () => {
    const goose = '-- +goose Up\ncreate table a ();\n-- +goose Down\ndrop table a;\n';
    assert.deepEqual(downMigrationOf('1.sql', goose, ['1.sql']), { name: '1.sql', reversible: 'yes', down: '1.sql (down section)' });
    assert.equal(downMigrationOf('2.sql', '-- migrate:up\ncreate table b ();\n-- migrate:down\ndrop table b;\n', []).reversible, 'yes');
    assert.equal(downMigrationOf('3.sql', 'create table c ();\n---- create above / drop below ----\ndrop table c;\n', []).reversible, 'yes');
    assert.equal(downMigrationOf('4.sql', '-- +goose Up\ncreate table d ();\n-- +goose Down\n-- nothing to undo\n\n', []).reversible, 'no');
  });

  test('a migration whose file is gone is unknown, not reversible', () => {
    assert.equal(downMigrationOf('gone.sql', undefined, []).reversible, 'unknown');
  });

  test('reads the migrations directory, and sqitch revert/ beside deploy/', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'gl-rev-'));
    try {
      const dir = path.join(root, 'deploy');
      await mkdir(dir);
      await mkdir(path.join(root, 'revert'));
      await writeFile(path.join(dir, 'users.sql'), 'create table users ();');
      await writeFile(path.join(root, 'revert', 'users.sql'), 'drop table users;');
      await writeFile(path.join(dir, 'orders.sql'), 'create table orders ();');
      const r = reversibilityOf(dir, ['users.sql', 'orders.sql', 'gone.sql']);
      assert.deepEqual(r.map((x) => [x.name, x.reversible]), [['users.sql', 'yes'], ['orders.sql', 'no'], ['gone.sql', 'unknown']]);
      assert.equal(r[0]!.down, '../revert/users.sql');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
