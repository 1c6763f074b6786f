// The service lives as long as the editor window, but what a verify loads (PGlite's compiled
// module, its template data directory, the instances' WebAssembly memories) is needed only while
// jobs run. V8 frees a closed instance's memory only when it collects garbage, which an idle
// process may not do for a long time, so a few seconds after the last job ends the service lets go
// of its caches and asks V8 for a full collection; the memory goes back to the system.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { releasePgliteCaches } from '../core/migrate/adapters/pgliteAdapter';

export const IDLE_RELEASE_MS = 5_000;

/** A full garbage collection, when V8 lets this process ask for one. */
export function collectGarbage(): boolean {
  try {
    // --expose-gc set at run time applies to contexts made afterwards: a fresh one hands out gc().
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as (() => void) | undefined;
    if (typeof gc !== 'function') return false;
    gc();
    return true;
  } catch {
    return false;
  }
}

export class IdleRelease {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runningJobs: () => number,
    private readonly afterMs = IDLE_RELEASE_MS,
    private readonly release: () => void = releasePgliteCaches,
  ) {}

  /** Call when a job starts: nothing is released while one runs. */
  jobStarted(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Call when a job ends: once none runs for afterMs, the caches go and V8 collects. */
  jobEnded(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.releaseNow(), this.afterMs);
    this.#timer.unref();
  }

  /**
   * Releases and collects, in a few passes: a closed PGlite instance is still reachable from
   * promise callbacks that settle only after the first collection, so its memory goes in a later one.
   */
  async releaseNow(passes = 4): Promise<void> {
    this.#timer = undefined;
    if (this.runningJobs() > 0) return;
    this.release();
    for (let i = 0; i < passes; i++) {
      if (!collectGarbage()) return;
      await new Promise((r) => setTimeout(r, 250).unref());
      if (this.#timer || this.runningJobs() > 0) return;
    }
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
