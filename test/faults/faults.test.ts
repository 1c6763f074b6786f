// The fault-injection suite (issue 14): real deploys on the test bed's production host, broken on
// purpose. After each fault it asserts which version serves (HTTP through the host), the lock,
// the audit log, what is left on the host, and that `greenlight recover` or the next deploy brings
// the environment back to a known healthy version without manual docker commands. Kills run the
// real CLI (dist/cli.js) as a child process and SIGKILL it when its progress output names the step.
// Each case appends one row to the fault table printed at the end (GL_FAULT_TABLE=<file> writes it).
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync, closeSync, appendFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Secret } from '../../src/core/common/secret';
import { configSchema, type GreenlightConfig } from '../../src/core/config/schema';
import { tailAudit, type AuditRecord } from '../../src/core/deploy/audit';
import { deploy, type DeployRequest } from '../../src/core/deploy/deploy';
import { resolveEnvironment } from '../../src/core/deploy/environment';
import { probe } from '../../src/core/deploy/health';
import { acquireLock, readLock, type LockHolder } from '../../src/core/deploy/lock';
import { LABEL } from '../../src/core/deploy/plan';
import { listRetained } from '../../src/core/deploy/rollback';
import { openLedger, type TestedImageLedger } from '../../src/core/images/ledger';
import { localDocker } from '../../src/core/images/adapters/dockerodeAdapter';
import type { DockerEngine } from '../../src/core/images/docker';
import type { RemoteHost } from '../../src/core/ship/remoteHost';
import { buildAppImage } from '../integration/deploy/appImages';
import { DB_PASSWORD, bed, connect, recordingContext, type Bed } from '../integration/deploy/bed';

const PORT = 18410;
const PROJECT = 'faults-it';
const HEALTH_TIMEOUT_S = 8;
const CLI = path.resolve(__dirname, '../../dist/cli.js');
const table: string[] = [];

suite('(faults) deploys broken on purpose on the production host', function () {
  this.timeout(180000);
  let b: Bed;
  let host: RemoteHost;
  let local: DockerEngine;
  let ledger: TestedImageLedger;
  let workspace: string;
  let config: GreenlightConfig;
  let stateDir: string;
  let backupsDir: string;
  const tag = Math.random().toString(16).slice(2, 8);
  const mounts: string[] = [];

  const raw = (over: { backupsDir?: string; dbPort?: number; hostKey?: string; releaseTasks?: boolean } = {}): Record<string, unknown> => ({
    project: PROJECT,
    services: [{ name: 'web', port: PORT, env: { BIND: b.prodIp }, health: { path: '/cgi-bin/health', timeoutSeconds: HEALTH_TIMEOUT_S, intervalMs: 200 } }],
    database: { kind: 'postgres', name: 'appdb' },
    environments: {
      production: {
        ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: over.hostKey ?? b.hostKey },
        docker: { socket: b.dockerSock },
        database: { host: '127.0.0.1', port: over.dbPort ?? 5432, name: 'appdb', user: 'app', passwordEnv: 'GL_TEST_DB_PASSWORD' },
        backups: { dir: over.backupsDir ?? backupsDir, keep: 20 },
        stateDir,
        keepVersions: 2,
        // A release task long enough for a kill to land in it.
        releaseTasks: over.releaseTasks === false ? [] : [{ name: 'warm', command: ['/bin/busybox', 'sleep', '2'] }],
      },
    },
  });
  const cfg = (over: Parameters<typeof raw>[0] = {}): GreenlightConfig => configSchema.parse(raw(over));
  const request = (v: string, over: Partial<DeployRequest> = {}, c = config): DeployRequest => ({
    config: c,
    environment: resolveEnvironment(c, workspace, 'production', new Secret(DB_PASSWORD)),
    image: `${PROJECT}-web:${v}`,
    ledger,
    secrets: { dbPassword: new Secret(DB_PASSWORD), env: {} },
    who: 'faults',
    ...over,
  });

  /** The version answering healthy on the serving port, or what answered instead. */
  const serving = async (): Promise<string> => {
    const p = await probe(host, b.prodIp, PORT, '/cgi-bin/health', { timeoutMs: 1500 }).catch((e: Error) => ({ status: 0, body: '', error: e.message }));
    return p.status === 200 ? (JSON.parse(p.body) as { version: string }).version : `HTTP ${p.status}`;
  };
  const healthy = (s: string): boolean => !s.startsWith('HTTP');

  /** Polls the serving port until stopped; the longest stretch without a healthy answer. */
  const watchOutage = (): { stop: () => Promise<number> } => {
    let running = true;
    let longest = 0;
    let downSince: number | undefined;
    const loop = (async () => {
      while (running) {
        const ok = healthy(await serving());
        const now = Date.now();
        if (!ok && downSince === undefined) downSince = now;
        if (ok && downSince !== undefined) {
          longest = Math.max(longest, now - downSince);
          downSince = undefined;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      if (downSince !== undefined) longest = Math.max(longest, Date.now() - downSince);
    })();
    return { stop: async () => ((running = false), await loop, longest) };
  };

  interface CliRun {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly out: string;
    readonly err: string;
    readonly killed: boolean;
    readonly pid: number;
  }
  /** Runs dist/cli.js in the workspace; SIGKILLs it `delayMs` after its stderr first matches `killOn`. */
  const cli = (args: string[], o: { killOn?: RegExp; delayMs?: number } = {}): Promise<CliRun> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: workspace, env: { ...process.env, GL_TEST_DB_PASSWORD: DB_PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let killed = false;
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (o.killOn && !killed && o.killOn.test(err)) {
          killed = true;
          setTimeout(() => child.kill('SIGKILL'), o.delayMs ?? 0);
        }
      });
      child.on('close', (code, signal) => resolve({ code, signal, out, err, killed, pid: child.pid! }));
    });

  const audit = async (): Promise<AuditRecord[]> => tailAudit(recordingContext(), host, stateDir, 400);
  const lock = async (): Promise<LockHolder | undefined | 'free'> => readLock(recordingContext(), host, stateDir);
  const leftovers = async (): Promise<string[]> =>
    (await host.docker.listContainers({ [LABEL.project]: PROJECT })).map((c) => c.name).filter((n) => n.endsWith('-next') || n.includes('-task-'));
  const row = (fault: string, outcome: string): void => void table.push(`| ${fault} | ${outcome} |`);
  const versions: Record<string, string> = {};
  const build = async (v: string, opts: Parameters<typeof buildAppImage>[2] = {}): Promise<void> => {
    versions[v] = buildAppImage(`${PROJECT}-web:${v}`, v, opts);
    await ledger.record({ imageId: versions[v]!, service: 'web', version: v, tags: [`${PROJECT}-web:${v}`], gitSha: 'faults', result: 'passed', durationMs: 1, logExcerpt: '', testedAt: new Date().toISOString() });
  };
  const cleanHost = async (): Promise<void> => {
    for (const c of await host.docker.listContainers({ [LABEL.project]: PROJECT })) await host.docker.removeContainer(c.id);
  };

  suiteSetup(async () => {
    b = bed();
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (node scripts/build.mjs)`);
    if (process.getuid?.() !== 0) throw new Error('the fault suite mounts a small tmpfs as the backup disk: run it as root');
    workspace = mkdtempSync(path.join(os.tmpdir(), 'gl-faults-'));
    stateDir = `.greenlight/faults-it-${tag}`;
    backupsDir = `${b.backupsDir}/faults-it-${tag}`;
    ledger = await openLedger(workspace);
    writeFileSync(path.join(workspace, 'greenlight.yaml'), JSON.stringify(raw(), null, 2));
    config = cfg();
    local = localDocker();
    host = await connect(b, recordingContext());
    await cleanHost();
    for (const v of ['v1', 'v2', 'v3', 'v4']) await build(v);
    await build('bad-after-switch', { failOnPort: PORT });
    for (const s of KILL_STEPS) await build(`k-${s.replace(/\W+/g, '-')}`);
    await build('big-once', { padBytes: 20_000_000 });
    await build('big-never', { padBytes: 20_000_000 });
    // The SSH-drop cases need images the host does not have yet (an earlier run shipped them).
    for (const v of ['big-once', 'big-never']) {
      await host.docker.removeImage(`${PROJECT}-web:${v}`).catch(() => undefined);
      await host.docker.removeImage(versions[v]!).catch(() => undefined);
    }
    const r = await deploy(recordingContext(), local, host, request('v1'));
    assert.equal(r.outcome, 'succeeded', r.message);
  });

  suiteTeardown(async () => {
    for (const m of mounts) {
      try {
        execFileSync('umount', [m]);
        rmSync(m, { recursive: true, force: true });
      } catch {
        // Left for the next run's clean-up: the mount point is under this run's own directory.
      }
    }
    if (host) {
      await cleanHost().catch(() => undefined);
      host.close();
    }
    local?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
    const text = ['| fault | outcome |', '|---|---|', ...table].join('\n');
    console.log(`\n${text}\n`);
    if (process.env.GL_FAULT_TABLE) appendFileSync(process.env.GL_FAULT_TABLE, `${text}\n`);
  });

  // The CLI killed at each deploy step; `recover` then brings back a known healthy version.
  const KILL_STEPS = ['lock', 'ship', 'backup', 'release task', 'start', 'health', 'switch', 'post-checks'];
  // When to kill: the progress line that opens the step, and a delay that lands the kill inside it
  // (the release task sleeps 2 s; the switch is killed while the old version stops or the new one starts;
  // post-checks wait 1 s before probing).
  const KILL_AT: Record<string, { line: RegExp; delayMs: number }> = {
    lock: { line: /^» lock/m, delayMs: 0 },
    ship: { line: /^» ship/m, delayMs: 0 },
    backup: { line: /^» backup/m, delayMs: 150 },
    'release task': { line: /^» release task/m, delayMs: 1000 },
    start: { line: /^» start/m, delayMs: 50 },
    health: { line: /^» health/m, delayMs: 100 },
    switch: { line: /^» switch: stopping/m, delayMs: 400 },
    'post-checks': { line: /^» post-checks/m, delayMs: 500 },
  };
  for (const step of KILL_STEPS) {
    test(`SIGKILL at "${step}": recover returns a healthy known version, lock free, all audited`, async () => {
      const v = `k-${step.replace(/\W+/g, '-')}`;
      const before = await serving();
      assert.ok(healthy(before), `a healthy version serves before the kill (${before})`);
      const watch = watchOutage();
      const run = await cli(['deploy', `${PROJECT}-web:${v}`, '--env', 'production', '--force-backup'], { killOn: KILL_AT[step]!.line, delayMs: KILL_AT[step]!.delayMs });
      assert.equal(run.signal, 'SIGKILL', `the CLI was killed at ${step}:\n${run.err}`);
      const afterKill = await serving();
      const held = await lock();
      const rec = await cli(['recover', '--env', 'production']);
      const outageMs = await watch.stop();
      assert.equal(rec.code, 0, rec.out + rec.err);
      const now = await serving();
      assert.ok(now === before || now === v, `after recover ${now} serves (before: ${before}, deployed: ${v})`);
      assert.equal(await lock(), 'free', 'recover released the lock');
      assert.deepEqual(await leftovers(), [], 'no -next or task containers left');
      const a = await audit();
      assert.equal(a[0]?.action, 'recover', JSON.stringify(a[0]));
      if (held !== 'free') {
        assert.equal(typeof held, 'object', 'the lock of the killed deploy names its holder');
        assert.equal(held!.pid, run.pid);
        const interrupted = a.find((x) => x.result === 'interrupted' && x.deployId === held!.deployId);
        assert.ok(interrupted, `the killed deploy is audited as interrupted: ${JSON.stringify(a.slice(0, 4))}`);
        assert.ok(a.some((x) => x.action === 'lock-break' && x.interruptedDeployId === held!.deployId), 'the lock break is audited');
      }
      // Until the switch the old version keeps serving; in the switch the guard on the host puts it back.
      assert.ok(outageMs <= HEALTH_TIMEOUT_S * 1000, `no healthy version for ${outageMs} ms`);
      if (step === 'switch') assert.ok(a.some((x) => x.result === 'rolled-back' && /switch guard/.test(x.message ?? '')), 'the guard on the host audited its restore');
      row(
        `SIGKILL at ${step}`,
        `right after the kill: ${afterKill} serving, lock ${held === "free" ? "free" : `held at step ${held?.step ?? "lock"}`}; recover: ${rec.out.split(':')[0]}, ${now} serving, lock free, audited (${held === 'free' ? 'recover' : 'interrupted + lock-break + recover'}); longest stretch without a healthy answer ${outageMs} ms`,
      );
    });
  }

  test('killed during the post-switch health check of a failing version: the next deploy --break-lock restores the healthy one and keeps it as the rollback target', async () => {
    const before = await serving();
    const run = await cli(['deploy', `${PROJECT}-web:bad-after-switch`, '--env', 'production'], { killOn: /health check \(switch\)|» switch: stopping/, delayMs: 2500 });
    assert.equal(run.signal, 'SIGKILL', run.err);
    const afterKill = await serving();
    // Nobody runs anything: the guard on the host must bring the healthy version back on its own.
    const t0 = Date.now();
    let back = afterKill;
    while (back !== before && Date.now() - t0 < HEALTH_TIMEOUT_S * 1000) back = await serving();
    const backMs = Date.now() - t0;
    assert.equal(back, before, `the host put ${before} back by itself within the health timeout (got ${back})`);
    const next = await cli(['deploy', `${PROJECT}-web:v2`, '--env', 'production', '--break-lock', '--json']);
    assert.equal(next.code, 0, next.err);
    const r = JSON.parse(next.out) as { previousVersion?: string; outcome: string };
    assert.equal(r.previousVersion, before, 'the rollback target is the healthy version, not the failing one');
    assert.equal(await serving(), 'v2');
    const kept = (await listRetained(host, config, 'production', 'web')).map((c) => c.labels[LABEL.version]);
    assert.ok(!kept.includes('bad-after-switch'), `the failing version is not retained: ${kept.join(', ')}`);
    const a = await audit();
    assert.ok(a.some((x) => x.action === 'recover'), 'the recovery run by the deploy is audited');
    row('SIGKILL in the post-switch health check of a failing version, then deploy --break-lock', `right after the kill: ${afterKill}; ${before} serving again ${backMs} ms later without any command (switch guard on the host); the next deploy recovered (${before} kept), then deployed v2 with ${r.previousVersion} as rollback target; failing version not retained`);
  });

  test('SSH dropped once mid-ship: retried, the deploy succeeds', async () => {
    const h = await connect(b, recordingContext());
    let drops = 0;
    const ctx = recordingContext(undefined, (p) => {
      if (drops === 0 && /MB sent/.test(p.message ?? '') && parseInt(p.message!, 10) >= 8) {
        drops++;
        h.connection.destroyForTest();
      }
    });
    try {
      const r = await deploy(ctx, local, h, request('big-once', {}, cfg({ releaseTasks: false })));
      assert.equal(drops, 1);
      assert.equal(r.outcome, 'succeeded', r.message);
      assert.equal(r.ship?.attempts, 2);
      assert.equal(await serving(), 'big-once');
      assert.equal(await lock(), 'free');
      row('SSH dropped once mid-ship', `ship retried (attempt 2), deploy succeeded, big-once serving, lock free, audited succeeded`);
    } finally {
      h.close();
    }
  });

  test('SSH dropped on every attempt: a clean failure; the lock left behind is broken by the next deploy, which audits the lost one', async () => {
    const before = await serving();
    const h = await connect(b, recordingContext());
    let drops = 0;
    const ctx = recordingContext(undefined, (p) => {
      if (/MB sent/.test(p.message ?? '') && parseInt(p.message!, 10) >= 8) {
        drops++;
        h.connection.destroyForTest();
      }
    });
    let r;
    try {
      r = await deploy(ctx, local, h, request('big-never', {}, cfg({ releaseTasks: false })));
    } finally {
      h.close();
    }
    assert.equal(r.outcome, 'failed');
    assert.ok(drops >= 3, `dropped on every attempt (${drops})`);
    assert.match(r.message, /dropped 3 times; gave up/);
    assert.equal(await serving(), before, 'production untouched');
    const held = await lock();
    const lostAudited = (await audit()).some((x) => x.deployId === r.deployId);
    // The next deploy from this machine finds the lock of a deploy that no longer runs, breaks it, audits both.
    const next = await deploy(recordingContext(), local, host, request('v3'));
    assert.equal(next.outcome, 'succeeded', next.message);
    assert.equal(await serving(), 'v3');
    const a = await audit();
    if (held !== 'free') {
      assert.equal((held as LockHolder).deployId, r.deployId);
      assert.ok(a.some((x) => x.deployId === r.deployId && x.result === 'interrupted'), 'the lost deploy is audited as interrupted');
      assert.ok(a.some((x) => x.action === 'lock-break' && x.interruptedDeployId === r.deployId), 'the automatic break is audited');
    } else {
      assert.ok(lostAudited, 'the failed deploy is audited');
    }
    assert.equal(await lock(), 'free');
    row('SSH dropped on every ship attempt', `deploy failed after 3 attempts ("dropped 3 times; gave up"), ${before} still serving; lock ${held === 'free' ? 'released' : 'left held (the host was unreachable)'}; the next deploy broke it automatically (holder no longer runs), audited interrupted + lock-break, v3 serving`);
  });

  test('keepVersions counts versions: redeploying one version keeps the older versions', async () => {
    for (const v of ['v4', 'v4', 'v4']) assert.equal((await deploy(recordingContext(), local, host, request(v, {}, cfg({ releaseTasks: false })))).outcome, 'succeeded');
    const kept = (await listRetained(host, config, 'production', 'web')).map((c) => c.labels[LABEL.version]);
    assert.deepEqual(kept, ['v3', 'big-once'], `retained: ${kept.join(', ')}`);
    row('same version deployed 3 times (keepVersions 2)', `retained ${kept.join(', ')}: two distinct older versions kept`);
  });

  test('concurrent deploys: one runs, the other is refused naming the holder, and the refusal is audited', async () => {
    const [x, y] = await Promise.all([cli(['deploy', `${PROJECT}-web:v1`, '--env', 'production']), cli(['deploy', `${PROJECT}-web:v2`, '--env', 'production'])]);
    const codes = [x.code, y.code].sort();
    assert.deepEqual(codes, [0, 1], `${x.err}\n----\n${y.err}`);
    const loser = x.code === 1 ? x : y;
    assert.match(loser.err + loser.out, /deploy lock on .* is held by/);
    const won = x.code === 0 ? 'v1' : 'v2';
    assert.equal(await serving(), won);
    assert.equal(await lock(), 'free');
    assert.ok((await audit()).some((a) => a.result === 'refused' && /held by/.test(a.message ?? '')), 'the refused deploy is audited');
    row('two deploys at once', `${won} deployed, the other refused naming the holder (exit 1), refusal audited, lock free`);
  });

  test('rollback refuses a stale lock of another machine, and --break-lock breaks it (audited)', async () => {
    const before = await serving();
    await acquireLock(recordingContext(), host, stateDir, { who: 'someone', machine: 'another-machine', pid: 4242, since: new Date().toISOString(), what: 'deploy web v9', deployId: 'stale-1', env: 'production' });
    const refused = await cli(['rollback', '--env', 'production']);
    assert.equal(refused.code, 1);
    assert.match(refused.err + refused.out, /held by someone on another-machine/);
    const r = await cli(['rollback', '--env', 'production', '--break-lock']);
    assert.equal(r.code, 0, r.err + r.out);
    const now = await serving();
    assert.notEqual(now, before);
    assert.ok(healthy(now));
    const a = await audit();
    assert.ok(a.some((x) => x.action === 'lock-break' && x.interruptedDeployId === 'stale-1'));
    assert.ok(a.some((x) => x.action === 'rollback' && x.result === 'refused'));
    // The broken holder's record is dealt with by recover: nothing to fix here, the serving version is kept.
    const rec = await cli(['recover', '--env', 'production']);
    assert.equal(rec.code, 0, rec.err);
    assert.match(rec.out, /^kept/);
    row('stale lock of another machine, then rollback', `rollback refused naming the holder (audited refused); rollback --break-lock: ${now} serving, break audited; recover: kept`);
  });

  test('database unreachable: refused at preflight, nothing changed, the refusal audited', async () => {
    const before = await serving();
    const r = await deploy(recordingContext(), local, host, request('v2', {}, cfg({ dbPort: 5439, releaseTasks: false }))).then(
      (x) => x.message,
      (e: Error) => e.message,
    );
    assert.match(r, /not reachable/);
    assert.equal(await serving(), before);
    assert.equal(await lock(), 'free');
    assert.equal((await audit())[0]?.result, 'refused');
    row('database unreachable', `refused at preflight after 30 s ("not reachable"), ${before} still serving, lock free, audited refused`);
  });

  test('host key changed: refused before anything reaches the host', async () => {
    const before = await serving();
    const n = (await audit()).length;
    const keyDir = mkdtempSync(path.join(os.tmpdir(), 'gl-faults-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'k')]);
    const other = execFileSync('cat', [path.join(keyDir, 'k.pub')]).toString().trim().split(' ').slice(0, 2).join(' ');
    rmSync(keyDir, { recursive: true, force: true });
    writeFileSync(path.join(workspace, 'greenlight-badkey.yaml'), JSON.stringify(raw({ hostKey: other }), null, 2));
    const run = await cli(['deploy', `${PROJECT}-web:v3`, '--env', 'production', '-c', 'greenlight-badkey.yaml']);
    assert.notEqual(run.code, 0);
    assert.match(run.err, /host key/i);
    assert.equal(await serving(), before);
    assert.equal(await lock(), 'free');
    assert.equal((await audit()).length, n, 'nothing reached the host, not even the audit log');
    row('host key changed', `refused (exit ${run.code}, "${/[^\n]*host key[^\n]*/i.exec(run.err)?.[0]?.slice(0, 80)}"), ${before} still serving, nothing written on the host`);
  });

  test('backup disk full before preflight: refused, nothing changed', async () => {
    const dir = `${b.backupsDir}/faults-it-${tag}-full`;
    mount(dir, '16m');
    const before = await serving();
    const r = await deploy(recordingContext(), local, host, request('v2', { backup: 'always' }, cfg({ backupsDir: dir, releaseTasks: false }))).then(
      (x) => x.message,
      (e: Error) => e.message,
    );
    assert.match(r, /only \d+ MB free/);
    assert.equal(await serving(), before);
    assert.equal(await lock(), 'free');
    assert.equal((await audit())[0]?.result, 'refused');
    row('backup disk full before preflight (16 MB tmpfs)', `refused at preflight ("${/only \d+ MB free[^;]*/.exec(r)?.[0]}"), ${before} still serving, lock free, audited refused`);
  });

  test('backup disk fills after preflight: the backup fails, production untouched, no partial dump left', async () => {
    const dir = `${b.backupsDir}/faults-it-${tag}-fills`;
    mount(dir, '300m');
    const before = await serving();
    let filled = false;
    const ctx = recordingContext(undefined, (p) => {
      if (!filled && p.step === 'lock') {
        filled = true;
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${dir}/filler`, 'bs=1M'], { stdio: 'ignore' });
        } catch {
          // dd stops with "No space left on device": the disk is full, which is the point.
        }
      }
    });
    const r = await deploy(ctx, local, host, request('v2', { backup: 'always' }, cfg({ backupsDir: dir, releaseTasks: false })));
    assert.ok(filled);
    assert.equal(r.outcome, 'failed', r.message);
    assert.match(r.message, /space|backup/i);
    assert.equal(await serving(), before);
    assert.equal(await lock(), 'free');
    assert.equal((await audit())[0]?.result, 'failed');
    assert.deepEqual(readdirSync(dir), ['filler'], 'no dump or partial file left');
    unlinkSync(`${dir}/filler`);
    row('backup disk fills after preflight (300 MB tmpfs filled)', `deploy failed at backup ("${r.message.slice(0, 90)}…"), ${before} still serving, lock free, audited failed, no partial file`);
  });

  test('backups corrupted, truncated or without metadata: listed as changed / never checked, and verify fails', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await cli(['backup', 'create', '--env', 'production']);
      assert.equal(c.code, 0, c.err);
      ids.push(/^(\S+)/.exec(c.out)![1]!);
      await new Promise((r) => setTimeout(r, 1100)); // backup ids carry the second
    }
    const [corrupt, truncated, nometa] = ids as [string, string, string];
    // Two seconds later, so the rewrite's mtime is after the check at creation.
    await new Promise((r) => setTimeout(r, 2000));
    const fd = openSync(`${backupsDir}/${corrupt}.dump`, 'r+');
    writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, 200);
    closeSync(fd);
    truncateSync(`${backupsDir}/${truncated}.dump`, 300);
    unlinkSync(`${backupsDir}/${nometa}.meta.json`);
    const list = await cli(['backup', 'list', '--env', 'production']);
    const line = (id: string): string => list.out.split('\n').find((l) => l.startsWith(id)) ?? '';
    assert.match(line(corrupt), /CHANGED since its check/);
    assert.match(line(truncated), /CHANGED since its check/);
    assert.match(line(nometa), /never checked/);
    for (const id of ids) {
      const v = await cli(['backup', 'verify', '--env', 'production', id]);
      assert.notEqual(v.code, 0, `verify of damaged ${id} fails:\n${v.out}${v.err}`);
    }
    row('backups corrupted / truncated / without metadata', 'backup list: "CHANGED since its check at …" / "CHANGED …" / "never checked"; backup verify exits non-zero for all three');
  });

  function mount(dir: string, size: string): void {
    const uid = execFileSync('id', ['-u', b.sshUser]).toString().trim();
    const gid = execFileSync('id', ['-g', b.sshUser]).toString().trim();
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=700,uid=${uid},gid=${gid}`, 'tmpfs', dir]);
    mounts.push(dir);
  }
});
