import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ENVIRONMENTS_CHANGED_FILE, noteEnvironmentChanged } from '../../../src/core/deploy/localActivity';

suite('(unit) deploy: the trace a terminal leaves for the editor', () => {
  let root: string;
  setup(() => (root = mkdtempSync(path.join(tmpdir(), 'gl-activity-'))));
  teardown(() => rmSync(root, { recursive: true, force: true }));

  test('names the environment and the action, in .greenlight/ (which git ignores)', async () => {
    await noteEnvironmentChanged(root, 'production', 'rollback');
    const rec = JSON.parse(readFileSync(path.join(root, '.greenlight', ENVIRONMENTS_CHANGED_FILE), 'utf8'));
    assert.equal(rec.env, 'production');
    assert.equal(rec.action, 'rollback');
    assert.equal(rec.pid, process.pid);
    assert.ok(!Number.isNaN(Date.parse(rec.at)));
    assert.match(readFileSync(path.join(root, '.greenlight', '.gitignore'), 'utf8'), /^\*$/m);
  });

  test('never fails the command that did the work: a root where .greenlight cannot be made', async () => {
    const file = path.join(root, 'not-a-folder');
    writeFileSync(file, '');
    await noteEnvironmentChanged(file, 'production', 'deploy');
  });
});
