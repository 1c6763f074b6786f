// `greenlight backup download` against the test bed's production host, and the `find` start of
// the backup listing with a directory named like an action, on the host's real GNU find.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { fileCommands } from '../../../src/core/backup/pgCommands';
import { runCli } from '../../../src/cli/program';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { captureIo } from '../../unit/cli/captureIo';
import { DB_PASSWORD, bed, bedConfig, connect, recordingContext } from '../deploy/bed';

suite('(integration) cli: backup download', function () {
  this.timeout(120000);
  let dir: string;
  let host: RemoteHost;
  let backupsDir: string;
  const env = { GL_TEST_DB_PASSWORD: DB_PASSWORD };

  suiteSetup(async () => {
    const b = bed();
    host = await connect(b, recordingContext());
    const config = bedConfig(b, { port: 18099 });
    backupsDir = config.environments.production!.backups.dir;
    dir = mkdtempSync(path.join(tmpdir(), 'greenlight-cli-download-'));
    writeFileSync(path.join(dir, 'greenlight.yaml'), stringify(config));
  });

  suiteTeardown(async () => {
    if (host) {
      await host.exec(['rm', '-rf', '--', backupsDir]);
      host.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('creates a backup, downloads it (0600, sha256 checked against the record) and prints JSON; progress off a terminal is a few lines', async () => {
    const created = captureIo(dir, env);
    assert.equal(await runCli(['backup', 'create', '--env', 'production', '--json'], created), 0, created.stderr.join('\n'));
    const meta = JSON.parse(created.stdout.join('\n')) as { id: string; sha256: string; sizeBytes: number };

    const io = captureIo(dir, env);
    assert.equal(await runCli(['backup', 'download', meta.id, '--env', 'production', '-o', 'copy.dump', '--json'], io), 0, io.stderr.join('\n'));
    const r = JSON.parse(io.stdout.join('\n')) as { file: string; bytes: number; sha256: string; checked: boolean };
    assert.deepEqual(r, { id: meta.id, file: path.join(dir, 'copy.dump'), bytes: meta.sizeBytes, sha256: meta.sha256, checked: true });
    const bytes = readFileSync(r.file);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), meta.sha256);
    assert.equal(statSync(r.file).mode & 0o777, 0o600);
    const progress = io.stderr.filter((l) => l.startsWith(`» download ${meta.id}`));
    assert.ok(progress.length >= 1 && progress.length <= 11, progress.join('\n'));
    assert.ok(!existsSync(`${r.file}.partial`));
  });

  test('a copy that does not match the recorded sha256 fails (exit 1) and leaves no file', async () => {
    const list = captureIo(dir, env);
    assert.equal(await runCli(['backup', 'list', '--env', 'production', '--json'], list), 0);
    const [entry] = JSON.parse(list.stdout.join('\n')) as { id: string; meta: Record<string, unknown> }[];
    const metaFile = `${backupsDir}/${entry!.id}.meta.json`;
    await host.run(fileCommands.write(metaFile), { stdin: JSON.stringify({ ...entry!.meta, sha256: '0'.repeat(64) }) });
    const io = captureIo(dir, env);
    assert.equal(await runCli(['backup', 'download', entry!.id, '--env', 'production', '-o', 'bad.dump'], io), 1);
    assert.match(io.stderr.join('\n'), /differs from the recorded 0{64}; the copy was removed/);
    assert.ok(!existsSync(path.join(dir, 'bad.dump')) && !existsSync(path.join(dir, 'bad.dump.partial')));
  });

  test('the listing of a directory named "-delete" reads it and deletes nothing (find starts at ./-delete)', async () => {
    const canary = `gl-canary-${process.pid}.dump`;
    await host.run(['sh', '-c', 'mkdir -p -- ./-delete && touch -- "./-delete/$1" "./$1"', 'greenlight-test', canary]);
    try {
      const listed = await host.run(fileCommands.listDumps('-delete'));
      assert.match(listed, new RegExp(`^${canary}\\t0\\t`, 'm'));
      const left = await host.exec(['ls', '--', `./-delete/${canary}`, `./${canary}`]);
      assert.equal(left.code, 0, 'both canaries are still there');
    } finally {
      await host.exec(['rm', '-rf', '--', './-delete', `./${canary}`]);
    }
  });
});
