// The migration panel's status of an ArangoDB environment: reached like a PostgreSQL one (SSH to
// the test bed's production host with its pinned key, then a forward to the database address as
// the host sees it), read with arangojs. No ArangoDB server can be had on this machine, so this
// covers the way there: the forward is opened on the real host and the reason the host gives for
// not reaching the database is what the panel shows. The status read against a live server is
// not run here (see the ArangoDB live suites, which need ARANGO_URL).
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { quietContext } from '../../../src/core/common/job';
import { migrateStatusJob } from '../../../src/service/jobs/migrate';
import { testbed } from '../testbed';

suite('(integration) migrate: the panel status of an ArangoDB environment over SSH (up to the database: no ArangoDB server here)', function () {
  this.timeout(60_000);
  let root: string;

  suiteSetup(() => {
    const tb = testbed();
    root = mkdtempSync(path.join(tmpdir(), 'gl-panel-arango-'));
    mkdirSync(path.join(root, 'migrations'));
    writeFileSync(path.join(root, 'migrations', '001_create_users.json'), JSON.stringify([{ type: 'create_collection', name: 'users' }]));
    writeFileSync(
      path.join(root, 'greenlight.yaml'),
      [
        'project: panelarango',
        'database: { kind: arangodb, name: app, migrations: migrations }',
        'environments:',
        '  production:',
        `    ssh: { host: ${tb.sshHost}, port: ${tb.sshPort}, user: ${tb.sshUser}, identityFile: ${tb.sshKeyFile}, hostKey: "${tb.hostKey}" }`,
        // Nothing listens on 8529 inside the production host's namespace.
        '    database: { name: app, user: root, host: 127.0.0.1, port: 8529 }',
        '',
      ].join('\n'),
    );
  });
  suiteTeardown(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('the environment is read through the SSH forward; the host\'s own reason for not reaching the database is the problem shown', async () => {
    const r = await migrateStatusJob({ workspaceRoot: root }, quietContext());
    assert.equal(r.kind, 'arangodb');
    assert.deepEqual(r.files.map((f) => f.fileName), ['001_create_users.json']);
    const env = r.targets.find((t) => t.id === 'env:production');
    assert.ok(env, JSON.stringify(r.targets));
    assert.equal(env.database, `ArangoDB root@127.0.0.1:8529/app via ssh ${testbed().sshUser}@${testbed().sshHost}:${testbed().sshPort}`);
    assert.equal(env.reachable, false);
    assert.match(env.problem ?? '', /^the host could not connect to the database at 127\.0\.0\.1:8529 \(.*Connection refused\)$/);
    // The local target has no server to talk to either, and says how to name one.
    const local = r.targets.find((t) => t.id === 'local');
    assert.equal(local?.reachable, false);
    assert.match(local?.problem ?? '', /database\.local\.url/);
  });
});
