// Times shown to the user are in their own time zone and locale (the hosts and the audit log keep
// UTC); tooltips add the UTC instant so that it can be matched with a host's logs.
import * as vscode from 'vscode';

/** "2 Dec 2026, 07:14" in the user's locale and time zone; the input unchanged if it is no date. */
export function localTime(iso: string | undefined, withSeconds = false): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    return d.toLocaleString(vscode.env.language, { dateStyle: 'medium', timeStyle: withSeconds ? 'medium' : 'short' });
  } catch {
    // An unknown locale tag: the runtime's default locale still gives local time.
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: withSeconds ? 'medium' : 'short' });
  }
}
