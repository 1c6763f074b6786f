// A bounded HTTP load generator for the zero-downtime proofs (integration tests and the deploy
// bench): N concurrent clients, each on its own keep-alive connection, send GETs until a fixed
// number of requests has been sent or a time limit has passed, and every failure (an error or a
// status outside 2xx/3xx) and every latency is recorded. It only ever targets loopback or the test
// bed's 198.18.0.0/15 addresses: anything else is refused before a single packet leaves.
//
// Like browsers, curl and Go's HTTP client (RFC 9112 §9.3.1), a GET whose reused keep-alive
// connection the server closed before any byte of the answer arrived is sent again once on a new
// connection: a server may close an idle connection at any time (Caddy does on every config load),
// and the client cannot tell that from a request it never received. Such requests are counted
// apart (`retriedOnClosedKeepAlive`), so a strict reading (every one a failure) stays possible.
import * as http from 'node:http';
import * as net from 'node:net';

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  readonly path?: string;
  /** Host header, for a proxy that routes by host name. */
  readonly hostHeader?: string;
  /** Requests to send in all (the run ends after the last one answers). */
  readonly requests: number;
  readonly concurrency: number;
  /** The run stops sending after this long, whatever is left of `requests`. */
  readonly timeLimitMs: number;
  /** Spread the requests evenly at this many per second (absent: as fast as the server answers). */
  readonly ratePerSecond?: number;
  /** One request's time limit (default 10 s): longer counts as a failure. */
  readonly requestTimeoutMs?: number;
  /** Called with each answer's body (e.g. to note which version served it). */
  readonly onBody?: (body: string, at: number) => void;
  /**
   * Keep sending (at the rate, past `requests`) until this settles and `tailMs` more have passed,
   * so the load outlasts an operation whose length varies with the machine; `timeLimitMs` still
   * bounds the run.
   */
  readonly until?: Promise<unknown>;
  /** With `until`: how long to go on after it settles (default 2 s). */
  readonly tailMs?: number;
}

export interface LoadFailure {
  readonly at: number;
  readonly what: string;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Requests re-sent once because the server had closed their idle keep-alive connection (see above). */
  readonly retriedOnClosedKeepAlive: number;
  /** The first failures (up to 20), each with the time it happened. */
  readonly failures: readonly LoadFailure[];
  /** Failures by kind ("ECONNREFUSED", "HTTP 502", …). */
  readonly failureKinds: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** True when the time limit ended the run before all requests were sent. */
  readonly timedOut: boolean;
}

/** Loopback, or the test bed's benchmarking range 198.18.0.0/15 (RFC 2544); nothing else. */
export function isAllowedTarget(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (!net.isIPv4(host)) return false;
  const [a, b] = host.split('.').map(Number) as [number, number];
  return a === 127 || (a === 198 && (b === 18 || b === 19));
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if (!isAllowedTarget(o.host)) throw new Error(`load generator: refusing to send load to ${o.host}: only loopback and the test bed's 198.18.0.0/15 addresses`);
  if (!Number.isInteger(o.requests) || o.requests < 1 || o.requests > 1_000_000) throw new Error(`load generator: requests must be 1…1,000,000 (got ${o.requests})`);
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > 500) throw new Error(`load generator: concurrency must be 1…500 (got ${o.concurrency})`);
  if (!(o.timeLimitMs > 0 && o.timeLimitMs <= 30 * 60_000)) throw new Error(`load generator: timeLimitMs must be 1 ms…30 min (got ${o.timeLimitMs})`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency, maxFreeSockets: o.concurrency });
  const latencies: number[] = [];
  const failures: LoadFailure[] = [];
  const kinds: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let retried = 0;
  let timedOut = false;
  const startedAt = Date.now();
  const deadline = startedAt + o.timeLimitMs;
  // With `until`, the count is a minimum: sending goes on until it settled and the tail passed.
  let stopAfter = o.until ? Number.POSITIVE_INFINITY : 0;
  const settle = (): void => {
    stopAfter = Date.now() + (o.tailMs ?? 2000);
  };
  o.until?.then(settle, settle);
  const fail = (what: string, kind: string): void => {
    failed++;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    if (failures.length < 20) failures.push({ at: Date.now(), what });
  };

  /** One GET; the re-send of one whose keep-alive connection was closed goes on a connection of its own (agent: false), never on another pooled one the server may be closing too. */
  const one = (retry = true, t0 = performance.now()): Promise<void> =>
    new Promise((resolve) => {
      let answered = false;
      const req = http.get({ host: o.host, port: o.port, path: o.path ?? '/', agent: retry ? agent : false, headers: o.hostHeader ? { host: o.hostHeader } : {}, timeout: o.requestTimeoutMs ?? 10_000 }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 400) {
            ok++;
            o.onBody?.(Buffer.concat(chunks).toString(), Date.now());
          } else fail(`HTTP ${status}: ${Buffer.concat(chunks).toString().slice(0, 200)}`, `HTTP ${status}`);
          resolve();
        });
        res.on('error', (e: NodeJS.ErrnoException) => {
          fail(`response: ${e.message}`, e.code ?? e.message);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (retry && !answered && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          retried++;
          resolve(one(false, t0));
          return;
        }
        fail(`${e.code ?? ''} ${e.message}`.trim(), e.code ?? e.message);
        resolve();
      });
    });

  const interval = o.ratePerSecond ? 1000 / o.ratePerSecond : 0;
  const client = async (): Promise<void> => {
    for (;;) {
      if (sent >= o.requests && Date.now() >= stopAfter) return;
      if (Date.now() >= deadline) {
        timedOut = true;
        return;
      }
      const n = sent++;
      if (interval) {
        const due = startedAt + n * interval;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await one();
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, () => client()));
  } finally {
    agent.destroy();
  }
  latencies.sort((a, b) => a - b);
  return {
    sent,
    ok,
    failed,
    retriedOnClosedKeepAlive: retried,
    failures,
    failureKinds: kinds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    startedAt,
    endedAt: Date.now(),
    timedOut,
  };
}

/**
 * Runs `op` while a load runs against the service: the load starts `leadMs` (default 500 ms) before
 * it and goes on until it ended (the count is a minimum, since the operation's length varies with
 * the machine), counting the answers per version as `versionOf` reads it from each body.
 */
export async function loadDuring<T>(
  o: Omit<LoadOptions, 'until' | 'onBody'> & { readonly leadMs?: number; readonly versionOf: (body: string) => string },
  op: () => Promise<T>,
): Promise<{ result: T; load: LoadResult; versions: Record<string, number>; opEnded: number }> {
  const { leadMs = 500, versionOf, ...options } = o;
  const versions: Record<string, number> = {};
  let opSettled!: () => void;
  const until = new Promise<void>((r) => (opSettled = r));
  const loading = runLoad({
    ...options,
    until,
    onBody: (body) => {
      const v = versionOf(body);
      versions[v] = (versions[v] ?? 0) + 1;
    },
  });
  await new Promise((r) => setTimeout(r, leadMs));
  let result: T;
  try {
    result = await op();
  } finally {
    opSettled();
  }
  const opEnded = Date.now();
  return { result, load: await loading, versions, opEnded };
}

/** One line for a log or a report: "20000 sent, 0 failed, p50 1.2 ms, p99 8.4 ms". */
export function describeLoad(r: LoadResult): string {
  const kinds = Object.entries(r.failureKinds).map(([k, n]) => `${k} ×${n}`).join(', ');
  return `${r.sent} sent, ${r.ok} ok, ${r.failed} failed${kinds ? ` (${kinds})` : ''}, ${r.retriedOnClosedKeepAlive} re-sent on a closed keep-alive connection, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s${r.timedOut ? ' (time limit reached)' : ''}`;
}
