import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';
import { localDatabaseChangedPath } from '../../../src/core/migrate/target';
import { ENGINES, FIXTURES, freshDatabase, type TestDatabase } from './engines';

function memoryIo(cwd: string): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { cwd, env: { ...process.env, PGPASSWORD: '' }, stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), exit: () => undefined };
}

for (const engine of ENGINES) {
  suite(`(integration) greenlight migrate CLI on ${engine}`, function () {
    let db: TestDatabase;
    let cwd: string;
    setup(async () => {
      db = await freshDatabase(engine);
      // No greenlight.yaml here: --dir alone must work.
      cwd = await mkdtemp(path.join(os.tmpdir(), 'gl-cli-'));
    });
    teardown(async () => {
      await db?.drop();
      await rm(cwd, { recursive: true, force: true });
    });
    const dbArgs = (): string[] => (db.url ? ['--database', db.url] : []);

    test('verify: exit 0 for a good chain, 1 with a text report for a bad one, JSON on request', async () => {
      const ok = memoryIo(cwd);
      assert.equal(await runCli(['migrate', 'verify', '--dir', path.join(FIXTURES, 'chain-ok'), ...dbArgs()], ok), 0, ok.stderr.join('\n'));
      assert.match(ok.stdout.join('\n'), /verify passed: 4 migrations/);
      const bad = memoryIo(cwd);
      assert.equal(await runCli(['migrate', 'verify', '--dir', path.join(FIXTURES, 'chain-bad'), '--json', ...dbArgs()], bad), 1);
      const report = JSON.parse(bad.stdout.join('\n'));
      assert.equal(report.ok, false);
      assert.equal(report.totals.notIdempotent, 3);
    });

    test('usage and input errors exit 2', async () => {
      const io = memoryIo(cwd);
      assert.equal(await runCli(['migrate', 'verify', '--dir', path.join(cwd, 'missing')], io), 2);
      assert.match(io.stderr.join('\n'), /missing: migrations directory not found/);
      const io2 = memoryIo(cwd);
      assert.equal(await runCli(['migrate', 'drift', '--dir', path.join(FIXTURES, 'chain-ok')], io2), 2);
      assert.match(io2.stderr.join('\n'), /drift needs --database/);
    });

    if (engine === 'PGlite') {
      test('the local database: up leaves the change marker an editor watches, status does not; a second process is refused while it is open', async () => {
        const dir = path.join(FIXTURES, 'chain-ok');
        const marker = localDatabaseChangedPath(cwd);
        const st = memoryIo(cwd);
        assert.equal(await runCli(['migrate', 'status', '--dir', dir], st), 0, st.stderr.join('\n'));
        assert.equal(existsSync(marker), false, 'a status read leaves no marker');
        const up = memoryIo(cwd);
        assert.equal(await runCli(['migrate', 'up', '--dir', dir, '--no-seeds'], up), 0, up.stderr.join('\n'));
        const first = JSON.parse(await readFile(marker, 'utf8'));
        assert.equal(first.verb, 'up');
        assert.equal(first.pid, process.pid);
        assert.equal(existsSync(path.join(cwd, '.greenlight', 'pglite.pid')), false, 'the pid file is gone once the database is closed');
        const st2 = memoryIo(cwd);
        assert.equal(await runCli(['migrate', 'status', '--dir', dir], st2), 0, st2.stderr.join('\n'));
        assert.deepEqual(JSON.parse(await readFile(marker, 'utf8')), first, 'status did not touch the marker');
        // Another live process holding the database: this one must refuse rather than open it twice.
        const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
        try {
          await writeFile(path.join(cwd, '.greenlight', 'pglite.pid'), String(holder.pid));
          const busy = memoryIo(cwd);
          assert.equal(await runCli(['migrate', 'up', '--dir', dir, '--no-seeds'], busy), 2);
          assert.match(busy.stderr.join('\n'), new RegExp(`local PGlite database is open in process ${holder.pid}`));
        } finally {
          holder.kill();
        }
      });
    }

    if (engine === 'PostgreSQL 15') {
      test('up, status and drift against a server URL', async () => {
        const up = memoryIo(cwd);
        assert.equal(await runCli(['migrate', 'up', '--dir', path.join(FIXTURES, 'chain-ok'), '--database', db.url!], up), 0, up.stderr.join('\n'));
        assert.match(up.stdout.join('\n'), /4 migrations applied to PostgreSQL postgres:\/\/app@127\.0\.0\.1:25432\/gl_mtest_/);
        assert.equal(up.stdout.join('\n').includes('apppass'), false, 'no password in output');
        const st = memoryIo(cwd);
        assert.equal(await runCli(['migrate', 'status', '--dir', path.join(FIXTURES, 'chain-ok'), '--database', db.url!, '--json'], st), 0);
        assert.equal(JSON.parse(st.stdout.join('\n')).counts.applied, 4);
        await db.session.exec('alter table users add column phone text');
        const drift = memoryIo(cwd);
        assert.equal(await runCli(['migrate', 'drift', '--dir', path.join(FIXTURES, 'chain-ok'), '--database', db.url!], drift), 1);
        assert.match(drift.stdout.join('\n'), /extra\s+column public\.users\.phone/);
      });
    }
  });
}
