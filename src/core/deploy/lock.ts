// The deploy lock on the host: a directory created atomically with mkdir, holding who took it,
// when, and for what. As a deploy passes its steps it rewrites the holder record with the step
// and the containers it is switching (the switch state), so that whoever finds the lock later
// knows what an interrupted deploy left behind. A second deploy is refused naming the holder, and
// the refusal is audited. A lock whose holder is provably dead (a process of this machine that no
// longer runs) is broken automatically; any other stale lock only on an explicit request. Every
// break is audited and leaves the holder record behind as `interrupted.json`, which `recover`
// (run by the next deploy too) reads to bring the environment back to a healthy version.
import * as os from 'node:os';
import { OperationError, errorMessage } from '../common/errors';
import { sleep, type JobContext } from '../common/job';
import type { RemoteHost } from '../ship/remoteHost';
import { appendAudit } from './audit';
import { stateCommands } from './plan';

/** Where an interrupted deploy had got to when its lock was taken over. */
export interface SwitchState {
  /** The serving container before the switch, and the name it was parked under once stopped. */
  readonly previousId?: string;
  readonly previousName?: string;
  readonly previousVersion?: string;
  /** The container of the new version (beside the old one, then under the serving name). */
  readonly newId?: string;
  /** Proxy route ids the deploy put in maintenance (recover ends it). */
  readonly maintenance?: readonly string[];
  /** Proxy: the new version's container beside the old one (recover removes it unless it serves). */
  readonly candidateId?: string;
  /** Proxy: the route may have moved to the new version (set just before the first route load). */
  readonly routed?: boolean;
}

export interface LockHolder {
  readonly who: string;
  readonly machine: string;
  readonly pid: number;
  readonly since: string;
  readonly what: string;
  readonly deployId: string;
  /** The environment (for the audit records written about this holder). */
  readonly env?: string;
  readonly service?: string;
  readonly version?: string;
  /** The deploy step running when the record was last written. */
  readonly step?: string;
  readonly switchState?: SwitchState;
}

export class LockHeldError extends OperationError {
  constructor(
    readonly holder: LockHolder | undefined,
    where: string,
  ) {
    super(
      holder
        ? `deploy lock on ${where} is held by ${holder.who} on ${holder.machine} (pid ${holder.pid}) since ${holder.since} (${describeAge(holder.since)} ago) for ${holder.what}${holder.step ? `, at step ${holder.step}` : ''}. ` +
            `Wait for it to finish, or if that deploy is dead, break the lock explicitly (--break-lock; greenlight recover --env <name> --break-lock also restores a healthy version).`
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

/** Deploy ids this process holds locks for: a lock naming this process but none of them was left by a deploy that ended without reaching the host. */
const heldHere = new Set<string>();

/**
 * True when the holder provably no longer runs: it names this machine and a process that is gone,
 * or this very process, which no longer runs that deploy. A holder on another machine is never
 * presumed dead: only an explicit break removes it.
 */
export function holderIsDead(h: LockHolder, machine = os.hostname()): boolean {
  if (h.machine !== machine) return false;
  if (h.pid === process.pid) return !heldHere.has(h.deployId);
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function lockFiles(stateDir: string): {
  interrupted: string;
  acquireWith: (holder: LockHolder) => string[];
  rewrite: (holder: LockHolder) => string[];
  keepInterrupted: string[];
  readInterrupted: string[];
  clearInterrupted: string[];
} {
  const c = stateCommands(stateDir);
  const interrupted = `${stateDir}/interrupted.json`;
  const holderFile = `${c.lockDir}/holder.json`;
  return {
    interrupted,
    // One remote command creates the lock and names its holder: a client killed in between would
    // leave a lock that names nobody, which no one could tell from a live one. The holder record
    // travels as an argument (it holds no secret), so the command does not wait on the client.
    acquireWith: (h) => ['sh', '-c', 'mkdir -m 700 "$1" && umask 077 && printf "%s\n" "$3" > "$2"', 'greenlight-lock', c.lockDir, holderFile, JSON.stringify(h)],
    // Written aside and renamed: a client killed mid-write never leaves a torn holder record.
    rewrite: (h) => ['sh', '-c', 'umask 077 && printf "%s\n" "$2" > "$1.tmp" && mv -f -- "$1.tmp" "$1"', 'greenlight-lock', holderFile, JSON.stringify(h)],
    // Copied, not moved: the lock directory goes right after, and a second break must not lose the first record.
    keepInterrupted: ['cp', '-f', '--', `${c.lockDir}/holder.json`, interrupted],
    readInterrupted: ['cat', '--', interrupted],
    clearInterrupted: ['rm', '-f', '--', interrupted],
  };
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

/** The holder record of the last deploy whose lock was broken, until `recover` has dealt with it. */
export async function readInterrupted(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, stateDir: string): Promise<LockHolder | undefined> {
  const r = await host.exec(lockFiles(stateDir).readInterrupted, { signal: ctx.signal });
  if (r.code !== 0) return undefined;
  try {
    return JSON.parse(r.stdout.toString('utf8')) as LockHolder;
  } catch {
    // A holder record torn by the crash still says a deploy was interrupted.
    return { who: 'unknown', machine: 'unknown', pid: 0, since: '', what: 'an interrupted deploy (unreadable holder record)', deployId: 'unknown' };
  }
}

export async function clearInterrupted(host: RemoteHost, stateDir: string): Promise<void> {
  await host.run(lockFiles(stateDir).clearInterrupted);
}

export interface AcquireOptions {
  /** Break the lock first whoever holds it (the user said the holder is dead). */
  readonly breakLock?: boolean;
}

/**
 * Takes the lock. A holder that is provably dead is broken first (audited); a live one refuses
 * the lock (audited as a refused deploy or rollback) unless `breakLock` was given.
 * Returns the holder it broke, if any, so the caller can recover what it left behind.
 */
export async function acquireLock(ctx: JobContext, host: RemoteHost, stateDir: string, holder: LockHolder, opts: AcquireOptions = {}): Promise<LockHolder | undefined | 'free'> {
  const c = stateCommands(stateDir);
  await host.run(c.mkdirState, { signal: ctx.signal });
  let broke: LockHolder | undefined | 'free' = 'free';
  if (opts.breakLock) broke = await breakLock(ctx, host, stateDir, { who: holder.who, env: holder.env, reason: 'on request (--break-lock)' });
  const f = lockFiles(stateDir);
  let r = await host.exec(f.acquireWith(holder), { signal: ctx.signal });
  if (r.code !== 0 && /File exists/i.test(r.stderr)) {
    // The holder record is written right after the mkdir; give a lock taken this instant a moment to name its holder.
    let h = await readLock(ctx, host, stateDir);
    for (let i = 0; i < 15 && h === undefined; i++) {
      await sleep(200, ctx.signal);
      h = await readLock(ctx, host, stateDir);
    }
    if (h && h !== 'free' && holderIsDead(h)) {
      broke = await breakLock(ctx, host, stateDir, { who: holder.who, env: holder.env, reason: `its holder (pid ${h.pid} on ${h.machine}) no longer runs` });
      r = await host.exec(f.acquireWith(holder), { signal: ctx.signal });
    } else if (h !== 'free') {
      const err = new LockHeldError(h, host.target.host);
      await appendAudit(host, stateDir, {
        at: new Date().toISOString(), action: holder.what.startsWith('rollback') ? 'rollback' : holder.what.startsWith('recover') ? 'recover' : 'deploy',
        deployId: holder.deployId, who: holder.who, machine: holder.machine, env: holder.env ?? '', service: holder.service, version: holder.version,
        result: 'refused', message: err.message,
      }).catch((e) => ctx.log(`audit: could not append: ${errorMessage(e)}`, 'warn'));
      throw err;
    } else {
      r = await host.exec(f.acquireWith(holder), { signal: ctx.signal });
    }
  }
  if (r.code !== 0) {
    if (/File exists/i.test(r.stderr)) throw new LockHeldError(undefined, host.target.host);
    throw new OperationError(`cannot create the deploy lock ${c.lockDir} on ${host.target.host}: ${r.stderr.trim()}`);
  }
  heldHere.add(holder.deployId);
  ctx.log(`lock: taken on ${host.target.host} for ${holder.what}`);
  return broke;
}

/** Rewrites the holder record with the step now running and the switch state (best effort: the record only informs recovery). */
export async function recordLockState(host: RemoteHost, stateDir: string, holder: LockHolder): Promise<void> {
  await host.run(lockFiles(stateDir).rewrite(holder));
}

/** Releases the lock only if this deploy still holds it (someone may have broken and retaken it). */
export async function releaseLock(host: RemoteHost, stateDir: string, deployId: string): Promise<void> {
  try {
    const h = await readLock({ signal: new AbortController().signal }, host, stateDir);
    if (h === 'free') return;
    if (h && h.deployId !== deployId) return;
    await host.run(stateCommands(stateDir).release);
  } finally {
    heldHere.delete(deployId);
  }
}

/**
 * Breaks the lock; returns the holder it removed. The holder record is kept as
 * `interrupted.json` for `recover`, and the break is audited with who broke it and why.
 */
export async function breakLock(ctx: JobContext, host: RemoteHost, stateDir: string, by: { who?: string; env?: string; reason?: string } = {}): Promise<LockHolder | undefined | 'free'> {
  const h = await readLock(ctx, host, stateDir);
  if (h === 'free') return h;
  const f = lockFiles(stateDir);
  // A lock without a holder record (the deploy died between mkdir and writing it) has nothing to keep.
  if (h) await host.run(f.keepInterrupted, { signal: ctx.signal });
  await host.run(stateCommands(stateDir).release, { signal: ctx.signal });
  const reason = by.reason ?? 'on request';
  const what = h ? `held by ${h.who} on ${h.machine} (pid ${h.pid}) since ${h.since} for ${h.what}${h.step ? `, interrupted at step ${h.step}` : ''}` : 'that named no holder';
  ctx.log(`lock: broke the lock on ${host.target.host} ${what}: ${reason}`, 'warn');
  await appendAudit(host, stateDir, {
    at: new Date().toISOString(), action: 'lock-break', deployId: h ? h.deployId : 'unknown', who: by.who ?? defaultWho(), machine: os.hostname(),
    env: by.env ?? h?.env ?? '', service: h?.service, version: h?.version, result: 'succeeded', message: `broke the deploy lock ${what}: ${reason}`,
    interruptedStep: h?.step, interruptedDeployId: h?.deployId,
  }).catch((e) => ctx.log(`audit: could not append: ${errorMessage(e)}`, 'warn'));
  // The interrupted operation itself gets its record too: it could not write one when it died.
  if (h) {
    await appendAudit(host, stateDir, {
      at: new Date().toISOString(), action: h.what.startsWith('rollback') ? 'rollback' : h.what.startsWith('recover') ? 'recover' : 'deploy', deployId: h.deployId, who: h.who, machine: h.machine,
      env: h.env ?? by.env ?? '', service: h.service, version: h.version, previousVersion: h.switchState?.previousVersion, result: 'interrupted', interruptedStep: h.step,
      message: `${h.what} started ${h.since} never finished${h.step ? `: it was at step ${h.step}` : ''}; its lock was broken ${reason}`,
    }).catch((e) => ctx.log(`audit: could not append: ${errorMessage(e)}`, 'warn'));
  }
  return h;
}

/** The deploy ids holding the lock now (none or one): a backup taken meanwhile must not prune their backups. */
export async function deploysInProgress(ctx: Pick<JobContext, 'signal'>, host: RemoteHost, stateDir: string): Promise<string[]> {
  const h = await readLock(ctx, host, stateDir);
  return h && h !== 'free' && h.deployId ? [h.deployId] : [];
}
