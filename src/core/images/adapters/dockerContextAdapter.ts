// Finds the local Docker engine the way the docker CLI does, so `greenlight build` talks to the
// engine `docker build` would: DOCKER_HOST first, then the context named by DOCKER_CONTEXT or by
// `docker context use` (currentContext in ~/.docker/config.json, its endpoint in
// contexts/meta/<sha256 of the name>/meta.json), and otherwise docker-modem's own default, which
// is Docker Desktop's per-user socket (~/.docker/run/docker.sock) when it exists and
// /var/run/docker.sock when not. docker-modem reads DOCKER_HOST (with DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH) and probes the user socket itself; it knows nothing of contexts, so a
// context's endpoint is handed to it as options.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DockerOptions } from 'dockerode';

export type DockerEndpointChoice =
  | { readonly source: 'DOCKER_HOST'; readonly host: string }
  | { readonly source: 'context'; readonly context: string; readonly host: string; readonly tlsDir?: string; readonly skipTlsVerify?: boolean }
  /** docker-modem's default: Docker Desktop's user socket if present, else /var/run/docker.sock. */
  | { readonly source: 'default' };

interface ContextMeta {
  readonly Name?: string;
  readonly Endpoints?: { readonly docker?: { readonly Host?: string; readonly SkipTLSVerify?: boolean } };
}

/** The docker CLI's configuration directory: $DOCKER_CONFIG or ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.DOCKER_CONFIG && env.DOCKER_CONFIG.trim() !== '' ? env.DOCKER_CONFIG : path.join(home, '.docker');
}

function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Which engine the docker CLI would use with this environment (see the file comment for the order). */
export function chooseDockerEndpoint(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): DockerEndpointChoice {
  if (env.DOCKER_HOST && env.DOCKER_HOST.trim() !== '') return { source: 'DOCKER_HOST', host: env.DOCKER_HOST.trim() };
  const configDir = dockerConfigDir(env, home);
  const fromEnv = env.DOCKER_CONTEXT && env.DOCKER_CONTEXT.trim() !== '' ? env.DOCKER_CONTEXT.trim() : undefined;
  const name = fromEnv ?? readJson<{ currentContext?: string }>(path.join(configDir, 'config.json'))?.currentContext;
  if (!name || name === 'default') return { source: 'default' };
  // The CLI stores each context under the hex sha256 of its name, so any name is a safe directory.
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  const meta = readJson<ContextMeta>(metaFile);
  const where = fromEnv ? 'DOCKER_CONTEXT' : path.join(configDir, 'config.json');
  if (!meta) throw new Error(`docker context "${name}" (from ${where}) does not exist: no ${metaFile} (docker context ls lists the contexts)`);
  const host = meta.Endpoints?.docker?.Host;
  if (!host) throw new Error(`docker context "${name}" has no docker endpoint in ${metaFile}`);
  return { source: 'context', context: name, host, tlsDir: path.join(configDir, 'contexts', 'tls', id, 'docker'), skipTlsVerify: meta.Endpoints?.docker?.SkipTLSVerify === true };
}

export function describeDockerEndpoint(c: DockerEndpointChoice): string {
  switch (c.source) {
    case 'DOCKER_HOST':
      return `${c.host} (DOCKER_HOST)`;
    case 'context':
      return `${c.host} (docker context ${c.context})`;
    default:
      return 'the default engine (~/.docker/run/docker.sock, else /var/run/docker.sock)';
  }
}

function tlsFiles(dir: string | undefined): Pick<DockerOptions, 'ca' | 'cert' | 'key'> {
  if (!dir) return {};
  const read = (f: string): Buffer | undefined => {
    try {
      return readFileSync(path.join(dir, f));
    } catch {
      return undefined;
    }
  };
  const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** An endpoint URL as docker-modem options (unix, npipe, tcp/http/https and ssh, as the docker CLI accepts). */
export function hostOptions(host: string, tls: Pick<DockerOptions, 'ca' | 'cert' | 'key'> = {}, env: NodeJS.ProcessEnv = process.env): DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  const u = new URL(host.includes('://') ? host : `tcp://${host}`);
  if (u.protocol === 'ssh:') {
    return { protocol: 'ssh', host: u.hostname, port: Number(u.port || 22), username: u.username || undefined, sshOptions: { agent: env.SSH_AUTH_SOCK } };
  }
  if (u.protocol !== 'tcp:' && u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`unsupported Docker endpoint ${host} (unix://, npipe://, tcp://, https:// or ssh://)`);
  const secure = u.protocol === 'https:' || Boolean(tls.cert) || u.port === '2376';
  return { protocol: secure ? 'https' : 'http', host: u.hostname, port: Number(u.port || (secure ? 2376 : 2375)), ...tls };
}

/**
 * The options to give docker-modem for a choice. For DOCKER_HOST and the default, none: docker-modem
 * reads DOCKER_HOST (and its TLS variables) and probes the user socket itself — unless `env` is not
 * the process's own (a test), when DOCKER_HOST is converted here instead.
 */
export function modemOptions(c: DockerEndpointChoice, env: NodeJS.ProcessEnv = process.env): DockerOptions {
  switch (c.source) {
    case 'DOCKER_HOST':
      return env.DOCKER_HOST === process.env.DOCKER_HOST ? {} : hostOptions(c.host, {}, env);
    case 'context':
      return hostOptions(c.host, tlsFiles(c.tlsDir), env);
    default:
      return {};
  }
}
