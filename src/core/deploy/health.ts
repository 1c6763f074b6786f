// Health checks reach the service through the operation's SSH connection (a direct-tcpip
// forward from the host to the service's address), so they work when the port is firewalled
// from the outside and test exactly what the host itself sees. The request itself is the one
// probe every health check uses (common/httpProbe.ts).
import { httpProbe, isHealthyStatus, type Probe } from '../common/httpProbe';
import { sleep, type JobContext } from '../common/job';
import type { RemoteHost } from '../ship/remoteHost';

/** One GET of `urlPath` at address:port as the host sees it. */
export async function probe(host: RemoteHost, address: string, port: number, urlPath: string, opts: { hostHeader?: string; timeoutMs?: number } = {}): Promise<Probe> {
  return await httpProbe(() => host.connection.forwardTcp(address, port), { address, port, path: urlPath, hostHeader: opts.hostHeader, timeoutMs: opts.timeoutMs });
}

export interface HealthOptions {
  readonly address: string;
  readonly port: number;
  readonly path: string;
  readonly timeoutSeconds: number;
  readonly intervalMs: number;
  readonly hostHeader?: string;
  /** Statuses that count as healthy (default: any 2xx). */
  readonly statuses?: readonly number[];
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
    last = await probe(host, o.address, o.port, o.path, { hostHeader: o.hostHeader });
    if (isHealthyStatus(last.status, o.statuses)) return { healthy: true, probes, last, ms: Date.now() - started };
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
