// Host-key pinning. The host's key is compared with the pinned key from greenlight.yaml
// (environments.<env>.ssh.hostKey) or a known_hosts file; anything else is refused with the
// offered key's SHA256 fingerprint, so the user can compare it out of band and trust it explicitly.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface PublicKey {
  /** e.g. "ssh-ed25519". */
  readonly type: string;
  /** The raw key blob as sent on the wire. */
  readonly blob: Buffer;
}

/** OpenSSH's fingerprint format: "SHA256:" + unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first length-prefixed string inside the blob. */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n > 64 || 4 + n > blob.length) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** Parses "<type> <base64> [comment]". */
export function parseKeyLine(line: string): PublicKey {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64 || !/^[A-Za-z0-9+/=]+$/.test(b64)) throw new Error(`not an OpenSSH public key line: "${line.slice(0, 60)}"`);
  const blob = Buffer.from(b64, 'base64');
  if (keyTypeOf(blob) !== type) throw new Error(`the key's base64 encodes a ${keyTypeOf(blob)} key, not ${type}`);
  return { type, blob };
}

export function keyLine(key: PublicKey): string {
  return `${key.type} ${key.blob.toString('base64')}`;
}

/** The host names a known_hosts line must match: "host" on port 22, "[host]:port" otherwise. */
function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(pattern: string, token: string): boolean {
  if (pattern.startsWith('|1|')) {
    // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, host)).
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
  }
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(token);
}

/** Keys listed for host:port in known_hosts text (negated patterns and @revoked lines excluded). */
export function keysFromKnownHosts(text: string, host: string, port: number): PublicKey[] {
  const token = hostToken(host, port);
  const keys: PublicKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@revoked')) continue;
    const parts = line.replace(/^@cert-authority\s+/, '').split(/\s+/);
    if (line.startsWith('@cert-authority')) continue;
    const [patterns, type, b64] = parts;
    if (!patterns || !type || !b64) continue;
    const list = patterns.split(',');
    if (list.some((p) => p.startsWith('!') && patternMatches(p.slice(1), token))) continue;
    if (!list.some((p) => !p.startsWith('!') && patternMatches(p, token))) continue;
    try {
      keys.push(parseKeyLine(`${type} ${b64}`));
    } catch {
      // A malformed line for this host cannot pin anything; the others still can.
    }
  }
  return keys;
}

export interface HostKeyPolicy {
  readonly host: string;
  readonly port: number;
  readonly hostKey?: string;
  readonly knownHostsFile?: string;
}

/** The keys the policy accepts. Reads the known_hosts file when one is configured. */
export function pinnedKeys(policy: HostKeyPolicy): PublicKey[] {
  const keys: PublicKey[] = [];
  if (policy.hostKey) keys.push(parseKeyLine(policy.hostKey));
  if (policy.knownHostsFile) {
    let text: string;
    try {
      text = readFileSync(policy.knownHostsFile, 'utf8');
    } catch (e) {
      throw new Error(`cannot read known_hosts file ${policy.knownHostsFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    keys.push(...keysFromKnownHosts(text, policy.host, policy.port));
  }
  return keys;
}

export type HostKeyVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unknown' | 'changed'; readonly offered: PublicKey; readonly fingerprint: string; readonly message: string };

/** Compares the offered key with the pinned ones. "unknown" when nothing is pinned, "changed" otherwise. */
export function checkHostKey(policy: HostKeyPolicy, offeredBlob: Buffer, pinned: readonly PublicKey[]): HostKeyVerdict {
  if (pinned.some((k) => k.blob.equals(offeredBlob))) return { ok: true };
  const offered = { type: keyTypeOf(offeredBlob), blob: offeredBlob };
  const fp = fingerprint(offeredBlob);
  const where = `${policy.host}:${policy.port}`;
  if (pinned.length === 0) {
    return {
      ok: false,
      reason: 'unknown',
      offered,
      fingerprint: fp,
      message:
        `the host key of ${where} is not pinned: it offered ${offered.type} ${fp}. Compare the fingerprint with the server ` +
        `(ssh-keygen -lf /etc/ssh/ssh_host_${offered.type.replace(/^ssh-/, '')}_key.pub) and pin it as ssh.hostKey: "${keyLine(offered)}"`,
    };
  }
  return {
    ok: false,
    reason: 'changed',
    offered,
    fingerprint: fp,
    message:
      `HOST KEY CHANGED for ${where}: it offered ${offered.type} ${fp}, but the pinned key is ${pinned.map((k) => `${k.type} ${fingerprint(k.blob)}`).join(' or ')}. ` +
      `Refusing to connect: this may be a machine in the middle. If the server was reinstalled, check the new fingerprint and pin it.`,
  };
}
