// Small helpers shared by the test-bed suites: HTTP polling, a free loopback port, SSH options with
// the pinned host key, and building the busybox test image from Node.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, chmodSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { Client, type ConnectConfig } from 'ssh2';
import * as tar from 'tar-fs';
import type { Testbed } from '../testbed';

export const APP_DIR = path.resolve(__dirname, '../../testbed/images/busybox-app');

export interface HttpResult { status: number; body: string }

/** One GET with a 2 s timeout; a connection error resolves to status 0 and the error code. */
export function get(url: string): Promise<HttpResult> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: e.code ?? e.message }));
  });
}

/** Polls url until it answers with any HTTP status (the server is up), for at most `ms`. */
export async function waitHttp(url: string, ms = 10000): Promise<HttpResult> {
  const until = Date.now() + ms;
  let last: HttpResult = { status: 0, body: 'never tried' };
  while (Date.now() < until) {
    last = await get(url);
    if (last.status !== 0) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} did not answer within ${ms} ms (last: ${last.body})`);
}

/** A port that is free on 127.0.0.1 right now (the kernel picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The raw key blob of an OpenSSH public key line "type base64 [comment]". */
export function keyBlob(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1];
  if (!b64) throw new Error(`not an OpenSSH public key line: ${line}`);
  return Buffer.from(b64, 'base64');
}

/** SSH options for the production host; the host key must equal `pinned` ("ssh-ed25519 AAAA…"). */
export function sshOptions(tb: Testbed, pinned: string, seen?: Buffer[]): ConnectConfig {
  const want = keyBlob(pinned);
  return {
    host: tb.sshHost,
    port: tb.sshPort,
    username: tb.sshUser,
    privateKey: readFileSync(tb.sshKeyFile),
    readyTimeout: 10000,
    hostVerifier: (key: Buffer) => {
      seen?.push(key);
      return key.equals(want);
    },
  };
}

/** Builds greenlight-test/busybox-app:<version> on `docker` with no network; returns the image id. */
export async function buildBusyboxImage(docker: Docker, version: string): Promise<string> {
  const bb = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
  if (!bb) throw new Error('busybox is not installed (run bash test/testbed/up.sh, which installs busybox-static)');
  const ctx = mkdtempSync(path.join(tmpdir(), 'gl-bb-ctx-'));
  try {
    cpSync(APP_DIR, ctx, { recursive: true });
    cpSync(realpathSync(bb), path.join(ctx, 'busybox'));
    chmodSync(path.join(ctx, 'busybox'), 0o755);
    chmodSync(path.join(ctx, 'www/cgi-bin/health'), 0o755);
    const tag = `greenlight-test/busybox-app:${version}`;
    const stream = await docker.buildImage(tar.pack(ctx) as unknown as NodeJS.ReadableStream, { t: tag, networkmode: 'none', buildargs: { APP_VERSION: version } });
    const out: Array<{ error?: string; stream?: string }> = await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, res: Array<{ error?: string }>) => (err ? reject(err) : resolve(res))));
    const failed = out.find((o) => o.error);
    if (failed) throw new Error(`docker build ${tag} failed: ${failed.error}`);
    return (await docker.getImage(tag).inspect()).Id;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** Removes a container if it exists (cleanup must not mask the test's own failure). */
export async function removeQuietly(docker: Docker, name: string): Promise<void> {
  try { await docker.getContainer(name).remove({ force: true }); } catch { /* not there */ }
}

export interface ExecResult { code: number | null; stdout: string; stderr: string }

/** Runs a fixed command (never built from input) on the production host over one SSH connection. */
export function sshExec(options: ConnectConfig, command: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    conn.on('error', reject);
    conn.on('ready', () => {
      conn.exec(command, (err, stream) => {
        if (err) { conn.end(); reject(err); return; }
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
        stream.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
        stream.on('close', (code: number | null) => { conn.end(); resolve({ code, stdout, stderr }); });
      });
    });
    conn.connect(options);
  });
}
