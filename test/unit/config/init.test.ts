import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectWorkspace, parseSshTarget, renderProjectFile, type InitAnswers } from '../../../src/core/config/init';
import { parseConfig } from '../../../src/core/config/load';
import type { GreenlightConfig } from '../../../src/core/config/schema';
import { Command } from 'commander';
import { registerInit } from '../../../src/cli/commands/init';
import { runCli } from '../../../src/cli/program';
import type { CliIo } from '../../../src/cli/io';

/** A fixture workspace: relative path → file text, written into a fresh temporary folder. */
function workspace(files: Record<string, string>, name = 'ws'): string {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'gl-init-')), name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Inspects the workspace, renders the file and loads it with the real loader. */
async function init(root: string, answers: InitAnswers = {}): Promise<{ text: string; config: GreenlightConfig }> {
  const text = renderProjectFile(await inspectWorkspace(root), answers);
  const r = parseConfig(text, path.join(root, 'greenlight.yaml'));
  assert.ok(r.ok, `the written file does not validate: ${JSON.stringify(!r.ok && r.problems)}\n${text}`);
  return { text, config: r.config };
}

const SSH = { ssh: { host: '198.18.77.2', user: 'deploy' } };
const roots: string[] = [];
const ws = (files: Record<string, string>, name?: string): string => {
  const r = workspace(files, name);
  roots.push(path.dirname(r));
  return r;
};

suite('(unit) config: greenlight init from workspace facts', () => {
  suiteTeardown(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  test('Node + Dockerfile EXPOSE 3000: project from package.json, port 3000, HEALTHCHECK path', async () => {
    const root = ws({
      'package.json': JSON.stringify({ name: '@acme/todo-app', scripts: { test: 'mocha' } }),
      Dockerfile: 'FROM node:22-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 3000/tcp\nHEALTHCHECK --interval=5s \\\n  CMD curl -fsS http://127.0.0.1:3000/api/health || exit 1\nCMD ["node", "server.js"]\n',
    });
    const { text, config } = await init(root);
    assert.equal(config.project, 'todo-app');
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.port, s.health.path]), [['web', '.', 3000, '/api/health']]);
    assert.equal(config.database, undefined, 'no database seen, none written');
    assert.deepEqual(config.environments, {});
    assert.match(text, /# From EXPOSE in Dockerfile\.\n\s+port: 3000/);
    assert.match(text, /# No environment yet/);
  });

  test('compose with a postgres service: the built service, its port, the database name and user', async () => {
    const root = ws({
      'package.json': JSON.stringify({ name: 'shop' }),
      'api/Dockerfile': 'FROM node:22\nEXPOSE 4000\n',
      'compose.yaml': [
        'services:',
        '  api:',
        '    build: { context: ./api }',
        '    ports: ["8080:4000"]',
        '    networks: [backend]',
        '    healthcheck: { test: ["CMD", "wget", "-qO-", "http://localhost:4000/ready"] }',
        '  db:',
        '    image: postgres:16-alpine',
        '    environment: { POSTGRES_DB: shopdb, POSTGRES_USER: shop, POSTGRES_PASSWORD: pw-s3cr3t }',
        '    networks: [backend]',
        'networks:',
        '  backend: {}',
        '',
      ].join('\n'),
      'migrations/001_init.sql': 'CREATE TABLE IF NOT EXISTS items (id int);\n',
    });
    const { text, config } = await init(root, SSH);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.port, s.health.path]), [['api', 'api', 4000, '/ready']]);
    assert.equal(config.database?.kind, 'postgres');
    assert.equal(config.database?.name, 'shopdb');
    assert.equal(config.database?.migrations, 'migrations');
    const prod = config.environments.production!;
    assert.deepEqual([prod.ssh.host, prod.ssh.user, prod.ssh.port], ['198.18.77.2', 'deploy', 22]);
    assert.deepEqual([prod.database?.name, prod.database?.user, prod.database?.passwordEnv], ['shopdb', 'shop', 'SHOP_DB_PASSWORD']);
    assert.match(text, /compose service "db" \(postgres:16-alpine\)/);
    assert.match(text, /on the networks backend/);
    assert.doesNotMatch(text, /s3cr3t/, 'the compose password never reaches the project file');
  });

  test('Rails: db/migrate + db/seeds.rb + db/seeds/, rails db:migrate, postgres from config/database.yml', async () => {
    const root = ws({
      Gemfile: "gem 'rails'\n",
      Dockerfile: 'FROM ruby:3.3\nEXPOSE 3000\n',
      'config/database.yml': 'production:\n  adapter: postgresql\n',
      'db/migrate/20240101000000_create_users.rb': 'class CreateUsers < ActiveRecord::Migration[7.1]; end\n',
      'db/seeds.rb': "User.find_or_create_by!(email: 'a@b.c')\n",
      'db/seeds/countries.rb': '',
    }, 'blog');
    const { config } = await init(root);
    assert.equal(config.project, 'blog');
    assert.equal(config.database?.kind, 'postgres');
    assert.equal(config.database?.migrations, 'db/migrate');
    assert.deepEqual(config.database?.seeds, ['db/seeds.rb', 'db/seeds']);
    assert.deepEqual(config.database?.migrateCommand, ['bin/rails', 'db:migrate']);
  });

  test('Django: every app migrations folder seen, manage.py migrate, postgres from settings.py', async () => {
    const root = ws({
      'manage.py': '',
      'Dockerfile': 'FROM python:3.12\nEXPOSE 8000\n',
      'mysite/settings.py': "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
      'blog/migrations/0001_initial.py': 'from django.db import migrations\n',
      'blog/migrations/0002_post.py': '',
      'shop/migrations/0001_initial.py': '',
      'blog/migrations/__init__.py': '',
    }, 'mysite');
    const { text, config } = await init(root);
    assert.equal(config.database?.kind, 'postgres');
    assert.equal(config.database?.migrations, 'blog/migrations');
    assert.deepEqual(config.database?.migrateCommand, ['python', 'manage.py', 'migrate', '--noinput']);
    assert.equal(config.services[0]?.port, 8000);
    assert.match(text, /Django migrations in blog\/migrations, shop\/migrations/);
    // The other apps' folders are linted through the project file's own lint block, not a local setting.
    assert.deepEqual(config.lint?.paths, ['shop/migrations']);
    assert.match(text, /# Lint settings shared by `greenlight lint` and the editor/);
  });

  test('Django with one app: no lint block is written', async () => {
    const { config } = await init(ws({ 'manage.py': '', 'blog/migrations/0001_initial.py': '' }));
    assert.equal(config.database?.migrations, 'blog/migrations');
    assert.equal(config.lint, undefined);
  });

  test('a compose file in a subfolder (docker/): its build context and Dockerfile resolved from that folder, its port and database', async () => {
    // The layout of healthchecks/healthchecks: docker/docker-compose.yml builds the repository root
    // with docker/Dockerfile, publishes 8000 and runs postgres with POSTGRES_DB=$DB_NAME.
    const root = ws({
      'manage.py': '',
      'hc/settings.py': "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
      'hc/api/migrations/0001_initial.py': '',
      'docker/Dockerfile': 'FROM python:3.12\nCOPY . /opt/app/\nCMD ["uwsgi"]\n',
      'docker/docker-compose.yml': [
        'services:',
        '  db:',
        '    image: postgres:16',
        '    environment:',
        '      - POSTGRES_DB=$DB_NAME',
        '      - POSTGRES_USER=${DB_USER:-hc}',
        '  web:',
        '    build:',
        '      context: ..',
        '      dockerfile: docker/Dockerfile',
        '    ports:',
        '      - "8000:8000"',
        '',
      ].join('\n'),
    }, 'healthchecks');
    const { text, config } = await init(root, SSH);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.dockerfile, s.port]), [['web', '.', 'docker/Dockerfile', 8000]]);
    assert.match(text, /# From docker\/docker-compose\.yml \(services\.web\.ports\)\.\n\s+port: 8000/);
    assert.match(text, /compose service "db" \(postgres:16\)/);
    // $DB_NAME is only known to the user's environment: not written as a name; ${DB_USER:-hc} is its default.
    assert.equal(config.database?.name, 'hc');
    assert.doesNotMatch(text, /DB_NAME/);
    assert.equal(config.environments.production?.database?.user, 'hc');
  });

  test('a compose build context outside the workspace is not planned as a service; the Dockerfiles are', async () => {
    const root = ws({
      Dockerfile: 'FROM scratch\nEXPOSE 7000\n',
      'compose.yaml': 'services:\n  other:\n    build: ../elsewhere\n',
    });
    const { config } = await init(root);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.port]), [['web', '.', 7000]]);
  });

  test('a compose service built FROM postgres (an extension added) is the database, not an app; a Prisma schema in a monorepo package is found', async () => {
    // The layout of triggerdotdev/trigger.dev: docker/docker-compose.yml builds its database from
    // docker/Dockerfile.postgres (FROM postgres:14), the Prisma migrations live in
    // internal-packages/database/prisma/migrations.
    const root = ws({
      'package.json': JSON.stringify({ name: 'monorepo' }),
      'docker/Dockerfile.postgres': 'FROM postgres:14\nRUN apt-get update\n',
      'docker/Dockerfile': 'FROM node:20 AS base\nFROM base AS build\nRUN npm ci\nFROM build\nEXPOSE 3030\n',
      'docker/docker-compose.yml': 'services:\n  database:\n    build:\n      context: .\n      dockerfile: Dockerfile.postgres\n    environment:\n      POSTGRES_USER: postgres\n  app:\n    build:\n      context: .\n    ports: ["3030:3030"]\n',
      'internal-packages/database/prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n',
      'internal-packages/database/prisma/migrations/20230101000000_init/migration.sql': 'CREATE TABLE "User" (id text);\n',
      'internal-packages/database/prisma/migrations/20230102000000_more/migration.sql': 'ALTER TABLE "User" ADD COLUMN name text;\n',
    });
    const { text, config } = await init(root, SSH);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.port]), [['app', 'docker', 3030]]);
    assert.equal(config.database?.kind, 'postgres');
    assert.match(text, /compose service "database" \(built FROM postgres:14\)/);
    assert.equal(config.database?.migrations, 'internal-packages/database/prisma/migrations');
    assert.deepEqual(config.database?.migrateCommand, ['npx', 'prisma', 'migrate', 'deploy']);
    assert.match(text, /also runs database \(built FROM postgres:14\)/);
  });

  test('Dockerfile FROM: the final stage, an earlier stage followed to its image, --platform skipped', async () => {
    const { dockerfileFacts } = await import('../../../src/core/config/init');
    assert.equal(dockerfileFacts('Dockerfile', 'FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nRUN go build\nFROM gcr.io/distroless/static\n').baseImage, 'gcr.io/distroless/static');
    assert.equal(dockerfileFacts('Dockerfile', 'FROM postgres:16 AS db\nFROM db\n').baseImage, 'postgres:16');
    assert.equal(dockerfileFacts('Dockerfile', 'EXPOSE 80\n').baseImage, undefined);
    // Without compose, a Dockerfile built FROM a database image is not planned as a service.
    const { config } = await init(ws({ Dockerfile: 'FROM node:20\nEXPOSE 3000\n', 'db/Dockerfile': 'FROM postgis/postgis:16-3.4\n' }));
    assert.deepEqual(config.services.map((s) => s.name), ['web']);
  });

  test('tests, fixtures and examples are not read: a test compose file, test SQL and a test Dockerfile are passed over', async () => {
    // vaultwarden keeps a compose file for its end-to-end tests in playwright/; roundcube keeps SQL in tests/.
    const root = ws({
      'Cargo.toml': '[package]\nname = "svc"\n',
      Dockerfile: 'FROM rust:1\nEXPOSE 8000\n',
      'playwright/docker-compose.yml': 'services:\n  e2e:\n    build:\n      context: ..\n    ports: ["9999:9999"]\n',
      'tests/src/sql/schema.sql': 'CREATE TABLE t (id int);\n',
      'examples/demo/Dockerfile': 'FROM busybox\nEXPOSE 1234\n',
    });
    const { config, text } = await init(root);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.port]), [['web', '.', 8000]]);
    assert.equal(config.database, undefined);
    assert.doesNotMatch(text, /playwright|tests\/src|examples/);
  });

  test('diesel: migrations/<version>/up.sql, PostgreSQL\'s folder of several backends, diesel migration run', async () => {
    const root = ws({
      'Cargo.toml': '[package]\nname = "warden"\n',
      'migrations/mysql/2018-01-01-000000_init/up.sql': 'CREATE TABLE a (id int);\n',
      'migrations/postgresql/2018-01-01-000000_init/up.sql': 'CREATE TABLE a (id int);\n',
      'migrations/postgresql/2018-01-01-000000_init/down.sql': 'DROP TABLE a;\n',
      'migrations/postgresql/2019-01-01-000000_more/up.sql': 'ALTER TABLE a ADD COLUMN b int;\n',
    });
    const { config, text } = await init(root);
    assert.equal(config.database?.migrations, 'migrations/postgresql');
    assert.deepEqual(config.database?.migrateCommand, ['diesel', 'migration', 'run', '--migration-dir', 'migrations/postgresql']);
    assert.match(text, /2 diesel migration\(s\) in migrations\/postgresql/);
    assert.match(text, /More diesel folders: migrations\/mysql/);
  });

  test('Dockerfiles in docker/ or .docker/ build the repository root, and several there are variants of one image; templates are not Dockerfiles', async () => {
    const root = ws({
      '.docker/Dockerfile-alpine': 'FROM alpine\nEXPOSE 4433\n',
      '.docker/Dockerfile-distroless': 'FROM gcr.io/distroless/static\nEXPOSE 4433\n',
      'docker/Dockerfile.j2': 'FROM {{ base }}\n',
    });
    const { config, text } = await init(root);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.dockerfile, s.port]), [['web', '.', '.docker/Dockerfile-alpine', 4433]]);
    assert.match(text, /# Also in \.docker: Dockerfile-distroless — taken as variants of this image/);
    // Two application folders with a Dockerfile each keep a service each, named by folder.
    const two = await init(ws({ 'api/Dockerfile': 'FROM node:20\nEXPOSE 3000\n', 'worker/Dockerfile': 'FROM node:20\n', 'api/Dockerfile.dev': 'FROM node:20\n' }));
    // api/Dockerfile.dev is a development image: not planned while another Dockerfile remains.
    assert.deepEqual(two.config.services.map((s) => [s.name, s.context, s.dockerfile]), [['api', 'api', 'Dockerfile'], ['worker', 'worker', 'Dockerfile']]);
    const names = await init(ws({ 'api/Dockerfile': 'FROM node:20\n', 'api/Dockerfile.worker': 'FROM node:20\n' }));
    assert.deepEqual(names.config.services.map((s) => [s.name, s.dockerfile]), [['api', 'Dockerfile'], ['api-worker', 'Dockerfile.worker']]);
  });

  test('compose build.target is carried over: several services built from stages of one Dockerfile', async () => {
    const { config } = await init(ws({
      'prod.Dockerfile': 'FROM node:20 AS backend\nEXPOSE 80\nFROM node:20 AS app\nEXPOSE 80\n',
      'compose.yaml': 'services:\n  api:\n    build:\n      dockerfile: prod.Dockerfile\n      target: backend\n    ports: ["3180:80"]\n  web:\n    build:\n      dockerfile: prod.Dockerfile\n      target: app\n    ports: ["3080:80"]\n  odd:\n    build:\n      dockerfile: prod.Dockerfile\n      target: "--no-cache"\n',
    }));
    assert.deepEqual(config.services.map((s) => [s.name, s.dockerfile, s.target]), [['api', 'prod.Dockerfile', 'backend'], ['web', 'prod.Dockerfile', 'app'], ['odd', 'prod.Dockerfile', undefined]]);
  });

  test('a monorepo app Dockerfile that copies from the repository root is built from the root; development Dockerfiles are passed over', async () => {
    const { config, text } = await init(ws({
      'package.json': JSON.stringify({ name: 'mono', workspaces: ['apps/*', 'packages/*'] }),
      'pnpm-lock.yaml': '',
      'apps/web/package.json': '{}',
      'apps/web/Dockerfile': 'FROM node:20 AS base\nCOPY pnpm-lock.yaml ./\nCOPY apps/web/package.json apps/web/\nCOPY . .\nEXPOSE 3000\n',
      'apps/web/Dockerfile.dev': 'FROM node:20\nEXPOSE 3000\n',
      'packages/db/migration/20230101_init/migration.sql': 'CREATE TABLE t (id int);\n',
      'packages/db/migration/migration_lock.toml': 'provider = "postgresql"\n',
    }));
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.dockerfile, s.port]), [['web', '.', 'apps/web/Dockerfile', 3000]]);
    assert.equal(config.database?.migrations, 'packages/db/migration');
    assert.deepEqual(config.database?.migrateCommand, ['npx', 'prisma', 'migrate', 'deploy']);
    assert.doesNotMatch(text, /Dockerfile\.dev/);
  });

  test('variants under a holder folder: the one named production (or default) is the image', async () => {
    const { config, text } = await init(ws({
      'manage.py': '',
      'extras/docker/base/Dockerfile': 'FROM debian\n',
      'extras/docker/development/Dockerfile': 'FROM base\nEXPOSE 8000\n',
      'extras/docker/production/Dockerfile': 'FROM base\nEXPOSE 8000\n',
    }));
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.dockerfile]), [['web', '.', 'extras/docker/production/Dockerfile']]);
    assert.match(text, /# Also in extras\/docker: base\/Dockerfile — taken as variants/);
    const linkding = await init(ws({ 'docker/alpine.Dockerfile': 'FROM python:3-alpine\nEXPOSE 9090\n', 'docker/default.Dockerfile': 'FROM python:3\nEXPOSE 9090\n' }));
    assert.equal(linkding.config.services[0]?.dockerfile, 'docker/default.Dockerfile');
  });

  test('no migrations folder: the default folder is written and marked guessed', async () => {
    const { text, config } = await init(ws({ Dockerfile: 'FROM alpine\nEXPOSE 9000\n', 'docker-compose.yml': 'services:\n  db:\n    image: postgres:17-alpine\n' }));
    assert.equal(config.database?.migrations, 'migrations');
    assert.match(text, /# Guessed: no migrations folder found/);
  });

  test('EXPOSE through a variable: ${PORT:-3333}, or $PORT after ARG/ENV gives it a default', async () => {
    const { dockerfileFacts } = await import('../../../src/core/config/init');
    assert.deepEqual(dockerfileFacts('Dockerfile', 'FROM node:22\nEXPOSE ${PORT:-3333}\n').ports, [3333]);
    assert.deepEqual(dockerfileFacts('Dockerfile', 'FROM scratch\nARG PORT=8080\nEXPOSE ${PORT}\n').ports, [8080]);
    assert.deepEqual(dockerfileFacts('Dockerfile', 'FROM scratch\nENV APP_PORT 9000\nEXPOSE $APP_PORT/tcp\n').ports, [9000]);
    assert.deepEqual(dockerfileFacts('Dockerfile', 'FROM scratch\nEXPOSE ${PORT}\n').ports, [], 'a variable nothing gives a value is no port');
  });

  test('a compose build context of ../ from docker/ is the root, written ".", and its Dockerfile path normalised', async () => {
    const { config } = await init(ws({ 'docker/Dockerfile': 'FROM python:3\n', 'docker/docker-compose.yml': 'services:\n  app:\n    build:\n      context: ../\n      dockerfile: ./docker/Dockerfile\n    ports: ["9091:9000"]\n' }));
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.dockerfile, s.port]), [['app', '.', 'docker/Dockerfile', 9000]]);
  });

  test('one migration folder per database engine: PostgreSQL\'s is taken', async () => {
    const { config } = await init(ws({
      'internal/database/migrations/mysql/0001_init.up.sql': 'CREATE TABLE a (id int);',
      'internal/database/migrations/postgres/0001_init.up.sql': 'CREATE TABLE a (id int);',
      'internal/database/migrations/sqlite/0001_init.up.sql': 'CREATE TABLE a (id int);',
    }));
    assert.equal(config.database?.migrations, 'internal/database/migrations/postgres');
  });

  test('compose values: $$ is a dollar, ${VAR:-default} its default, other references unknown', async () => {
    const { composeLiteral } = await import('../../../src/core/config/init');
    assert.equal(composeLiteral('plain'), 'plain');
    assert.equal(composeLiteral('pa$$word'), 'pa$word');
    assert.equal(composeLiteral('${NAME:-app}'), 'app');
    assert.equal(composeLiteral('${NAME-app}'), 'app');
    assert.equal(composeLiteral('$NAME'), undefined);
    assert.equal(composeLiteral('${NAME}'), undefined);
    assert.equal(composeLiteral('x_${NAME:-a}'), undefined);
  });

  test('goose: -- +goose Up files, goose in the image with GOOSE_DRIVER and GOOSE_DBSTRING', async () => {
    const root = ws({
      'go.mod': 'module example.com/svc\n',
      Dockerfile: 'FROM golang:1.23\nEXPOSE 8081\n',
      'db/migrations/20240101_init.sql': '-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n',
    });
    const { config } = await init(root);
    assert.equal(config.database?.migrations, 'db/migrations');
    assert.deepEqual(config.database?.migrateCommand, ['goose', '-dir', 'db/migrations', 'up']);
    assert.equal(config.services[0]?.databaseUrlEnv, 'GOOSE_DBSTRING');
    assert.deepEqual(config.services[0]?.env, { GOOSE_DRIVER: 'postgres' });
  });

  test('dbmate, golang-migrate, sqitch and Prisma layouts each get their tool', async () => {
    const dbmate = await init(ws({ 'db/migrations/20240101_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n' }));
    assert.deepEqual(dbmate.config.database?.migrateCommand, ['dbmate', '--migrations-dir', 'db/migrations', '--no-dump-schema', 'up']);
    const gm = await init(ws({ 'migrations/1_a.up.sql': 'CREATE TABLE a (id int);', 'migrations/1_a.down.sql': 'DROP TABLE a;' }));
    assert.deepEqual(gm.config.database?.migrateCommand, ['sh', '-c', 'exec migrate -path "$0" -database "$DATABASE_URL" up', 'migrations']);
    const sq = await init(ws({ 'sqitch.plan': '%project=x\n', 'deploy/a.sql': 'BEGIN;', 'revert/a.sql': 'BEGIN;' }));
    assert.equal(sq.config.database?.migrations, 'deploy');
    assert.deepEqual(sq.config.database?.migrateCommand, ['sqitch', 'deploy']);
    const prisma = await init(ws({ 'prisma/schema.prisma': 'datasource db {\n  provider = "postgresql"\n}\n', 'prisma/migrations/20240101_init/migration.sql': 'CREATE TABLE a (id int);' }));
    assert.equal(prisma.config.database?.migrations, 'prisma/migrations');
    assert.deepEqual(prisma.config.database?.migrateCommand, ['npx', 'prisma', 'migrate', 'deploy']);
  });

  test('Flyway: V<n>__ files run by the built-in runner; unpadded versions are flagged', async () => {
    const padded = await init(ws({ 'src/main/resources/db/migration/V001__init.sql': 'CREATE TABLE a (id int);', 'src/main/resources/db/migration/V002__b.sql': 'SELECT 1;' }));
    assert.equal(padded.config.database?.migrations, 'src/main/resources/db/migration');
    assert.equal(padded.config.database?.migrateCommand, undefined);
    assert.doesNotMatch(padded.text, /WARNING/);
    const unpadded = await init(ws({ 'sql/V1__init.sql': 'SELECT 1;', 'sql/V2__b.sql': 'SELECT 1;', 'sql/V10__c.sql': 'SELECT 1;' }));
    assert.equal(unpadded.config.database?.migrations, 'sql');
    assert.match(unpadded.text, /WARNING: their versions are not zero-padded/);
  });

  test('ArangoDB: .aql and JSON operation migrations make an arangodb database; compose arangodb too', async () => {
    const aql = await init(ws({ 'migrations/001_users.json': '{ "op": "createCollection", "name": "users" }', 'migrations/002_seed.aql': 'FOR u IN users RETURN u' }));
    assert.equal(aql.config.database?.kind, 'arangodb');
    assert.equal(aql.config.database?.migrations, 'migrations');
    const compose = await init(ws({ 'docker-compose.yml': 'services:\n  app:\n    build: .\n    expose: ["5000"]\n  arango:\n    image: arangodb:3.12\n', Dockerfile: 'FROM scratch\n' }), SSH);
    assert.equal(compose.config.database?.kind, 'arangodb');
    assert.equal(compose.config.services[0]?.port, 5000);
    assert.equal(compose.config.environments.production?.database?.port, 8529);
  });

  test('the git remote names the project when there is no package.json, without its credentials', async () => {
    const root = ws({ Dockerfile: 'FROM scratch\n' }, 'checkout');
    execFileSync('git', ['init', '-q', root]);
    execFileSync('git', ['-C', root, 'remote', 'add', 'origin', 'https://user:tok3n@git.example.invalid/acme/Billing_Service.git']);
    const { text, config } = await init(root);
    assert.equal(config.project, 'billing_service');
    assert.match(text, /# Source: https:\/\/git\.example\.invalid\/acme\/Billing_Service\.git/);
    assert.doesNotMatch(text, /tok3n/);
    assert.match(text, /Guessed: no EXPOSE/);
    assert.equal(config.services[0]?.port, 8080);
  });

  test('an empty folder still gives a valid file that says what to add', async () => {
    const { text, config } = await init(ws({}, 'Empty Folder'));
    assert.equal(config.project, 'empty-folder');
    assert.deepEqual(config.services, []);
    assert.match(text, /No Dockerfile found/);
  });

  test('Dockerfiles that build .deb or .rpm packages are not services; the image Dockerfile beside them is; the database from go.mod\'s driver', async () => {
    const root = ws({
      'go.mod': 'module example.com/reader\n\ngo 1.23\n\nrequire (\n\tgithub.com/lib/pq v1.12.3\n\tgolang.org/x/net v0.30.0\n)\n',
      'packaging/debian/Dockerfile': 'FROM golang:1 AS build\nRUN apt-get update && apt-get install -y build-essential devscripts dh-make debhelper\nADD . /src\nCMD ["/src/packaging/debian/build.sh"]\n',
      'packaging/rpm/Dockerfile': 'FROM golang:1 AS build\nRUN make app\nFROM rockylinux:9\nRUN dnf install -y rpm-build systemd-rpm-macros\n',
      'packaging/docker/alpine/Dockerfile': 'FROM golang:alpine AS build\nADD . /go/src/app\nRUN make app\nFROM alpine:3\nEXPOSE 8080\nCOPY --from=build /go/src/app/app /usr/bin/app\nCMD ["/usr/bin/app"]\n',
      'packaging/docker/distroless/Dockerfile': 'FROM golang AS build\nADD . /go/src/app\nFROM gcr.io/distroless/base\nEXPOSE 8080\n',
    });
    const { text, config } = await init(root, SSH);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.dockerfile, s.port]), [['web', '.', 'packaging/docker/alpine/Dockerfile', 8080]]);
    assert.equal(config.database?.kind, 'postgres');
    assert.match(text, /Database: postgres, from a PostgreSQL driver in go\.mod\./);
    assert.match(text, /Also in packaging\/docker: distroless\/Dockerfile — taken as variants of this image/);
  });

  test('a compose file that mounts the source over what it builds is a development setup: the root Dockerfile ships, Dockerfile.alpine is its variant, e2e is not a service', async () => {
    const root = ws({
      'docker-compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile.compose\n    ports: ["8080:8080"]\n    volumes:\n      - "./dev-data:/srv/app"\n      - ".:/src/app"\n      - "go-mod-cache:/go/pkg/mod"\n  postgres:\n    image: postgres:13\n    environment:\n      POSTGRES_USER: app\nvolumes:\n  go-mod-cache:\n',
      'Dockerfile.compose': 'FROM golang:1.23\nWORKDIR /src/app\nCMD ["go", "run", "."]\n',
      Dockerfile: 'FROM alpine AS builder\nCOPY dist/app /usr/bin/app\nFROM scratch\nENV PORT=8080\nCOPY --from=builder /usr/bin/app /usr/bin/app\nEXPOSE ${PORT}\nENTRYPOINT ["/usr/bin/app"]\n',
      'Dockerfile.alpine': 'FROM alpine\nCOPY dist/app /usr/bin/app\nEXPOSE 8080\n',
      'Dockerfile.e2e': 'FROM golang:1.23\nRUN go test ./e2e/...\n',
    });
    const { text, config } = await init(root, SSH);
    assert.deepEqual(config.services.map((s) => [s.name, s.context, s.dockerfile ?? 'Dockerfile', s.port]), [['web', '.', 'Dockerfile', 8080]]);
    assert.equal(config.database?.kind, 'postgres', 'the compose file still names the database');
    assert.match(text, /from the Dockerfiles: docker-compose\.yaml mounts the source over what it builds/);
    assert.match(text, /Also in the repository root: Dockerfile\.alpine — taken as variants of this image/);
    // A compose file whose built service does not mount its source stays the plan.
    const prod = ws({ 'docker-compose.yml': 'services:\n  api:\n    build: .\n    ports: ["3000:3000"]\n    volumes: ["./uploads:/app/uploads"]\n', Dockerfile: 'FROM node:22\nEXPOSE 3000\n' });
    assert.deepEqual((await init(prod, SSH)).config.services.map((s) => s.name), ['api']);
  });

  test('not package builders or variants: a php-fpm image, and Dockerfile.static beside Dockerfile (another image)', async () => {
    const root = ws({
      Dockerfile: 'FROM php:8.3-fpm\nRUN apt-get install -y php8.3-fpm && ln -s /usr/sbin/php-fpm8.3 /usr/local/bin/fpm\nEXPOSE 9000\nCMD ["php-fpm"]\n',
      'Dockerfile.static': 'FROM nginx:1.27\nCOPY public /usr/share/nginx/html\nEXPOSE 80\n',
      'packaging/Dockerfile': 'FROM debian:12\nRUN apt-get install -y devscripts debhelper\n',
    }, 'shop');
    const { config } = await init(root, SSH);
    assert.deepEqual(config.services.map((s) => [s.name, s.dockerfile ?? 'Dockerfile', s.port]), [['shop', 'Dockerfile', 9000], ['static', 'Dockerfile.static', 80]]);
  });

  test('the database from a dependency manifest when nothing else names it: PostgreSQL drivers first, else ArangoDB', async () => {
    const kindOf = async (files: Record<string, string>): Promise<string | undefined> => (await inspectWorkspace(ws(files))).database?.kind;
    assert.equal(await kindOf({ 'requirements.txt': 'fastapi==0.110\npsycopg[binary]==3.1.18\n' }), 'postgres');
    assert.equal(await kindOf({ 'package.json': JSON.stringify({ name: 'a', dependencies: { express: '^4', pg: '^8' } }) }), 'postgres');
    assert.equal(await kindOf({ Gemfile: "source 'https://rubygems.org'\ngem 'rails'\ngem 'pg', '~> 1.5'\n" }), 'postgres');
    assert.equal(await kindOf({ 'Cargo.toml': '[dependencies]\nsqlx = { version = "0.8", features = ["runtime-tokio", "postgres"] }\n' }), 'postgres');
    assert.equal(await kindOf({ 'package.json': JSON.stringify({ name: 'a', dependencies: { arangojs: '^9' } }) }), 'arangodb');
    assert.equal(await kindOf({ 'package.json': JSON.stringify({ name: 'a', dependencies: { mysql2: '^3', pgp: '^1' } }) }), undefined, 'no driver of a database Greenlight serves');
    assert.equal(await kindOf({ 'requirements.txt': 'psycopg-pool-helpers==1\n' }), undefined, 'a name that only starts like a driver');
  });

  test('SSH targets: user@host and user@host:port; anything else is refused with the text', () => {
    assert.deepEqual(parseSshTarget('deploy@198.18.77.2'), { user: 'deploy', host: '198.18.77.2', port: undefined });
    assert.deepEqual(parseSshTarget('ops@app.example.com:2222'), { user: 'ops', host: 'app.example.com', port: 2222 });
    assert.throws(() => parseSshTarget('app.example.com'), /SSH target "app.example.com": expected user@host/);
    assert.throws(() => parseSshTarget('a@b;rm -rf /'), /expected user@host/);
    assert.throws(() => parseSshTarget('a@b:70000'), /port 70000/);
  });

  test('CLI: greenlight init --ssh writes the file, refuses to overwrite it, and config check accepts it', async () => {
    const root = ws({ 'package.json': JSON.stringify({ name: 'todo-app' }), Dockerfile: 'FROM node:22\nEXPOSE 3000\n' });
    const out: string[] = [];
    const err: string[] = [];
    let code = 0;
    const io: CliIo = { cwd: root, env: {}, out: (t) => out.push(t), err: (t) => err.push(t), exit: (c) => (code = Math.max(code, c)) };
    assert.equal(await runCli(['init', '--ssh', 'deploy@198.18.77.2:2222', '--env', 'staging'], io), 0, err.join('\n'));
    assert.match(out.join('\n'), /wrote greenlight\.yaml from package\.json "todo-app", 1 Dockerfile/);
    const r = parseConfig(readFileSync(path.join(root, 'greenlight.yaml'), 'utf8'), path.join(root, 'greenlight.yaml'));
    assert.ok(r.ok);
    assert.equal(r.config.environments.staging?.ssh.port, 2222);
    assert.equal(await runCli(['init'], io), 2);
    assert.match(err.join('\n'), /greenlight\.yaml already exists; --force overwrites it/);
    out.length = 0;
    assert.equal(await runCli(['config', 'check'], { ...io, exit: () => undefined }), 0);
    assert.match(out.join('\n'), /ok — project "todo-app"/);
  });

  test('CLI on a terminal: the SSH target is asked, a malformed answer asked again; --print writes nothing', async () => {
    const root = ws({ Dockerfile: 'FROM scratch\nEXPOSE 9000\n' }, 'prompted');
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { cwd: root, env: {}, out: (t) => out.push(t), err: (t) => err.push(t), exit: () => undefined };
    const questions: string[] = [];
    const answers = ['not a target', 'deploy@198.18.77.2'];
    const program = new Command().exitOverride();
    registerInit(program, io, async (q) => {
      questions.push(q);
      return answers.shift() ?? '';
    });
    await program.parseAsync(['init', '--env', 'live'], { from: 'user' });
    assert.deepEqual(questions, ['SSH target of "live" (user@host, empty to add one later): ', 'SSH target of "live" (user@host, empty to add one later): ']);
    assert.match(err.join('\n'), /SSH target "not a target": expected user@host/);
    const r = parseConfig(readFileSync(path.join(root, 'greenlight.yaml'), 'utf8'), path.join(root, 'greenlight.yaml'));
    assert.ok(r.ok);
    assert.equal(r.config.environments.live?.ssh.user, 'deploy');
    assert.equal(r.config.services[0]?.port, 9000);

    const other = ws({ Dockerfile: 'FROM scratch\n' }, 'printed');
    const printed: string[] = [];
    const p2 = new Command().exitOverride();
    registerInit(p2, { ...io, cwd: other, out: (t) => printed.push(t) }, async () => assert.fail('--print asks nothing'));
    await p2.parseAsync(['init', '--print'], { from: 'user' });
    assert.match(printed.join('\n'), /^project: printed$/m);
    assert.throws(() => readFileSync(path.join(other, 'greenlight.yaml')), /ENOENT/);
  });
});
