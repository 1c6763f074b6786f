// Retention: which backups to keep. Keep-N keeps the newest N. Grandfather-father-son keeps the
// newest backup of each of the last `daily` days, `weekly` ISO weeks and `monthly` months. The
// newest backup is always kept. The plan is data, shown as a preview before anything is deleted.

export interface RetentionPolicy {
  readonly keep: number;
  readonly gfs?: { readonly daily: number; readonly weekly: number; readonly monthly: number };
}

export interface Dated {
  readonly id: string;
  readonly createdAt: string;
}

export interface RetentionPlan<T extends Dated> {
  readonly keep: readonly { readonly backup: T; readonly reasons: readonly string[] }[];
  readonly remove: readonly T[];
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function planRetention<T extends Dated>(backups: readonly T[], policy: RetentionPolicy): RetentionPlan<T> {
  const sorted = [...backups].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const reasons = new Map<string, string[]>();
  const mark = (b: T, why: string): void => {
    const r = reasons.get(b.id) ?? [];
    r.push(why);
    reasons.set(b.id, r);
  };
  if (sorted[0]) mark(sorted[0], 'newest');
  if (policy.gfs) {
    const buckets: [string, number, (d: Date) => string][] = [
      ['daily', policy.gfs.daily, (d) => d.toISOString().slice(0, 10)],
      ['weekly', policy.gfs.weekly, isoWeek],
      ['monthly', policy.gfs.monthly, (d) => d.toISOString().slice(0, 7)],
    ];
    for (const [label, count, keyOf] of buckets) {
      const seen = new Set<string>();
      for (const b of sorted) {
        const k = keyOf(new Date(b.createdAt));
        if (seen.has(k)) continue;
        if (seen.size >= count) break;
        seen.add(k);
        mark(b, `${label} ${k}`);
      }
    }
  } else {
    sorted.slice(0, policy.keep).forEach((b, i) => mark(b, `keep ${i + 1} of ${policy.keep}`));
  }
  return {
    keep: sorted.filter((b) => reasons.has(b.id)).map((b) => ({ backup: b, reasons: reasons.get(b.id)! })),
    remove: sorted.filter((b) => !reasons.has(b.id)),
  };
}

/**
 * The plan applied after a backup: planRetention, except that `protect` (backup id → why) is kept
 * whatever the policy says: the backup just taken, and the backup of a deploy in progress, which
 * that deploy may still have to offer for a restore.
 */
export function planRetentionAfterBackup<T extends Dated>(backups: readonly T[], policy: RetentionPolicy, protect: ReadonlyMap<string, string>): RetentionPlan<T> {
  const plan = planRetention(backups, policy);
  const kept = plan.keep.map((k) => (protect.has(k.backup.id) ? { backup: k.backup, reasons: [...k.reasons, protect.get(k.backup.id)!] } : k));
  const rescued = plan.remove.filter((b) => protect.has(b.id)).map((b) => ({ backup: b, reasons: [protect.get(b.id)!] }));
  const keep = [...kept, ...rescued].sort((a, b) => b.backup.createdAt.localeCompare(a.backup.createdAt));
  return { keep, remove: plan.remove.filter((b) => !protect.has(b.id)) };
}

/** "keep 10" or "GFS 7 daily, 4 weekly, 6 monthly": the policy as the log names it. */
export function describePolicy(policy: RetentionPolicy): string {
  return policy.gfs ? `GFS ${policy.gfs.daily} daily, ${policy.gfs.weekly} weekly, ${policy.gfs.monthly} monthly` : `keep ${policy.keep}`;
}
