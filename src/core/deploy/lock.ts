// The deploy lock on the host: a directory created atomically with mkdir, holding who took it,
// when, and for what. A second deploy is refused naming the holder; a stale lock (a crashed
// deploy) is broken only on an explicit request, and the break is written to the audit log.
import * as os from 'node:os';
import { OperationError } from '../common/errors';
import { sleep, type JobContext } from '../common/job';
import type { RemoteHost } from '../ship/remoteHost';
import { stateCommands } from './plan';

export interface LockHolder {
  readonly who: string;
  readonly machine: string;
  readonly pid: number;
  readonly since: string;
  readonly what: string;
  readonly deployId: string;
}

export class LockHeldError extends OperationError {
  constructor(
    readonly holder: LockHolder | undefined,
    where: string,
  ) {
    super(
      holder
        ? `deploy lock on ${where} is held by ${holder.who} on ${holder.machine} (pid ${holder.pid}) since ${holder.since} (${describeAge(holder.since)} ago) for ${holder.what}. ` +
            `Wait for it to finish, or if that deploy is dead, break the lock explicitly (--break-lock).`
        : `deploy lock on ${where} exists but names no holder (a deploy died while taking it); break it explicitly (--break-lock).`,
    );
    this.name = 'LockHeldError';
  }
}

function describeAge(since: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

export function defaultWho(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export async function readLock(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, stateDir: string): Promise<LockHolder | undefined | 'free'> {
  const c = stateCommands(stateDir);
  const r = await host.exec(c.readHolder, { signal: ctx.signal });
  if (r.code === 0) {
    try {
      return JSON.parse(r.stdout.toString('utf8')) as LockHolder;
    } catch {
      return undefined;
    }
  }
  const dir = await host.exec(['test', '-d', c.lockDir], { signal: ctx.signal });
  return dir.code === 0 ? undefined : 'free';
}

export async function acquireLock(ctx: JobContext, host: RemoteHost, stateDir: string, holder: LockHolder): Promise<void> {
  const c = stateCommands(stateDir);
  await host.run(c.mkdirState, { signal: ctx.signal });
  const r = await host.exec(c.acquire, { signal: ctx.signal });
  if (r.code !== 0) {
    if (!/File exists/i.test(r.stderr)) throw new OperationError(`cannot create the deploy lock ${c.lockDir} on ${host.target.host}: ${r.stderr.trim()}`);
    // The holder record is written right after the mkdir; give a lock taken this instant a moment to name its holder.
    let h = await readLock(ctx, host, stateDir);
    for (let i = 0; i < 15 && h === undefined; i++) {
      await sleep(200, ctx.signal);
      h = await readLock(ctx, host, stateDir);
    }
    throw new LockHeldError(h === 'free' ? undefined : h, host.target.host);
  }
  await host.run(c.writeHolder, { stdin: JSON.stringify(holder) + '\n', signal: ctx.signal });
  ctx.log(`lock: taken on ${host.target.host} for ${holder.what}`);
}

/** Releases the lock only if this deploy still holds it (someone may have broken and retaken it). */
export async function releaseLock(host: RemoteHost, stateDir: string, deployId: string): Promise<void> {
  const h = await readLock({ signal: new AbortController().signal }, host, stateDir);
  if (h === 'free') return;
  if (h && h.deployId !== deployId) return;
  await host.run(stateCommands(stateDir).release);
}

/** Breaks a lock explicitly; returns the holder it removed. */
export async function breakLock(ctx: JobContext, host: RemoteHost, stateDir: string): Promise<LockHolder | undefined | 'free'> {
  const h = await readLock(ctx, host, stateDir);
  if (h === 'free') return h;
  await host.run(stateCommands(stateDir).release, { signal: ctx.signal });
  ctx.log(`lock: broke the lock on ${host.target.host}${h ? ` held by ${h.who} on ${h.machine} since ${h.since} for ${h.what}` : ''}`, 'warn');
  return h;
}

/** The deploy ids holding the lock now (none or one): a backup taken meanwhile must not prune their backups. */
export async function deploysInProgress(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, stateDir: string): Promise<string[]> {
  const h = await readLock(ctx, host, stateDir);
  return h && h !== 'free' && h.deployId ? [h.deployId] : [];
}
