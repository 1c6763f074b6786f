// One HTTP health probe for every place that asks "is this service healthy?": the image test on
// this machine and the deploy on a host, so an image cannot pass one and fail the other.
//
// The request goes through Node's own HTTP/1.1 client over whatever stream the caller opens (a
// TCP socket here, an SSH direct-tcpip channel to a host). It never half-closes the connection:
// an HTTP server with allowHalfOpen false (Node's default) ends a half-closed socket before an
// async handler answers, which made every Node service whose health handler awaited a query
// look dead.
import * as http from 'node:http';
import type { Duplex } from 'node:stream';

export interface Probe {
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

export interface ProbeRequest {
  /** The address the request is for, used as the Host header unless `hostHeader` is given. */
  readonly address: string;
  readonly port: number;
  readonly path: string;
  /** Host header (Django's ALLOWED_HOSTS and reverse proxies route and refuse by it). */
  readonly hostHeader?: string;
  readonly timeoutMs?: number;
}

/** Opens the byte stream the request travels over. */
export type Connect = () => Promise<Duplex>;

const BODY_LIMIT = 2000;

export async function httpProbe(connect: Connect, r: ProbeRequest): Promise<Probe> {
  const timeoutMs = r.timeoutMs ?? 3000;
  let stream: Duplex;
  try {
    stream = await connect();
  } catch (e) {
    return { status: 0, body: '', error: (e as Error).message };
  }
  return await new Promise<Probe>((resolve) => {
    let settled = false;
    const settle = (p: Probe): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => {
      req.destroy();
      settle({ status: 0, body: '', error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    const host = r.hostHeader ?? (r.port === 80 ? r.address : `${r.address}:${r.port}`);
    const req = http.request({
      method: 'GET',
      path: r.path,
      headers: { Host: host, 'User-Agent': 'greenlight-health', Accept: '*/*', Connection: 'close' },
      // Lenient parsing, as curl reads: small servers (busybox httpd CGI, hand-written ones) answer
      // "HTTP/1.1 200\n" with bare line feeds and no reason phrase. Only the status is used here.
      insecureHTTPParser: true,
      // The caller's stream is the socket: no agent, no DNS, no pooling.
      createConnection: () => stream as unknown as import('node:net').Socket,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < BODY_LIMIT) chunks.push(d);
        size += d.length;
      });
      const done = (): void => settle({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, BODY_LIMIT) });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNRESET' || /socket hang up/.test(e.message) ? 'connection closed without an answer' : e.code === 'HPE_INVALID_CONSTANT' || e.code?.startsWith('HPE_') ? `not an HTTP answer (${e.message})` : e.message;
      settle({ status: 0, body: '', error: why });
    });
    req.end();
  });
}

/** True when the status counts as healthy: one of `accepted`, or any 2xx when none are given. */
export function isHealthyStatus(status: number, accepted?: readonly number[]): boolean {
  if (accepted && accepted.length) return accepted.includes(status);
  return status >= 200 && status < 300;
}

export function describeProbe(p: Probe): string {
  return p.status ? `HTTP ${p.status}${p.body ? ` ${p.body.trim().slice(0, 120)}` : ''}` : (p.error ?? 'no answer');
}
