// Shared set-up for the ship/backup/deploy integration tests: the production host of the test
// bed (read from /tmp/greenlight-testbed/env, written by test/testbed/up.sh), a greenlight.yaml
// config pointing at it, and a connected RemoteHost. Missing test bed = a failing test that says so.
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { configSchema, type GreenlightConfig } from '../../../src/core/config/schema';
import type { JobContext, Progress } from '../../../src/core/common/job';
import { RemoteHost } from '../../../src/core/ship/remoteHost';

const ENV_FILE = process.env.GREENLIGHT_TESTBED_ENV ?? '/tmp/greenlight-testbed/env';

export interface Bed {
  readonly prodIp: string;
  readonly sshHost: string;
  readonly sshPort: number;
  readonly sshUser: string;
  readonly sshKey: string;
  readonly hostKey: string;
  readonly knownHosts: string;
  readonly dockerSock: string;
  readonly backupsDir: string;
  readonly registry: string;
  readonly hostIp: string;
}

export function bed(): Bed {
  if (!existsSync(ENV_FILE)) throw new Error(`the test bed is not up: ${ENV_FILE} is missing (run: bash test/testbed/up.sh)`);
  const v: Record<string, string> = {};
  for (const line of readFileSync(ENV_FILE, 'utf8').split('\n')) {
    const m = /^export\s+([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) v[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/\s+#.*$/, '');
  }
  const need = (k: string): string => {
    const x = v[k];
    if (!x) throw new Error(`${ENV_FILE} has no ${k}`);
    return x;
  };
  return {
    prodIp: need('PROD_IP'),
    sshHost: need('PROD_SSH_HOST'),
    sshPort: Number(need('PROD_SSH_PORT')),
    sshUser: need('PROD_SSH_USER'),
    sshKey: need('PROD_SSH_KEY'),
    hostKey: need('PROD_SSH_HOST_KEY'),
    knownHosts: need('PROD_SSH_KNOWN_HOSTS'),
    dockerSock: need('PROD_DOCKER_SOCK'),
    backupsDir: need('PROD_BACKUPS_DIR'),
    registry: need('REGISTRY'),
    hostIp: need('HOST_IP'),
  };
}

export const DB_PASSWORD = 'apppass';

/** A config for the demo app on the test bed's production host; each suite gets its own dirs. */
export function bedConfig(b: Bed, opts: { port: number; project?: string; releaseTasks?: { name: string; command: string[] }[]; keepVersions?: number; keep?: number; timeoutSeconds?: number }): GreenlightConfig {
  const tag = randomBytes(3).toString('hex');
  return configSchema.parse({
    project: opts.project ?? 'glit',
    services: [{ name: 'web', port: opts.port, env: { BIND: b.prodIp }, health: { path: '/cgi-bin/health', timeoutSeconds: opts.timeoutSeconds ?? 8, intervalMs: 200 } }],
    database: { kind: 'postgres', name: 'appdb' },
    environments: {
      production: {
        ssh: { host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey },
        docker: { socket: b.dockerSock },
        database: { host: '127.0.0.1', port: 5432, name: 'appdb', user: 'app', passwordEnv: 'GL_TEST_DB_PASSWORD' },
        backups: { dir: `${b.backupsDir}/it-${tag}`, keep: opts.keep ?? 10 },
        stateDir: `.greenlight/it-${tag}`,
        keepVersions: opts.keepVersions ?? 2,
        releaseTasks: opts.releaseTasks ?? [],
      },
    },
  });
}

export interface RecordingContext extends JobContext {
  readonly lines: string[];
  readonly steps: Progress[];
}

export function recordingContext(signal: AbortSignal = new AbortController().signal, onProgress?: (p: Progress) => void): RecordingContext {
  const lines: string[] = [];
  const steps: Progress[] = [];
  return {
    signal,
    lines,
    steps,
    progress: (p) => {
      steps.push(p);
      onProgress?.(p);
    },
    log: (l, level = 'info') => {
      lines.push(`${level}: ${l}`);
      if (process.env.GL_TEST_VERBOSE) console.log(`      ${level}: ${l}`);
    },
  };
}

export async function connect(b: Bed, ctx: JobContext): Promise<RemoteHost> {
  return await RemoteHost.connect({ host: b.sshHost, port: b.sshPort, user: b.sshUser, identityFile: b.sshKey, hostKey: b.hostKey }, b.dockerSock, ctx);
}
