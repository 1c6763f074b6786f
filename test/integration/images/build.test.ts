import * as assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { buildImages } from '../../../src/core/images/build';
import type { DockerEngine } from '../../../src/core/images/docker';
import { DEMO_WEB, FIXTURES, git, recordingContext, removeProjectArtifacts, requireDocker, stageDemo, workspace, type Workspace } from './bed';

suite('(integration) images: build on the real engine', function () {
  this.timeout(240_000);
  let engine: DockerEngine;
  let w: Workspace;

  suiteSetup(async () => {
    engine = await requireDocker();
    stageDemo();
    w = workspace(({ project, service, port }) => `project: ${project}\nservices:\n  - name: ${service}\n    context: ${DEMO_WEB}\n    port: ${port}\n  - name: broken\n    context: broken\n    port: ${port + 1}\n`);
    cpSync(path.join(FIXTURES, 'failing-build'), path.join(w.root, 'broken'), { recursive: true });
    copyFileSync('/usr/bin/busybox', path.join(w.root, 'broken', 'busybox'));
    w.write('.gitignore', '.greenlight/\nbroken/busybox\n');
    w.commit('fixture');
  });
  suiteTeardown(async () => {
    if (engine && w) await removeProjectArtifacts(engine, w.project);
    if (w) rmSync(w.root, { recursive: true, force: true });
  });

  test('tags <service>:v<short-sha>-<YYYYMMDD-HHMMSS>, sets the OCI labels and writes the build-version file', async () => {
    const sha = git(w.root, 'rev-parse', 'HEAD').trim();
    const { ctx, lines } = recordingContext();
    const r = await buildImages({ workspaceRoot: w.root, engine, services: [w.service] }, ctx);
    assert.match(r.version, new RegExp(`^v${sha.slice(0, 7)}-\\d{8}-\\d{6}$`));
    assert.equal(r.dirty, false);
    const img = r.images[0]!;
    assert.equal(img.tag, `${w.service}:${r.version}`);
    const info = await engine.inspectImage(img.tag);
    assert.equal(info?.id, img.imageId);
    assert.equal(info?.labels['org.opencontainers.image.revision'], sha);
    assert.equal(info?.labels['org.opencontainers.image.version'], r.version);
    assert.equal(info?.labels['org.opencontainers.image.created'], r.createdAt);
    assert.match(info?.labels['org.opencontainers.image.source'] ?? '', /^file:\/\//);
    assert.equal(info?.labels['greenlight.project'], w.project);
    const file = JSON.parse(readFileSync(path.join(w.root, '.greenlight', 'build-version.json'), 'utf8'));
    assert.equal(file.version, r.version);
    assert.equal(file.gitSha, sha);
    assert.deepEqual(file.images.map((i: { imageId: string }) => i.imageId), [img.imageId]);
    assert.ok(lines.some((l) => /Step \d+\/\d+ : COPY app\/ \/app\//.test(l)), 'the build output reaches the log');
  });

  test('uncommitted changes add -dirty to the tag and the label', async () => {
    w.write('notes.txt', 'not committed\n');
    try {
      const r = await buildImages({ workspaceRoot: w.root, engine, services: [w.service] }, recordingContext().ctx);
      assert.match(r.version, /-dirty$/);
      assert.equal((await engine.inspectImage(r.images[0]!.tag))?.labels['greenlight.dirty'], 'true');
    } finally {
      rmSync(path.join(w.root, 'notes.txt'));
    }
  });

  test('a failing build names the failing step, its Dockerfile line and shows the step output', async () => {
    const { ctx, lines } = recordingContext();
    await assert.rejects(buildImages({ workspaceRoot: w.root, engine, services: ['broken'] }, ctx), (e: Error & { exitCode?: number }) => {
      assert.equal(e.exitCode, 1);
      assert.match(e.message, /broken[/\\]Dockerfile:4:1: build of broken failed at step 3\/\d+ \(RUN \["\/bin\/busybox"/);
      assert.match(e.message, /non-zero code: 3/);
      // The step writes one line to stdout and one to stderr: the daemon forwards the two pipes
      // in whatever order it reads them, so both must be there, in either order.
      const output = e.message.split('--- output of step 3 ---\n')[1] ?? '';
      assert.match(output, /^compiling the assets$/m, e.message);
      assert.match(output, /^error: assets\/app\.css: no such file$/m, e.message);
      return true;
    });
    assert.ok(lines.some((l) => l.includes('compiling the assets')), 'the output was streamed while it ran');
  });

  test('target: the named stage of a multi-stage Dockerfile is built, as docker build --target does; without it the last stage', async () => {
    // compose's build.target, which greenlight init carries over: several services of one Dockerfile.
    mkdirSync(path.join(w.root, 'staged'), { recursive: true });
    copyFileSync('/usr/bin/busybox', path.join(w.root, 'staged', 'busybox'));
    w.write('staged/Dockerfile', 'FROM scratch AS backend\nCOPY busybox /bin/busybox\nLABEL stage=backend\n\nFROM scratch AS frontend\nLABEL stage=frontend\n');
    const yaml = readFileSync(path.join(w.root, 'greenlight.yaml'), 'utf8');
    w.write('greenlight.yaml', `${yaml}  - name: staged-backend\n    context: staged\n    target: backend\n    port: ${w.port + 2}\n  - name: staged-last\n    context: staged\n    port: ${w.port + 3}\n`);
    try {
      const { ctx, lines } = recordingContext();
      const r = await buildImages({ workspaceRoot: w.root, engine, services: ['staged-backend', 'staged-last'] }, ctx);
      const [backend, last] = r.images;
      assert.equal((await engine.inspectImage(backend!.tag))?.labels.stage, 'backend');
      assert.equal((await engine.inspectImage(last!.tag))?.labels.stage, 'frontend');
      assert.ok(lines.some((l) => l.includes('(Dockerfile, stage backend, network none')), lines.join('\n'));
    } finally {
      w.write('greenlight.yaml', yaml);
      rmSync(path.join(w.root, 'staged'), { recursive: true, force: true });
    }
  });

  test('the build has no network', async () => {
    w.write('broken/Dockerfile', 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox ip -o link | /bin/busybox grep -v \\": lo:\\" && exit 7 || echo only-loopback"]\n');
    const { ctx, lines } = recordingContext();
    const r = await buildImages({ workspaceRoot: w.root, engine, services: ['broken'] }, ctx);
    assert.ok(lines.some((l) => l.includes('only-loopback')), lines.join('\n'));
    assert.match(r.version, /-dirty$/);
    git(w.root, 'checkout', '--', 'broken/Dockerfile');
  });
});
