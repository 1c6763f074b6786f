// The Environments view's actions on any container of an environment's host: its logs (streamed
// as job log lines, which the editor writes into a terminal), restart, stop, and a loopback port
// forwarded over the environment's SSH connection for "Open in Browser". Each job opens the
// environment through the one door (withEnvironment → openEnvironment) and closes it at its end.
import { Writable } from 'node:stream';
import { CancelledError, sleep, type JobContext } from '../../core/common/job';
import { forwardToHostContainer, hostContainerLogs, restartHostContainer, stopHostContainer } from '../../core/deploy/hostContainers';
import type { JobParams, JobResult } from '../protocol';
import { withEnvironment } from './deploySession';

/** A stream that hands each complete line to `onLine` (the last partial one when it ends). */
function lineWriter(onLine: (line: string) => void): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      const text = rest + chunk.toString();
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) onLine(l.replace(/\r$/, ''));
      done();
    },
    final(done) {
      if (rest) onLine(rest);
      rest = '';
      done();
    },
  });
}

export async function containersLogsJob(params: JobParams<'containers.logs'>, ctx: JobContext): Promise<JobResult<'containers.logs'>> {
  let lines = 0;
  const stdout = lineWriter((l) => {
    lines++;
    ctx.log(l, 'info');
  });
  const stderr = lineWriter((l) => {
    lines++;
    ctx.log(l, 'warn');
  });
  await withEnvironment(ctx, { workspaceRoot: params.workspaceRoot, env: params.env }, async (s, c) => {
    try {
      await hostContainerLogs(c, s.host, params.id, { follow: params.follow, tail: params.tail }, { stdout, stderr });
    } catch (e) {
      // Closing the terminal cancels the job: the lines so far are the result, not an error.
      if (!(e instanceof CancelledError) || !c.signal.aborted) throw e;
    }
  });
  stdout.end();
  stderr.end();
  return { lines };
}

export async function containersRestartJob(params: JobParams<'containers.restart'>, ctx: JobContext): Promise<JobResult<'containers.restart'>> {
  return await withEnvironment(ctx, { workspaceRoot: params.workspaceRoot, env: params.env }, async (s, c) => {
    c.log(`restarting container ${params.id.slice(0, 12)} on ${s.host.where}`);
    return await restartHostContainer(s.host, params.id);
  });
}

export async function containersStopJob(params: JobParams<'containers.stop'>, ctx: JobContext): Promise<JobResult<'containers.stop'>> {
  return await withEnvironment(ctx, { workspaceRoot: params.workspaceRoot, env: params.env }, async (s, c) => {
    c.log(`stopping container ${params.id.slice(0, 12)} on ${s.host.where}`);
    return await stopHostContainer(s.host, params.id);
  });
}

/** How long a forward stays open without a new connection, unless the caller says otherwise. */
const DEFAULT_IDLE_SECONDS = 15 * 60;

export async function containersForwardJob(params: JobParams<'containers.forward'>, ctx: JobContext): Promise<JobResult<'containers.forward'>> {
  return await withEnvironment(ctx, { workspaceRoot: params.workspaceRoot, env: params.env }, async (s, c) => {
    const { tunnel, name, via } = await forwardToHostContainer(s.host, params.id, params.port);
    const url = `http://127.0.0.1:${tunnel.port}/`;
    try {
      c.log(`forwarding ${url} over SSH to ${name} (${via}) on ${s.host.where}`);
      c.progress({ step: 'forwarding', message: url });
      // Open while it is used: each new connection restarts the idle clock.
      const idleMs = (params.idleSeconds ?? DEFAULT_IDLE_SECONDS) * 1000;
      let seen = tunnel.opened();
      let lastUse = Date.now();
      for (;;) {
        try {
          await sleep(Math.min(1000, idleMs), c.signal);
        } catch {
          return { url, connections: tunnel.opened(), closedBecause: 'cancelled' as const };
        }
        if (tunnel.opened() !== seen) {
          seen = tunnel.opened();
          lastUse = Date.now();
        } else if (Date.now() - lastUse >= idleMs) {
          c.log(`closing the forward to ${name}: no connection for ${Math.round(idleMs / 1000)} s`);
          return { url, connections: tunnel.opened(), closedBecause: 'idle' as const };
        }
      }
    } finally {
      await tunnel.close();
    }
  });
}
