// One production host for the length of one operation: the SSH connection, the Docker engine
// reached through it, and the commands run on it. Every remote command is an argv array; the
// optional `secrets` are redacted from any error text built from the command's output.
import * as net from 'node:net';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { OperationError } from '../common/errors';
import { sleep, type JobContext } from '../common/job';
import { redact, type Secret } from '../common/secret';
import type { EnvironmentConfig } from '../config/schema';
import type { DockerEngine } from '../images/docker';
import { remoteDocker, type ChannelStats, type RemoteDockerTransport } from '../images/adapters/dockerodeAdapter';
import { AuthenticationError, ConnectionLostError, HostKeyError, SshConnection, SshNotConfiguredError, describeTarget, type ExecResult, type SshTarget } from './sshAdapter';

export function sshTargetOf(env: EnvironmentConfig, configRoot: string): SshTarget {
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : p.startsWith('~/') || path.isAbsolute(p) ? p : path.resolve(configRoot, p));
  return {
    host: env.ssh.host,
    port: env.ssh.port,
    user: env.ssh.user,
    identityFile: abs(env.ssh.identityFile),
    hostKey: env.ssh.hostKey,
    knownHostsFile: abs(env.ssh.knownHostsFile),
  };
}

export interface RunOptions {
  readonly stdin?: string | Buffer | Readable;
  readonly stdout?: Writable;
  readonly signal?: AbortSignal;
  readonly secrets?: readonly Secret[];
  /** Exit codes that are not failures (default [0]). */
  readonly okCodes?: readonly number[];
}

export class RemoteHost {
  readonly channelStats: ChannelStats = { opened: 0 };
  #conn: SshConnection;
  #docker: DockerEngine;

  private constructor(
    readonly target: SshTarget,
    private readonly socketPath: string,
    private readonly transport: RemoteDockerTransport,
    conn: SshConnection,
  ) {
    this.#conn = conn;
    this.#docker = remoteDocker(conn, socketPath, transport, this.channelStats);
  }

  /**
   * Connects, retrying refused/timed-out connections for up to `retryForMs` (a host that is
   * rebooting), but never a refused host key.
   */
  static async connect(
    target: SshTarget,
    socketPath: string,
    ctx: Pick<JobContext, 'signal' | 'log'>,
    opts: ConnectOptions & { transport?: RemoteDockerTransport } = {},
  ): Promise<RemoteHost> {
    const conn = await connectWithRetry(target, ctx, opts.retryForMs ?? 0, opts);
    return new RemoteHost(target, socketPath, opts.transport ?? 'socket', conn);
  }

  get docker(): DockerEngine {
    return this.#docker;
  }

  get connection(): SshConnection {
    return this.#conn;
  }

  get where(): string {
    return describeTarget(this.target);
  }

  /** Replaces a dropped connection with a new one (same pinned host key). */
  async reconnect(ctx: Pick<JobContext, 'signal' | 'log'>, retryForMs = 15000): Promise<void> {
    this.#docker.close();
    this.#conn.close();
    this.#conn = await connectWithRetry(this.target, ctx, retryForMs, {});
    this.#docker = remoteDocker(this.#conn, this.socketPath, this.transport, this.channelStats);
  }

  exec(argv: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
    return this.#conn.exec(argv, { stdin: opts.stdin, stdout: opts.stdout, signal: opts.signal });
  }

  /** Runs argv and fails with its stderr when the exit code is not OK. Returns stdout as text. */
  async run(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
    const r = await this.exec(argv, opts);
    if (r.code === null || !(opts.okCodes ?? [0]).includes(r.code)) {
      const why = r.stderr.trim().split('\n').slice(-5).join('\n') || `exit ${r.code ?? r.signal}`;
      throw new OperationError(redact(`${this.target.host}: ${argv[0]} ${argv[1] ?? ''} failed (exit ${r.code ?? r.signal}): ${why}`, opts.secrets));
    }
    return r.stdout.toString('utf8');
  }

  close(): void {
    this.#docker.close();
    this.#conn.close();
  }
}

/** How a connection is opened, beyond the target. */
export interface ConnectOptions {
  /** Keep retrying a refused or timed-out connection this long (a host that is rebooting); 0: fail at once. */
  readonly retryForMs?: number;
  /** How long the SSH handshake may take (ssh2's readyTimeout). */
  readonly readyTimeoutMs?: number;
  /**
   * When set, first check that the host says its SSH banner within this long. Views use it: a
   * host that accepts the connection but never answers then fails quickly with a clear reason.
   */
  readonly bannerTimeoutMs?: number;
}

async function connectWithRetry(target: SshTarget, ctx: Pick<JobContext, 'signal' | 'log'>, retryForMs: number, opts: ConnectOptions): Promise<SshConnection> {
  const until = Date.now() + retryForMs;
  let delay = 500;
  for (;;) {
    try {
      // A host that accepts the connection but never says its SSH banner is found out here: ssh2's
      // own handshake timeout emits a second 'error' after the one SshConnection.open handles, and
      // that unhandled one would take a long-running process (the language server) down.
      if (opts.bannerTimeoutMs !== undefined) await probeSshBanner(target.host, target.port, opts.bannerTimeoutMs, ctx.signal);
      return await SshConnection.open(target, { signal: ctx.signal, readyTimeoutMs: opts.readyTimeoutMs });
    } catch (e) {
      if (e instanceof HostKeyError || !(e instanceof ConnectionLostError) || Date.now() + delay > until) throw e;
      ctx.log(`ssh ${describeTarget(target)} not reachable yet (${e.message}); retrying in ${delay} ms`, 'warn');
      await sleep(delay, ctx.signal);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Resolves once host:port sends an SSH identification line; fails (and closes) otherwise. */
export function probeSshBanner(host: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let seen = '';
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = (): void => finish(new OperationError(`ssh ${host}:${port}: cancelled`));
    const timer = setTimeout(() => finish(new OperationError(`ssh ${host}:${port}: the connection was accepted, but no SSH server answered within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.startsWith('SSH-')) finish();
      else if (seen.includes('\n') && !/^SSH-|\nSSH-/.test(seen)) finish(new OperationError(`ssh ${host}:${port}: the server there does not speak SSH`));
    });
    sock.on('error', (e) => finish(new OperationError(`ssh ${host}:${port}: ${e.message}`)));
    sock.on('end', () => finish(new OperationError(`ssh ${host}:${port}: the server closed the connection before saying anything`)));
  });
}

export { AuthenticationError, ConnectionLostError, HostKeyError, SshNotConfiguredError };
