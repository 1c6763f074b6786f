// Health checks reach the service through the operation's SSH connection (a direct-tcpip
// forward from the host to the service's address), so they work when the port is firewalled
// from the outside and test exactly what the host itself sees.
import { sleep, type JobContext } from '../common/job';
import type { RemoteHost } from '../ship/remoteHost';

export interface Probe {
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

/** One HTTP/1.0 GET over a forwarded stream. */
export async function probe(host: RemoteHost, address: string, port: number, urlPath: string, timeoutMs = 3000): Promise<Probe> {
  let stream;
  try {
    stream = await host.connection.forwardTcp(address, port);
  } catch (e) {
    return { status: 0, body: '', error: (e as Error).message };
  }
  return await new Promise<Probe>((resolve) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.destroy();
      resolve({ status: 0, body: '', error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(text);
      const body = text.split(/\r?\n\r?\n/).slice(1).join('\n\n');
      resolve(m ? { status: Number(m[1]), body: body.slice(0, 2000) } : { status: 0, body: '', error: text ? `not an HTTP answer: ${text.slice(0, 80)}` : 'connection closed without an answer' });
    };
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', () => done());
    stream.end(`GET ${urlPath} HTTP/1.0\r\nHost: ${address}:${port}\r\nUser-Agent: greenlight-health\r\nConnection: close\r\n\r\n`);
  });
}

export interface HealthOptions {
  readonly address: string;
  readonly port: number;
  readonly path: string;
  readonly timeoutSeconds: number;
  readonly intervalMs: number;
  /** Checked between probes: a container that exited will never become healthy. */
  readonly containerId?: string;
}

export interface HealthResult {
  readonly healthy: boolean;
  readonly probes: number;
  readonly last: Probe;
  readonly ms: number;
  /** Why it gave up early (container exited), when it did. */
  readonly reason?: string;
}

export async function waitHealthy(ctx: JobContext, host: RemoteHost, o: HealthOptions, step = 'health check'): Promise<HealthResult> {
  const started = Date.now();
  let delay = o.intervalMs;
  let probes = 0;
  let last: Probe = { status: 0, body: '', error: 'not probed' };
  for (;;) {
    probes++;
    last = await probe(host, o.address, o.port, o.path);
    if (last.status >= 200 && last.status < 300) return { healthy: true, probes, last, ms: Date.now() - started };
    if (o.containerId) {
      const c = await host.docker.inspectContainer(o.containerId);
      if (!c || !c.stateDetail.running) {
        return { healthy: false, probes, last, ms: Date.now() - started, reason: `the container ${c ? `exited with code ${c.stateDetail.exitCode}${c.stateDetail.oomKilled ? ' (out of memory)' : ''}` : 'is gone'}` };
      }
    }
    const elapsed = Date.now() - started;
    if (elapsed >= o.timeoutSeconds * 1000) return { healthy: false, probes, last, ms: elapsed, reason: `not healthy after ${o.timeoutSeconds} s` };
    ctx.progress({ step, message: `http://${o.address}:${o.port}${o.path}: ${last.status || last.error} (probe ${probes})` });
    await sleep(Math.min(delay, o.timeoutSeconds * 1000 - elapsed + 10), ctx.signal);
    delay = Math.min(delay * 2, 5000);
  }
}

export function describeProbe(p: Probe): string {
  return p.status ? `HTTP ${p.status}${p.body ? ` ${p.body.trim().slice(0, 120)}` : ''}` : (p.error ?? 'no answer');
}
