// The test bed's addresses for integration tests, read from the env file that test/testbed/up.sh
// writes (shell exports). Keep this API small and stable: other areas' tests import it.
import { readFileSync } from 'node:fs';

/** Where up.sh writes its exports; GREENLIGHT_TESTBED_ENV overrides it (for a second test bed). */
export const TESTBED_ENV_FILE = process.env.GREENLIGHT_TESTBED_ENV ?? '/tmp/greenlight-testbed/env';

export interface Testbed {
  /** The production host's address on the veth pair (198.18.77.2). */
  readonly prodIp: string;
  readonly sshHost: string;
  readonly sshPort: number;
  readonly sshUser: string;
  /** Private key (ed25519, no passphrase) accepted by the production host's sshd. */
  readonly sshKeyFile: string;
  /** known_hosts file holding the production host's pinned key. */
  readonly knownHostsFile: string;
  /** The pinned host key, "ssh-ed25519 AAAA…" (type and base64 blob). */
  readonly hostKey: string;
  /** The prod engine's socket, reachable directly by root on this machine (tests prefer SSH). */
  readonly prodDockerSock: string;
  /** Prod PostgreSQL as seen from this machine (through the veth pair). */
  readonly prodDatabaseUrl: string;
  /** Prod PostgreSQL as seen from containers on the prod engine (--network host, 127.0.0.1). */
  readonly prodDatabaseUrlInside: string;
  /** Local PostgreSQL 15 for tests; role app may create databases. */
  readonly testDatabaseUrl: string;
  /** Local registry, host:port (plain HTTP on loopback). */
  readonly registry: string;
  readonly hostDockerSock: string;
  /** The test bed's state directory (/tmp/greenlight-testbed). */
  readonly root: string;
}

let cached: Testbed | undefined;

/** Parses the test bed's env file; throws a clear error when the test bed is not up. */
export function testbed(): Testbed {
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(TESTBED_ENV_FILE, 'utf8');
  } catch {
    throw new Error(`test bed not up: run bash test/testbed/up.sh (${TESTBED_ENV_FILE} is missing)`);
  }
  const env = parseExports(text);
  const need = (name: string): string => {
    const v = env.get(name);
    if (!v) throw new Error(`${TESTBED_ENV_FILE}: ${name} is missing; re-run bash test/testbed/up.sh`);
    return v;
  };
  const sshPort = Number(need('PROD_SSH_PORT'));
  if (!Number.isInteger(sshPort) || sshPort <= 0) throw new Error(`${TESTBED_ENV_FILE}: PROD_SSH_PORT is not a port number`);
  const hostKey = need('PROD_SSH_HOST_KEY');
  if (!/^ssh-ed25519 [A-Za-z0-9+/]+=*$/.test(hostKey)) {
    throw new Error(`${TESTBED_ENV_FILE}: PROD_SSH_HOST_KEY is not "ssh-ed25519 <base64>"`);
  }
  cached = Object.freeze({
    prodIp: need('PROD_IP'),
    sshHost: need('PROD_SSH_HOST'),
    sshPort,
    sshUser: need('PROD_SSH_USER'),
    sshKeyFile: need('PROD_SSH_KEY'),
    knownHostsFile: need('PROD_SSH_KNOWN_HOSTS'),
    hostKey,
    prodDockerSock: need('PROD_DOCKER_SOCK'),
    prodDatabaseUrl: need('PROD_DATABASE_URL'),
    prodDatabaseUrlInside: need('PROD_DATABASE_URL_INSIDE'),
    testDatabaseUrl: need('TEST_DATABASE_URL'),
    registry: need('REGISTRY'),
    hostDockerSock: need('HOST_DOCKER_SOCK'),
    root: need('TESTBED_ROOT'),
  });
  return cached;
}

/** Reads `export NAME=value` lines (value bare, or in single or double quotes); ignores the rest. */
export function parseExports(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const q = value[0];
    if ((q === "'" || q === '"') && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out.set(m[1], value);
  }
  return out;
}
