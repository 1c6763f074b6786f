// The one place that touches ssh2. An SshConnection is opened once per operation and everything
// rides on it: remote commands (argv arrays, quoted by shellJoin), the Docker API (a forwarded
// unix-socket stream per HTTP connection, reused by a keep-alive agent), and TCP forwards for
// health checks. The host key is verified against the pinned key before any authentication.
import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, type Duplex, type Writable } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { OperationError, InputError } from '../common/errors';
import { CancelledError } from '../common/job';
import { checkHostKey, pinnedKeys, type HostKeyPolicy, type HostKeyVerdict } from './hostKey';
import { shellJoin } from './shellQuote';

export interface SshTarget extends HostKeyPolicy {
  readonly user: string;
  /** Private key file; absent = the agent at $SSH_AUTH_SOCK. */
  readonly identityFile?: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin (then closed). */
  readonly stdin?: string | Buffer | Readable;
  /** When set, stdout is piped here instead of being collected. */
  readonly stdout?: Writable;
  readonly signal?: AbortSignal;
  /** Collected stdout beyond this many bytes fails the command (default 64 MiB). */
  readonly maxBuffer?: number;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal?: string;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** The host key was refused; carries what the UI needs for an explicit "trust this key" action. */
export class HostKeyError extends OperationError {
  constructor(readonly verdict: Extract<HostKeyVerdict, { ok: false }>) {
    super(verdict.message);
    this.name = 'HostKeyError';
  }
}

/** The connection (not the command) failed: worth a retry on a fresh connection. */
export class ConnectionLostError extends OperationError {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionLostError';
  }
}

/**
 * No way to authenticate is configured: the identity file cannot be read, or there is none and no
 * agent runs. Raised before any connection is tried, so the editor can say "not configured" and
 * offer "Set Identity File…" instead of calling the host unreachable.
 */
export class SshNotConfiguredError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'SshNotConfiguredError';
  }
}

/** The server refused every key offered. Never retried: another attempt offers the same keys. */
export class AuthenticationError extends OperationError {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export function describeTarget(t: SshTarget): string {
  return `${t.user}@${t.host}:${t.port}`;
}

export class SshConnection {
  #closed = false;
  #closeReason: string | undefined;
  readonly #closeListeners = new Set<(reason: string) => void>();

  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
  ) {
    client.on('close', () => this.#markClosed('the SSH connection closed'));
    client.on('error', (e) => this.#markClosed(`the SSH connection failed: ${e.message}`));
  }

  /** Connects, verifying the host key first. Refused keys throw HostKeyError (never retried). */
  static async open(
    target: SshTarget,
    opts: {
      signal?: AbortSignal;
      readyTimeoutMs?: number;
      /** Only the host key is wanted ("Trust Host Key…"): with no key and no agent, go on without credentials. */
      hostKeyOnly?: boolean;
    } = {},
  ): Promise<SshConnection> {
    let pinned;
    try {
      pinned = pinnedKeys(target);
    } catch (e) {
      throw new InputError(`ssh: ${(e as Error).message}`);
    }
    const auth: Partial<ConnectConfig> = {};
    if (target.identityFile) {
      const file = target.identityFile.startsWith('~/') ? path.join(os.homedir(), target.identityFile.slice(2)) : target.identityFile;
      try {
        auth.privateKey = await readFile(file);
      } catch (e) {
        if (!opts.hostKeyOnly) throw new SshNotConfiguredError(`ssh: cannot read identity file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      }
    } else if (process.env.SSH_AUTH_SOCK) {
      auth.agent = process.env.SSH_AUTH_SOCK;
    } else if (!opts.hostKeyOnly) {
      throw new SshNotConfiguredError(`ssh: no identityFile configured for ${describeTarget(target)} and no SSH agent ($SSH_AUTH_SOCK) is running`);
    }
    const client = new Client();
    let refused: HostKeyVerdict | undefined;
    return await new Promise<SshConnection>((resolve, reject) => {
      let settled = false;
      // A host that accepts TCP but never speaks SSH makes ssh2 emit more than one error (the
      // banner timeout, then the handshake timeout). Every error until 'ready' is handled here,
      // because an unhandled one would kill the whole process (CLI or background service).
      const onPreReadyError = (e: Error & { level?: string }): void => {
        if (settled) return;
        settled = true;
        done();
        client.destroy();
        if (refused && !refused.ok) return reject(new HostKeyError(refused));
        if (e.level === 'client-authentication') return reject(new AuthenticationError(`ssh ${describeTarget(target)}: authentication as ${target.user} was refused (check identityFile / agent keys)`));
        reject(new ConnectionLostError(`ssh ${describeTarget(target)}: ${e.message}`));
      };
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        // destroy(), not end(): during the handshake end() leaves the socket open.
        client.destroy();
        reject(new CancelledError());
      };
      if (opts.signal?.aborted) return reject(new CancelledError());
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => opts.signal?.removeEventListener('abort', onAbort);
      client.once('ready', () => {
        done();
        client.removeListener('error', onPreReadyError);
        if (settled) return void client.end();
        settled = true;
        resolve(new SshConnection(client, target));
      });
      client.on('error', onPreReadyError);
      client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        readyTimeout: opts.readyTimeoutMs ?? 15000,
        keepaliveInterval: 10000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => {
          refused = checkHostKey(target, key, pinned);
          return refused.ok;
        },
        ...auth,
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  onClose(listener: (reason: string) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  #markClosed(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    for (const l of this.#closeListeners) l(reason);
  }

  #ensureOpen(): void {
    if (this.#closed) throw new ConnectionLostError(`ssh ${describeTarget(this.target)}: ${this.#closeReason ?? 'closed'}`);
  }

  /** Runs argv on the host. Resolves with the exit code; never throws for a non-zero exit. */
  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.#ensureOpen();
    if (opts.signal?.aborted) throw new CancelledError();
    const command = shellJoin(argv);
    let code: number | null = null;
    let sig: string | undefined;
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      this.client.exec(command, (err, ch) => {
        if (err) return reject(new ConnectionLostError(`ssh exec ${argv[0]}: ${err.message}`));
        // Listen for the exit status right here: a quick command's exit-status can arrive in the
        // same packet batch as the exec reply, and ssh2 emits it before an awaiting caller resumes
        // (it then looked like "exit undefined" on a busy machine). Output is buffered, not lost.
        ch.on('exit', (c: number | null, s?: string) => {
          code = c;
          sig = s ?? undefined;
        });
        resolve(ch);
      });
    });
    return await new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      let outLen = 0;
      const err: Buffer[] = [];
      let settled = false;
      const max = opts.maxBuffer ?? 64 * 1024 * 1024;
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        unlisten();
        f();
      };
      const onAbort = (): void => {
        channel.close();
        finish(() => reject(new CancelledError()));
      };
      const unlisten = this.onClose((reason) => finish(() => reject(new ConnectionLostError(`ssh ${describeTarget(this.target)} during ${argv[0]}: ${reason}`))));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.stdout) {
        channel.pipe(opts.stdout, { end: false });
      } else {
        channel.on('data', (d: Buffer) => {
          outLen += d.length;
          if (outLen > max) {
            channel.close();
            finish(() => reject(new OperationError(`${argv[0]} printed more than ${max} bytes`)));
            return;
          }
          out.push(d);
        });
      }
      channel.stderr.on('data', (d: Buffer) => {
        if (err.reduce((n, b) => n + b.length, 0) < 1024 * 1024) err.push(d);
      });
      channel.on('close', () => finish(() => resolve({ code, signal: sig, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') })));
      channel.on('error', (e: Error) => finish(() => reject(new ConnectionLostError(`ssh exec ${argv[0]}: ${e.message}`))));
      const stdin = opts.stdin;
      if (stdin === undefined) channel.end();
      else if (typeof stdin === 'string' || Buffer.isBuffer(stdin)) channel.end(stdin);
      else {
        stdin.on('error', (e) => {
          channel.close();
          finish(() => reject(e));
        });
        stdin.pipe(channel);
      }
    });
  }

  /** A stream to a unix socket on the host (OpenSSH streamlocal forwarding). */
  forwardUnix(socketPath: string): Promise<Duplex> {
    this.#ensureOpen();
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => {
        if (err) reject(new OperationError(`ssh: cannot open ${socketPath} on ${this.target.host}: ${err.message}`));
        else resolve(asSocketLike(ch));
      });
    });
  }

  /** A stream to host:port as seen from the SSH server (direct-tcpip). */
  forwardTcp(host: string, port: number): Promise<Duplex> {
    this.#ensureOpen();
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (err) reject(new OperationError(`ssh: cannot connect to ${host}:${port} from ${this.target.host}: ${err.message}`));
        else resolve(asSocketLike(ch));
      });
    });
  }

  /** `docker system dial-stdio` on the host: the other way to reach its engine, for hosts without streamlocal forwarding. */
  async dialStdio(): Promise<Duplex> {
    this.#ensureOpen();
    return await new Promise((resolve, reject) => {
      this.client.exec('docker system dial-stdio', (err, ch) => (err ? reject(new OperationError(`ssh: docker system dial-stdio: ${err.message}`)) : resolve(asSocketLike(ch))));
    });
  }

  /** Drops the TCP connection without a goodbye: used by tests to simulate a network failure. */
  destroyForTest(): void {
    (this.client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
  }

  close(): void {
    this.#markClosed('closed by Greenlight');
    this.client.end();
  }
}

/** Node's http client calls a few net.Socket methods on its socket; an SSH channel lacks them. */
function asSocketLike(ch: ClientChannel): Duplex {
  const s = ch as unknown as Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => ch;
  }
  return ch;
}
