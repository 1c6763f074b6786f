import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import type { CliIo } from '../../../src/cli/io';
import { runCli } from '../../../src/cli/program';
import { serviceLogs } from '../../../src/core/deploy/operations';
import { LABEL } from '../../../src/core/deploy/plan';
import { openLedger } from '../../../src/core/images/ledger';
import type { RemoteHost } from '../../../src/core/ship/remoteHost';
import { buildAppImage } from '../deploy/appImages';
import { DB_PASSWORD, bed, bedConfig, connect, recordingContext, type Bed } from '../deploy/bed';

// Its own project name and port, so its containers never collide with the deploy suites'.
const PROJECT = 'ops-it';
const PORT = 18191;

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

suite('(integration) everyday operations: greenlight logs, exec and status on the production host', function () {
  this.timeout(240000);
  let b: Bed;
  let host: RemoteHost;
  let workspace: string;

  const cli = async (...argv: string[]): Promise<Run> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { cwd: workspace, env: { ...process.env, GL_TEST_DB_PASSWORD: DB_PASSWORD }, out: (t) => out.push(t), err: (t) => err.push(t), exit: () => undefined };
    const code = await runCli(argv, io);
    return { code, out, err };
  };

  const removeOurs = async (): Promise<void> => {
    for (const c of await host.docker.listContainers({ [LABEL.project]: PROJECT })) await host.docker.removeContainer(c.id);
  };

  suiteSetup(async () => {
    b = bed();
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-ops-it-'));
    // The app prints a line on stdout and one on stderr at start, then serves as the deploy suites' app does.
    buildAppImage('ops-it-base:v1', 'v1');
    execFileSync('docker', ['build', '-q', '--network', 'none', '-t', 'ops-it-web:v1', '-'], {
      input: 'FROM ops-it-base:v1\nCMD ["sh","-c","echo ops-it says hello from $APP_VERSION; echo ops-it warns on stderr >&2; exec /bin/busybox httpd -f -v -p ${BIND:-127.0.0.1}:${PORT} -h /www"]\n',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const imageId = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', 'ops-it-web:v1']).toString().trim();
    // A git workspace whose HEAD the tested image was built from: `deploy` without an image takes it.
    const config = bedConfig(b, { port: PORT, project: PROJECT });
    writeFileSync(path.join(workspace, 'greenlight.yaml'), stringify(config));
    const g = (...args: string[]): string => execFileSync('git', ['-C', workspace, ...args], { env: { ...process.env, GIT_AUTHOR_NAME: 'it', GIT_AUTHOR_EMAIL: 'it@example.invalid', GIT_COMMITTER_NAME: 'it', GIT_COMMITTER_EMAIL: 'it@example.invalid' } }).toString().trim();
    g('init', '-q');
    g('add', 'greenlight.yaml');
    g('commit', '-q', '-m', 'ops-it');
    const head = g('rev-parse', 'HEAD');
    const ledger = await openLedger(workspace);
    // An older passing image of another commit must not be the one picked.
    await ledger.record({ imageId: 'sha256:' + '0'.repeat(64), service: 'web', version: 'v0-other-commit', tags: [], gitSha: 'f'.repeat(40), result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date(Date.now() + 60000).toISOString() });
    await ledger.record({ imageId, service: 'web', version: 'v1', tags: ['ops-it-web:v1'], gitSha: head, result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
    host = await connect(b, recordingContext());
    await removeOurs();
  });

  suiteTeardown(async () => {
    if (host) {
      await removeOurs();
      host.close();
    }
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('deploy with defaults: no image and no --env deploys the tested image of HEAD to the one environment', async () => {
    const r = await cli('deploy');
    assert.equal(r.code, 0, [...r.out, ...r.err].join('\n'));
    assert.match(r.err.join('\n'), /deploying web v1 \([0-9a-f]{12}\), the newest tested image of HEAD, to production/);
    assert.match(r.out.join('\n'), /^succeeded: /m);
  });

  test('status shows the version, health and uptime of every service', async () => {
    const text = await cli('status');
    assert.equal(text.code, 0, text.err.join('\n'));
    assert.match(text.out.join('\n'), /^production \(greenlight-deploy@198\.18\.77\.2:22\)\n {2}web: v1 running, up \d+s .*health HTTP 200/m);
    const json = await cli('status', '--env', 'production', '--json');
    const st = JSON.parse(json.out.join('\n')) as { services: { service: string; version: string; healthy: boolean; health: string; uptimeSeconds: number }[] };
    assert.equal(st.services[0]?.version, 'v1');
    assert.equal(st.services[0]?.healthy, true);
    assert.equal(st.services[0]?.health, 'HTTP 200');
    assert.ok(st.services[0]!.uptimeSeconds >= 0 && st.services[0]!.uptimeSeconds < 600, String(st.services[0]?.uptimeSeconds));
  });

  test('logs shows the lines the container printed, stdout on stdout and stderr on stderr', async () => {
    const r = await cli('logs', '--env', 'production', '--service', 'web');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.ok(r.out.includes('ops-it says hello from v1'), r.out.join('\n'));
    assert.ok(r.err.includes('ops-it warns on stderr'), r.err.join('\n'));
    const tail = await cli('logs', '--tail', '1', '--since', '1h');
    assert.equal(tail.out.length + tail.err.filter((l) => !l.startsWith('»')).length, 1, `--tail 1: ${[...tail.out, ...tail.err].join('\n')}`);
    const future = await cli('logs', '--since', new Date(Date.now() + 3600_000).toISOString());
    assert.deepEqual(future.out, [], 'nothing was written after a time in the future');
    const bad = await cli('logs', '--since', 'yesterday');
    assert.equal(bad.code, 2);
    assert.match(bad.err.join('\n'), /--since "yesterday": expected a duration such as 10m/);
  });

  test('logs --follow streams lines written after it started, until cancelled', async () => {
    const config = bedConfig(b, { port: PORT, project: PROJECT });
    const ac = new AbortController();
    const out = { stdout: new PassThrough(), stderr: new PassThrough() };
    let seen = '';
    for (const s of [out.stdout, out.stderr]) {
      s.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/written while following/.test(seen)) ac.abort();
      });
    }
    // Only lines from now on: the line written below (to the log pipe of the container's PID 1) must arrive while following.
    const following = serviceLogs(recordingContext(ac.signal), host, { config, envName: 'production', follow: true, since: Math.floor(Date.now() / 1000) }, out);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(seen, '', 'nothing yet');
    assert.equal((await cli('exec', '--', '/bin/busybox', 'sh', '-c', 'echo written while following > /proc/1/fd/1')).code, 0);
    const timer = setTimeout(() => ac.abort(), 20000);
    await following;
    clearTimeout(timer);
    assert.match(seen, /^written while following$/m, `the line arrived while following: ${seen}`);
  });

  test('exec runs argv in the running container and passes its output and exit code through', async () => {
    const ok = await cli('exec', '--env', 'production', '--', '/bin/busybox', 'echo', 'hello; not a shell $HOME');
    assert.equal(ok.code, 0, ok.err.join('\n'));
    assert.deepEqual(ok.out, ['hello; not a shell $HOME'], 'the argument reached echo byte for byte');
    const failing = await cli('exec', '--', '/bin/busybox', 'sh', '-c', 'echo to stderr >&2; exit 3');
    assert.equal(failing.code, 3);
    assert.ok(failing.err.includes('to stderr'), failing.err.join('\n'));
    const missing = await cli('exec', '--', '/no/such/program');
    assert.ok(missing.code === 126 || missing.code === 127, `exit ${missing.code}: ${missing.err.join('\n')}`);
    assert.match([...missing.out, ...missing.err].join('\n'), /no such file or directory|not found/i);
    const env = await cli('exec', '--', '/bin/busybox', 'env');
    assert.ok(env.out.includes(`PORT=${PORT}`), `the serving container's environment: ${env.out.join(' ')}`);
  });

  test('exec --new runs in a one-off container of the serving image with its environment, then removes it', async () => {
    const r = await cli('exec', '--new', '--', '/bin/busybox', 'sh', '-c', 'echo "$APP_VERSION on $PORT"; exit 4');
    assert.equal(r.code, 4, r.err.join('\n'));
    assert.deepEqual(r.out, [`v1 on ${PORT}`]);
    const left = (await host.docker.listContainers({ [LABEL.project]: PROJECT })).filter((c) => c.labels[LABEL.role] === 'exec');
    assert.deepEqual(left, [], 'the one-off container is gone');
  });

  test('exec of a service that is not deployed says so', async () => {
    const other = bedConfig(b, { port: PORT + 1, project: 'ops-it-absent' });
    writeFileSync(path.join(workspace, 'absent.yaml'), stringify(other));
    const r = await cli('exec', '-c', 'absent.yaml', '--', '/bin/busybox', 'true');
    assert.equal(r.code, 1);
    assert.match(r.err.join('\n'), /web is not deployed on production \(no container ops-it-absent-web on greenlight-deploy@198\.18\.77\.2:22\)/);
  });
});
