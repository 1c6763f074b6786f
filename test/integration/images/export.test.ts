import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildImages } from '../../../src/core/images/build';
import type { DockerEngine } from '../../../src/core/images/docker';
import { exportImages } from '../../../src/core/images/exportImages';
import { openLedger } from '../../../src/core/images/ledger';
import { testImages } from '../../../src/core/images/testRun';
import { runCli } from '../../../src/cli/program';
import type { CliIo } from '../../../src/cli/io';
import { DEMO_WEB, recordingContext, removeProjectArtifacts, requireDocker, stageDemo, workspace, type Workspace } from './bed';

function captureIo(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { cwd, env: process.env, stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), exit: () => undefined };
}

suite('(integration) images: ledger semantics and export with checksums', function () {
  this.timeout(300_000);
  let engine: DockerEngine;
  let w: Workspace;
  const pinned = new Date(Date.UTC(2026, 5, 1, 12, 0, 0));

  suiteSetup(async () => {
    engine = await requireDocker();
    stageDemo();
    // No database: the health check of this service is /version, which needs none.
    w = workspace(({ project, service, port }) => `project: ${project}\nservices:\n  - name: ${service}\n    context: ${DEMO_WEB}\n    port: ${port - 10000}\n    testPort: ${port}\n    health: { path: /version, timeoutSeconds: 30, intervalMs: 200 }\ntest:\n  mode: none\n`);
  });
  suiteTeardown(async () => {
    if (engine && w) await removeProjectArtifacts(engine, w.project);
    if (w) rmSync(w.root, { recursive: true, force: true });
  });

  test('export refuses an untested image', async () => {
    const b = await buildImages({ workspaceRoot: w.root, engine, now: new Date(pinned) }, recordingContext().ctx);
    await assert.rejects(exportImages({ workspaceRoot: w.root, engine, version: b.version }, recordingContext().ctx), /is untested: only images that passed/);
  });

  let exportDir = '';
  let tag = '';
  test('export writes <service>-<version>.tar.gz, a .sha256 that sha256sum accepts and deploy-info', async () => {
    const t = await testImages({ workspaceRoot: w.root, engine }, recordingContext().ctx);
    assert.equal(t.passed, true, t.failure?.message);
    tag = t.images[0]!.tag;
    const r = await exportImages({ workspaceRoot: w.root, engine }, recordingContext().ctx);
    assert.equal(r.version, t.version, 'the newest tested version is the default');
    exportDir = r.dir;
    const file = `${w.service}-${r.version}.tar.gz`;
    assert.equal(r.images[0]!.file, file);
    // The checksum computed on the way equals the one of the file on disk, as sha256sum sees it.
    const check = execFileSync('sha256sum', ['-c', `${file}.sha256`], { cwd: r.dir, encoding: 'utf8' });
    assert.match(check, new RegExp(`${file}: OK`));
    const actual = execFileSync('sha256sum', [file], { cwd: r.dir, encoding: 'utf8' }).split(' ')[0];
    assert.equal(r.images[0]!.sha256, actual);
    // The archive is a docker save of the tag: its manifest names the tag and the tested image.
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', file, 'manifest.json'], { cwd: r.dir, encoding: 'utf8' }));
    assert.deepEqual(manifest[0].RepoTags, [tag]);
    assert.equal(`sha256:${manifest[0].Config.replace(/^blobs\/sha256\/|\.json$/g, '')}`, t.images[0]!.imageId);
    const info = JSON.parse(readFileSync(path.join(r.dir, `deploy-info-${r.version}.json`), 'utf8'));
    assert.equal(info.version, r.version);
    assert.equal(info.images[0].imageId, t.images[0]!.imageId);
    assert.equal(info.images[0].sha256, actual);
    assert.ok(Array.isArray(info.howToDeploy) && info.howToDeploy.length > 0);
  });

  test('greenlight export --verify passes an intact folder and names a corrupted file (exit 1)', async () => {
    const ok = captureIo(w.root);
    assert.equal(await runCli(['export', '--verify', exportDir], ok), 0, ok.stderr.join('\n'));
    const [service, version] = tag.split(':');
    const file = path.join(exportDir, `${service}-${version}.tar.gz`);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(file, bytes);
    const bad = captureIo(w.root);
    assert.equal(await runCli(['export', '--verify', exportDir], bad), 1);
    assert.match(bad.stdout.join('\n'), new RegExp(`CORRUPT  ${path.basename(file).replace(/[.]/g, '\\.')}: checksum mismatch`));
    assert.match(bad.stderr.join('\n'), new RegExp(`failed verification: ${path.basename(file).replace(/[.]/g, '\\.')}`));
  });

  test('the same tag rebuilt to a different image ID is untested, and export refuses it', async () => {
    const ledger = await openLedger(w.root);
    const before = await engine.inspectImage(tag);
    assert.equal(ledger.isTested(before!.id), true);
    const again = await buildImages({ workspaceRoot: w.root, engine, now: new Date(pinned), noCache: true }, recordingContext().ctx);
    assert.equal(again.images[0]!.tag, tag, 'same commit, same pinned time: same tag');
    assert.notEqual(again.images[0]!.imageId, before!.id, 'different bytes');
    assert.equal(ledger.isTested(again.images[0]!.imageId), false);
    await assert.rejects(exportImages({ workspaceRoot: w.root, engine, version: again.version }, recordingContext().ctx), /is untested/);
  });

  test('greenlight build/test exit codes: 2 for a bad config, 1 for a failed test', async () => {
    const io = captureIo(w.root);
    assert.equal(await runCli(['build', 'nosuchservice'], io), 2);
    assert.match(io.stderr.join('\n'), /unknown service "nosuchservice"/);
    w.write('greenlight.yaml', readFileSync(path.join(w.root, 'greenlight.yaml'), 'utf8').replace('path: /version', 'path: /health'));
    const t = captureIo(w.root);
    // Without a database the demo app's /health answers 503: the test fails.
    assert.equal(await runCli(['test', '--mode', 'none'], t), 1);
    assert.match(t.stdout.join('\n'), /^FAILED  /m);
  });
});
