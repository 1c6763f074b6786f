// CLI habits: one updating progress line for transfers on a terminal (and few lines off one),
// colour that follows NO_COLOR / FORCE_COLOR / the terminal, and --json on every verb that
// prints a result.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { commandTree } from '../../../src/cli/commands/completion';
import { cliContext, type CliIo } from '../../../src/cli/io';
import { buildProgram, runCli } from '../../../src/cli/program';
import { formatDuration, transferLine, transferText, type TransferLine } from '../../../src/cli/progress';
import { colorEnabled } from '../../../src/cli/style';
import { captureIo } from './captureIo';

const ROOT = path.join(__dirname, '../../..');

/** A terminal-like stream: it says it is a TTY 120 columns wide and keeps what was written. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 120;
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

suite('(unit) cli: transfer progress', () => {
  test('the line shows label, bar, bytes of total, rate and ETA', () => {
    const t = transferText('ship', 50e6, 200e6, 5000, 8);
    assert.equal(t, 'ship ██░░░░░░  25%  50.0 MB / 200.0 MB  10.0 MB/s  ETA 0:15');
    assert.equal(transferText('download x', 200e6, 200e6, 10_000, 4), 'download x ████ 100%  200.0 MB / 200.0 MB  20.0 MB/s  done');
    assert.equal(transferText('export web', 1500, undefined, 1000), 'export web  1.5 kB  1.5 kB/s');
    assert.equal(formatDuration(3725), '1:02:05');
  });

  test('on a terminal, a hundred updates redraw one line: no newline until the transfer ends', async () => {
    const term = new FakeTerminal();
    let clock = 0;
    const line = transferLine(term, () => clock);
    for (let i = 0; i <= 100; i++) {
      clock = i * 50;
      line.update('ship', i * 4e6, 400e6);
      await new Promise((r) => setImmediate(r));
    }
    line.end();
    const newlines = term.text.split('\n').length - 1;
    assert.equal(newlines, 1, `one line, ended once; got ${newlines} newlines`);
    assert.match(term.text, /\x1b\[\d*G/, 'the cursor goes back to the start of the line to redraw');
    const last = term.text.split(/\x1b\[\d*G/).pop()!.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    assert.match(last, /^ship █+ 100%  400\.0 MB \/ 400\.0 MB  80\.0 MB\/s  done/);
  });

  test('cliContext: transfer progress goes to the terminal line; other progress ends it and prints as before', () => {
    const calls: string[] = [];
    const transfer: TransferLine = { update: (l, d, t) => calls.push(`update ${l} ${d}/${t}`), end: () => calls.push('end') };
    const io: CliIo = { ...captureIo('/'), transfer };
    const ctx = cliContext(io, new AbortController().signal);
    ctx.progress({ step: 'ship', message: '4 MB sent', bytes: { done: 4e6, total: 8e6 } });
    ctx.progress({ step: 'ship', message: '8 MB sent', bytes: { done: 8e6, total: 8e6 } });
    assert.deepEqual(calls, ['update ship 4000000/8000000', 'update ship 8000000/8000000']);
    assert.deepEqual((io as ReturnType<typeof captureIo>).stderr, []);
  });

  test('off a terminal, a 400 MB transfer in 4 MB steps logs one line per tenth, not one per step', () => {
    const io = captureIo('/');
    const ctx = cliContext(io, new AbortController().signal);
    for (let i = 1; i <= 100; i++) ctx.progress({ step: 'ship', message: `${i * 4} MB sent`, bytes: { done: i * 4e6, total: 400e6 } });
    assert.equal(io.stderr.length, 11, io.stderr.join('\n'));
    assert.equal(io.stderr[0], '» ship: 1% of 400.0 MB');
    assert.equal(io.stderr[1], '» ship: 10% of 400.0 MB');
    assert.equal(io.stderr[10], '» ship: 100% of 400.0 MB');
  });

  test('off a terminal with no known total: one line per 30 s', () => {
    const io = captureIo('/');
    let clock = 0;
    const ctx = cliContext(io, new AbortController().signal, () => clock);
    for (let i = 0; i < 100; i++) {
      clock = i * 1000;
      ctx.progress({ step: 'download', bytes: { done: i * 1e6 } });
    }
    assert.deepEqual(io.stderr, ['» download: 0.0 MB', '» download: 30.0 MB', '» download: 60.0 MB', '» download: 90.0 MB']);
  });
});

suite('(unit) cli: colour', () => {
  test('FORCE_COLOR decides when set, then NO_COLOR, then a terminal that is not dumb', () => {
    assert.equal(colorEnabled({}, true), true);
    assert.equal(colorEnabled({}, false), false);
    assert.equal(colorEnabled({ NO_COLOR: '1' }, true), false);
    assert.equal(colorEnabled({ NO_COLOR: '' }, true), true, 'an empty NO_COLOR does not count (no-color.org)');
    assert.equal(colorEnabled({ TERM: 'dumb' }, true), false);
    assert.equal(colorEnabled({ FORCE_COLOR: '1' }, false), true);
    assert.equal(colorEnabled({ FORCE_COLOR: '' }, false), true);
    assert.equal(colorEnabled({ FORCE_COLOR: '0' }, true), false);
    assert.equal(colorEnabled({ FORCE_COLOR: 'false' }, true), false);
    assert.equal(colorEnabled({ FORCE_COLOR: '1', NO_COLOR: '1' }, false), true);
  });

  // The real binary's streams (through tsx): an error is red only when colour is on.
  const runReal = (env: NodeJS.ProcessEnv): { status: number | null; stderr: string } => {
    const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-colour-'));
    try {
      writeFileSync(path.join(dir, 'greenlight.yaml'), 'project: demo\nservics: []\n');
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'config', 'check', '-c', path.join(dir, 'greenlight.yaml')], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, encoding: 'utf8' });
      return { status: r.status, stderr: r.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('greenlight config check: red problem count with FORCE_COLOR=1, plain with NO_COLOR=1 or off a terminal', () => {
    const forced = runReal({ FORCE_COLOR: '1' });
    assert.equal(forced.status, 2);
    assert.match(forced.stderr, /\x1b\[31m1 problem in \S*greenlight\.yaml\x1b\[39m/);
    for (const env of [{ NO_COLOR: '1' }, {}]) {
      const r = runReal(env);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /greenlight\.yaml:2:1: \(top level\): unknown key "servics"/);
      assert.ok(!r.stderr.includes('\x1b['), JSON.stringify(r.stderr));
    }
  });
});

suite('(unit) cli: --json', () => {
  test('every verb that prints a result takes --json', () => {
    // completion prints a script, lint has --format json (sarif, …), init writes (or --print shows) the
    // YAML file, and logs and exec pass a container's own output through: they are the exceptions.
    const leaves = commandTree(buildProgram(captureIo('/'))).filter((n) => n.path !== '' && n.subs.length === 0 && !['completion', 'lint', 'init', 'logs', 'exec'].includes(n.path));
    assert.ok(leaves.length >= 20, `only ${leaves.length} verbs found`);
    const without = leaves.filter((n) => !n.options.some((o) => o.long === '--json')).map((n) => n.path);
    assert.deepEqual(without, []);
  });

  test('export --verify --json prints the results as JSON, and exit 1 for a corrupt file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'greenlight-json-'));
    try {
      writeFileSync(path.join(dir, 'web-1.tar.gz'), 'image bytes');
      const sum = createHash('sha256').update('image bytes').digest('hex');
      writeFileSync(path.join(dir, 'web-1.tar.gz.sha256'), `${sum}  web-1.tar.gz\n`);
      writeFileSync(path.join(dir, 'api-1.tar.gz'), 'changed');
      writeFileSync(path.join(dir, 'api-1.tar.gz.sha256'), `${sum}  api-1.tar.gz\n`);
      const io = captureIo(dir);
      assert.equal(await runCli(['export', '--verify', '.', '--json'], io), 1);
      const results = JSON.parse(io.stdout.join('\n')) as { file: string; ok: boolean }[];
      assert.deepEqual(results.map((r) => [r.file, r.ok]).sort(), [['api-1.tar.gz', false], ['web-1.tar.gz', true]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
