import * as assert from 'node:assert/strict';
import { Secret, redact } from '../../../src/core/common/secret';
import { configSchema } from '../../../src/core/config/schema';
import { gateTested, type TestedImages } from '../../../src/core/deploy/deploy';
import { currentSpec, nextSpec, namesFor, releaseTasksOf, stateCommands, taskSpec, type SpecInput } from '../../../src/core/deploy/plan';

const config = configSchema.parse({
  project: 'shop',
  services: [{ name: 'web', port: 18000, env: { BIND: '10.0.0.2' }, secretEnv: ['API_KEY'] }],
  database: { kind: 'postgres', migrateCommand: ['bin/migrate', '--up'] },
  environments: {
    production: {
      ssh: { host: '10.0.0.2', user: 'deploy' },
      database: { name: 'shop', user: 'shop', passwordEnv: 'PW' },
      releaseTasks: [{ name: 'warm-cache', command: ['bin/warm'] }],
    },
  },
});
const env = config.environments.production!;
const input: SpecInput = {
  config,
  envName: 'production',
  env,
  service: config.services[0]!,
  image: 'shop-web:v1',
  imageId: 'sha256:' + 'a'.repeat(64),
  version: 'v1',
  deployId: 'd1',
  who: 'alice',
  secrets: { dbPassword: new Secret('pw!@#'), env: { API_KEY: new Secret('k-123') } },
  now: new Date('2026-01-02T03:04:05Z'),
};

suite('(unit) deploy: plan as data', () => {
  test('container names', () => {
    const n = namesFor('shop', 'web');
    assert.deepEqual([n.current, n.next, n.previous('v1+build.7'), n.task('migrate')], ['shop-web', 'shop-web-next', 'shop-web-previous-v1-build.7', 'shop-web-task-migrate']);
  });

  test('the new version starts beside the old one: temporary name, port + offset, no restart, labelled', () => {
    const s = nextSpec(input);
    assert.equal(s.name, 'shop-web-next');
    assert.deepEqual(s.env, { BIND: '10.0.0.2', PORT: '18001' });
    assert.equal(s.restart, 'no');
    assert.equal(s.networkMode, 'host');
    assert.equal(s.init, true);
    assert.equal(s.labels['greenlight.role'], 'next');
    assert.equal(s.labels['greenlight.version'], 'v1');
    assert.equal(s.labels['greenlight.deployed-by'], 'alice');
  });

  test('the serving container takes the real name and port and restarts unless stopped', () => {
    const s = currentSpec(input);
    assert.equal(s.name, 'shop-web');
    assert.equal(s.env.PORT, '18000');
    assert.equal(s.restart, 'unless-stopped');
  });

  test('secrets reach the container only as Secrets and are redacted when printed', () => {
    const s = currentSpec(input);
    assert.deepEqual(Object.keys(s.secretEnv).sort(), ['API_KEY', 'DATABASE_URL']);
    assert.equal(s.secretEnv.DATABASE_URL!.reveal(), 'postgres://shop:pw!%40%23@127.0.0.1:5432/shop');
    const printed = JSON.stringify(s);
    assert.ok(!printed.includes('pw!') && !printed.includes('k-123'), printed);
    assert.equal(redact('url postgres://shop:pw!%40%23@127.0.0.1:5432/shop'), 'url postgres://shop:[redacted]@127.0.0.1:5432/shop');
  });

  test('release tasks: migrate command first, then the environment\'s tasks, each a one-off container', () => {
    const tasks = releaseTasksOf(config, env);
    assert.deepEqual(tasks.map((t) => [t.name, t.command, t.migrates]), [['migrate', ['bin/migrate', '--up'], true], ['warm-cache', ['bin/warm'], false]]);
    const s = taskSpec(input, tasks[0]!);
    assert.equal(s.name, 'shop-web-task-migrate');
    assert.deepEqual(s.cmd, ['bin/migrate', '--up']);
    assert.equal(s.restart, 'no');
  });

  test('lock and audit commands', () => {
    const c = stateCommands('.greenlight');
    assert.deepEqual(c.acquire, ['mkdir', '-m', '700', '--', '.greenlight/deploy.lock']);
    assert.deepEqual(c.appendAudit, ['sh', '-c', 'umask 077 && cat >> "$1"', 'greenlight-audit', '.greenlight/audit.log']);
    assert.deepEqual(c.release, ['rm', '-rf', '--', '.greenlight/deploy.lock']);
    assert.deepEqual(c.tailAudit(5), ['tail', '-n', '5', '--', '.greenlight/audit.log']);
  });
});

suite('(unit) deploy: tested-image gate', () => {
  const ledger = (rec?: { result: 'passed' | 'failed' }): TestedImages => ({
    isTested: () => rec?.result === 'passed',
    get: () => (rec ? { version: 'v1', service: 'web', tags: [], result: rec.result, testedAt: '2026-01-01T00:00:00Z' } : undefined),
  });
  const id = 'sha256:' + 'b'.repeat(64);
  test('a passed image goes through', () => assert.deepEqual(gateTested(ledger({ result: 'passed' }), id, 'x:v1'), { tested: true }));
  test('never tested: refused, saying how to override', () => assert.throws(() => gateTested(ledger(), id, 'x:v1'), /refusing to deploy x:v1 .*never tested.*--override-untested/));
  test('failed test: refused, naming the failure', () => assert.throws(() => gateTested(ledger({ result: 'failed' }), id, 'x:v1'), /latest test failed at 2026-01-01/));
  test('an explicit override lets it through and is returned for the audit', () => assert.deepEqual(gateTested(ledger(), id, 'x:v1', '  hotfix  '), { tested: false, override: 'hotfix' }));
  test('a blank override is no override', () => assert.throws(() => gateTested(ledger(), id, 'x:v1', '   '), /refusing/));
});
