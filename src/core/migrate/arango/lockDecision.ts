// The ArangoDB migration lock is one document with a holder and an expiry, so a crashed runner
// never blocks the next one for longer than the expiry. The holder renews it while it works.

export interface LockDocument {
  readonly holder: string;
  readonly token: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
}

export const ARANGO_LOCK_TTL_MS = 5 * 60_000;

/** May `token` take the lock given the current document? Free, expired, or already ours. */
export function mayTakeLock(current: LockDocument | undefined, token: string, now: Date): boolean {
  if (!current) return true;
  if (current.token === token) return true;
  return Date.parse(current.expiresAt) <= now.getTime();
}

export function newLockDocument(holder: string, token: string, now: Date, ttlMs = ARANGO_LOCK_TTL_MS): LockDocument {
  return { holder, token, acquiredAt: now.toISOString(), expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
}

/** The AQL that takes the lock atomically: the document changes only when mayTakeLock holds. */
export const TAKE_LOCK_AQL = `
UPSERT { _key: @key }
INSERT MERGE({ _key: @key }, @doc)
UPDATE (OLD.token == @doc.token || OLD.expiresAt <= @now) ? @doc : {}
IN @@coll
RETURN NEW`;
