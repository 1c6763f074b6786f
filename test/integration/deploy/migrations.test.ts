import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listBackups, restoreBackup } from '../../../src/core/backup/backups';
import { Secret } from '../../../src/core/common/secret';
import type { GreenlightConfig } from '../../../src/core/config/schema';
import { tailAudit } from '../../../src/core/deploy/audit';
import { deploy, type DeployRequest } from '../../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../../src/core/deploy/environment';
import { probe } from '../../../src/core/deploy/health';
import { LABEL } from '../../../src/core/deploy/plan';
import { openLedger, type TestedImageLedger } from '../../../src/core/images/ledger';
import { localDocker } from '../../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../../src/core/images/docker';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage } from './appImages';
import { DB_PASSWORD, bed, bedConfig, connect, recordingContext, type Bed } from './bed';

// Backups only when needed (seed 002) and Greenlight's own migration runner as the deploy's
// "migrate" release task, against the production host's real PostgreSQL. The suite uses a
// database of its own on that server, so the ledger starts empty on every run.
const PORT = 18130;

suite('(integration) deploy: pending migrations decide the pre-deploy backup; the built-in runner migrates production', function () {
  this.timeout(240000);
  let b: Bed;
  let host: RemoteHost;
  let local: DockerEngine;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  const db = `glit_mig_${randomBytes(4).toString('hex')}`;
  const ids: Record<string, string> = {};

  const psql = async (sql: string, database = db): Promise<string> =>
    (await host.run(['psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'app', '-d', database, '-c', sql])).trim();

  const migration = (name: string, sql: string): void => writeFileSync(path.join(workspace, 'migrations', name), sql);

  const request = (v: string, over: Partial<DeployRequest> = {}, cfg = config): DeployRequest => ({
    config: cfg,
    environment: resolveEnvironment(cfg, workspace, 'production', new Secret(DB_PASSWORD)),
    image: `gl-it-mig:${v}`,
    ledger,
    secrets: { dbPassword: new Secret(DB_PASSWORD), env: {} },
    who: 'integration-test',
    ...over,
  });

  const serving = async (): Promise<string> => {
    const p = await probe(host, b.prodIp, PORT, '/cgi-bin/health');
    return p.status === 200 ? (JSON.parse(p.body) as { version: string }).version : `HTTP ${p.status} ${p.error ?? ''}`;
  };

  const backupsOnHost = async (): Promise<string[]> => (await listBackups(recordingContext(), host, config.environments.production!.backups.dir)).map((x) => x.id);

  suiteSetup(async () => {
    b = bed();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-deploy-mig-'));
    mkdirSync(path.join(workspace, 'migrations'));
    ledger = await openLedger(workspace);
    for (const v of ['m1', 'm2', 'm3']) {
      ids[v] = buildAppImage(`gl-it-mig:${v}`, v);
      await ledger.record({ imageId: ids[v]!, service: 'web', version: v, tags: [`gl-it-mig:${v}`], gitSha: 'abc123', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    }
    const base = bedConfig(b, { port: PORT, project: 'glmig' });
    const prod = base.environments.production!;
    config = { ...base, environments: { production: { ...prod, database: { ...prod.database!, name: db } } } };
    local = localDocker();
    host = await connect(b, recordingContext());
    for (const c of await host.docker.listContainers({ [LABEL.project]: 'glmig' })) await host.docker.removeContainer(c.id);
    await psql(`CREATE DATABASE ${db}`, 'appdb');
  });

  suiteTeardown(async () => {
    if (host) {
      for (const c of await host.docker.listContainers({ [LABEL.project]: 'glmig' })) await host.docker.removeContainer(c.id);
      await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`, 'appdb').catch(() => undefined);
      await host.exec(['rm', '-rf', '--', config.environments.production!.backups.dir, config.environments.production!.stateDir]);
      host.close();
    }
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('pending migrations: a verified backup first, then the built-in runner applies them over the SSH connection', async () => {
    migration('001_create_items.sql', 'CREATE TABLE IF NOT EXISTS items (id bigserial PRIMARY KEY, name text NOT NULL);\n');
    migration('002_seed_items.sql', "INSERT INTO items (name) SELECT 'item-' || g FROM generate_series(1, 500) g;\n");
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, request('m1'));
    assert.equal(r.outcome, 'succeeded', `${r.message}\n${ctx.lines.join('\n')}`);
    assert.deepEqual(r.migrations?.pending, ['001_create_items.sql', '002_seed_items.sql']);
    assert.ok(r.backup, 'a pre-deploy backup was taken');
    assert.equal(r.backup.database, db);
    assert.match(r.backupReason ?? '', /2 migrations pending: 001_create_items\.sql, 002_seed_items\.sql/);
    assert.ok(ctx.lines.some((l) => /backup: taking a pre-deploy backup: 2 migrations pending/.test(l)), ctx.lines.join('\n'));
    // The ledger on the production database records both files, with the deployed version.
    assert.equal(await psql('SELECT string_agg(file_name || \'@\' || image_version, \',\' ORDER BY file_name) FROM _schema_migrations'), '001_create_items.sql@m1,002_seed_items.sql@m1');
    assert.equal(await psql('SELECT count(*) FROM items'), '500');
    const audit = await tailAudit(ctx, host, config.environments.production!.stateDir);
    assert.deepEqual(audit[0]?.releaseTasks, ['migrate']);
    assert.equal(audit[0]?.backupId, r.backup.id);
    // The backup was taken before the migrations ran: it holds no items table yet.
    const toc = await host.run(['pg_restore', '--list', '--', r.backup.file]);
    assert.doesNotMatch(toc, /TABLE public items\b/);
  });

  test('no migrations pending: the deploy says so and takes no backup', async () => {
    const before = await backupsOnHost();
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, request('m2'));
    assert.equal(r.outcome, 'succeeded', r.message);
    assert.equal(r.backup, undefined);
    assert.deepEqual(r.migrations?.pending, []);
    assert.ok(ctx.lines.some((l) => /backup: skipped: no migrations pending on glit_mig_\w+ \(all 2 applied, ledger up to date\).*--force-backup/.test(l)), ctx.lines.join('\n'));
    assert.ok(ctx.lines.some((l) => /release task migrate: nothing pending/.test(l)));
    assert.deepEqual(await backupsOnHost(), before, 'no new backup file on the host');
    assert.equal(await serving(), 'm2');
  });

  test('no migrations pending but a backup forced: one is taken, and the reason says forced', async () => {
    const before = await backupsOnHost();
    const r = await deploy(recordingContext(), local, host, request('m1', { backup: 'always' }));
    assert.equal(r.outcome, 'succeeded', r.message);
    assert.ok(r.backup);
    assert.equal(r.backupReason, 'forced on request');
    assert.deepEqual(await backupsOnHost(), [r.backup.id, ...before]);
  });

  test('a real failing migration: rolled back in the database, production untouched, the pre-deploy backup offered', async () => {
    // Statement 1 succeeds, statement 2 fails (the column exists): the file's transaction must undo both.
    migration('003_add_name_again.sql', '-- adds a column that 001 already created: fails with 42701\nCREATE TABLE audit_trail (id int);\nALTER TABLE items\n  ADD COLUMN name text;\n');
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, request('m3'));
    assert.equal(r.outcome, 'failed');
    assert.ok(r.backup, 'a backup was taken because 003 was pending');
    assert.equal(r.restoreOffer?.backupId, r.backup.id);
    assert.deepEqual(r.restoreOffer?.tasksRun, ['migrate']);
    assert.match(r.message, /release task "migrate" failed: migration 003_add_name_again\.sql failed at .*003_add_name_again\.sql:\d+:\d+: column "name" of relation "items" already exists \[42701\]/);
    assert.match(r.message, /Production untouched: m1 still serving/);
    assert.match(r.message, /Nothing was restored automatically/);
    assert.equal(await serving(), 'm1');
    assert.equal(await psql("SELECT to_regclass('audit_trail') IS NULL"), 't', 'the failed file left nothing behind');
    assert.equal(await psql("SELECT count(*) FROM _schema_migrations WHERE file_name = '003_add_name_again.sql'"), '0');
    assert.match(await psql("SELECT error FROM _schema_migration_failures WHERE file_name = '003_add_name_again.sql'"), /already exists/);
    const audit = await tailAudit(ctx, host, config.environments.production!.stateDir);
    assert.equal(audit[0]?.result, 'failed');
    assert.equal(audit[0]?.backupId, r.backup.id);
    // The offer is real: the backup restores (after confirmation) and brings back the data it holds.
    await psql('DELETE FROM items WHERE id > 100');
    const restored = await restoreBackup(recordingContext(), host, request('m1').environment.backup!, r.backup.id, { confirm: async () => true });
    assert.equal(restored.restored, true);
    assert.equal(await psql('SELECT count(*) FROM items'), '500');
  });

  test('the database does not exist yet: nothing to back up, and the deploy says why', async () => {
    const prod = config.environments.production!;
    const cfg: GreenlightConfig = { ...config, environments: { production: { ...prod, database: { ...prod.database!, name: `${db}_absent` } } } };
    rmSync(path.join(workspace, 'migrations'), { recursive: true, force: true });
    mkdirSync(path.join(workspace, 'migrations'));
    const ctx = recordingContext();
    const r = await deploy(ctx, local, host, request('m2', {}, cfg));
    assert.equal(r.outcome, 'succeeded', r.message);
    assert.equal(r.backup, undefined);
    assert.equal(r.migrations?.databaseExists, false);
    assert.ok(ctx.lines.some((l) => new RegExp(`backup: skipped: database ${db}_absent does not exist yet: nothing to back up`).test(l)), ctx.lines.join('\n'));
  });
});
