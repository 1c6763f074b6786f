import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Secret } from '../../../src/core/common/secret';
import { configSchema } from '../../../src/core/config/schema';
import { createDefaultLinter } from '../../../src/core/lint/defaultLinter';
import { appMigrateCommand } from '../../../src/core/migrate/appManaged';
import { chooseSeedFile, decideSeeds, resolveSeedFiles } from '../../../src/core/migrate/seeds';

suite('(unit) migrate seeds policy and app-managed migrations', () => {
  let root: string;
  setup(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gl-seeds-'));
  });
  teardown(() => rm(root, { recursive: true, force: true }));

  test('environment-specific seed files win: db/seeds/<env>_seeds > db/<env>_seeds > db/seeds', async () => {
    const db = path.join(root, 'db');
    await mkdir(path.join(db, 'seeds'), { recursive: true });
    await writeFile(path.join(db, 'seeds.rb'), '');
    assert.equal(chooseSeedFile(db, 'production', 'ruby'), path.join(db, 'seeds.rb'));
    await writeFile(path.join(db, 'production_seeds.rb'), '');
    assert.equal(chooseSeedFile(db, 'production', 'ruby'), path.join(db, 'production_seeds.rb'));
    await writeFile(path.join(db, 'seeds', 'production_seeds.rb'), '');
    assert.equal(chooseSeedFile(db, 'production', 'ruby'), path.join(db, 'seeds', 'production_seeds.rb'));
    assert.equal(chooseSeedFile(db, 'staging', 'ruby'), path.join(db, 'seeds.rb'));
    assert.equal(chooseSeedFile(db, 'production', 'sql'), undefined);
  });

  test('new database: seeds run; existing: only files the linter finds idempotent, else the manual command', async () => {
    const dir = path.join(root, 'seeds');
    await mkdir(dir);
    await writeFile(path.join(dir, '001_safe.sql'), "INSERT INTO items (name, sku) VALUES ('tea', 'tea') ON CONFLICT (sku) DO NOTHING;\n");
    await writeFile(path.join(dir, '002_unsafe.sql'), "INSERT INTO items (name) VALUES ('tea');\n");
    const files = resolveSeedFiles(root, ['seeds'], undefined);
    assert.deepEqual(files.map((f) => path.basename(f)), ['001_safe.sql', '002_unsafe.sql']);
    const linter = createDefaultLinter();
    const fresh = await decideSeeds(files, { newDatabase: true, linter, root });
    assert.deepEqual(fresh.map((d) => d.run), [true, true]);
    const existing = await decideSeeds(files, { newDatabase: false, linter, root });
    assert.deepEqual(existing.map((d) => d.run), [true, false]);
    assert.match(existing[1]!.reason, /existing database and \d+ idempotency finding/);
    assert.equal(existing[1]!.manualCommand, 'psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -1 -f seeds/002_unsafe.sql');
    assert.match(existing[1]!.findings![0]!, /^seeds\/002_unsafe\.sql:1:1: /);
  });

  test('app-managed migrations: the configured argv in a one-off container, database URL as a secret', () => {
    const config = configSchema.parse({
      project: 'shop',
      services: [{ name: 'web', port: 3000, env: { RAILS_ENV: 'production' }, secretEnv: ['SECRET_KEY_BASE'] }],
      database: { kind: 'postgres', migrateCommand: ['bin/rails', 'db:migrate'] },
    });
    const cmd = appMigrateCommand(config, { image: 'web:v1-20250120T000000', databaseUrl: new Secret('postgres://app:pw@db/app'), secretValues: { SECRET_KEY_BASE: new Secret('s3cret') }, suffix: 'x1' })!;
    assert.deepEqual(cmd.argv, ['bin/rails', 'db:migrate']);
    assert.deepEqual(cmd.env, { RAILS_ENV: 'production' });
    assert.equal(cmd.secretEnv.DATABASE_URL!.reveal(), 'postgres://app:pw@db/app');
    assert.equal(cmd.name, 'shop-web-migrate-x1');
    assert.equal(cmd.describe(), 'docker run --rm --name shop-web-migrate-x1 -e RAILS_ENV -e DATABASE_URL -e SECRET_KEY_BASE web:v1-20250120T000000 bin/rails db:migrate');
    assert.equal(JSON.stringify(cmd).includes('pw'), false, 'secrets never serialize');
    assert.throws(() => appMigrateCommand(config, { image: 'x', databaseUrl: new Secret('u') }), /secret SECRET_KEY_BASE \(services\.web\.secretEnv\) has no value/);
    const builtin = configSchema.parse({ project: 'shop', database: { kind: 'postgres' } });
    assert.equal(appMigrateCommand(builtin, { image: 'x', databaseUrl: new Secret('u') }), undefined);
  });
});
