// Host keys for the "Trust this key" flow. deploy.hostKey connects to the environment's host and
// reports the key it offers compared with the pinned one (without trusting anything); the
// extension shows the SHA256 fingerprint and, only on the user's explicit "Trust this key",
// pins it. deploy.pinHostKeyEdit computes the smallest text edit that sets
// environments.<env>.ssh.hostKey in greenlight.yaml, keeping the file's layout and comments.
import { isMap, isScalar, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { InputError } from '../../core/common/errors';
import type { JobContext } from '../../core/common/job';
import { resolveEnvironment } from '../../core/deploy/environment';
import { keyLine, pinnedKeys } from '../../core/ship/hostKey';
import { AuthenticationError, HostKeyError } from '../../core/ship/remoteHost';
import { SshConnection } from '../../core/ship/sshAdapter';
import type { JobParams, JobResult } from '../protocol';
import { loadWorkspace } from './deploySession';

export async function deployHostKeyJob(params: JobParams<'deploy.hostKey'>, ctx: JobContext): Promise<JobResult<'deploy.hostKey'>> {
  const project = await loadWorkspace(params.workspaceRoot);
  // Resolved here only to name the host in the answer (an unknown environment is an error at once).
  const env = resolveEnvironment(project.config, project.root, params.env);
  const base = { env: params.env, host: env.ssh.host, port: env.ssh.port };
  try {
    // Only the host key is read (no credentials needed): trusting a host comes before a key file.
    const conn = await SshConnection.open(env.ssh, { signal: ctx.signal, readyTimeoutMs: 15_000, hostKeyOnly: true });
    conn.close();
    return { ...base, status: 'trusted' };
  } catch (e) {
    if (e instanceof HostKeyError) {
      const v = e.verdict;
      return { ...base, status: v.reason, keyType: v.offered.type, fingerprint: v.fingerprint, keyLine: keyLine(v.offered), message: v.message };
    }
    // The key is checked before authentication: a refused login means the key itself was accepted.
    if (e instanceof AuthenticationError) return { ...base, status: 'trusted', message: e.message };
    throw e;
  }
}

export function pinHostKeyEdits(text: string, file: string, envName: string, line: string): { offset: number; length: number; newText: string }[] {
  if (!/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa|rsa-sha2-(256|512)) [A-Za-z0-9+/=]+$/.test(line)) {
    throw new InputError(`not an OpenSSH public key line: "${line.slice(0, 40)}"`);
  }
  return sshFieldEdits(text, file, envName, 'hostKey', line);
}

/**
 * The smallest edit that sets environments.<env>.ssh.<field> (hostKey or identityFile), keeping
 * the file's layout and comments: the value is replaced in place, or a line is added at the end
 * of the ssh mapping with its indentation.
 */
export function sshFieldEdits(text: string, file: string, envName: string, field: 'hostKey' | 'identityFile', value: string): { offset: number; length: number; newText: string }[] {
  if (value.includes('\n')) throw new InputError(`${field} must be one line`);
  const doc = parseDocument(text);
  if (doc.errors.length) throw new InputError(`${file}: cannot set ssh.${field} while the file has YAML errors (${doc.errors[0]?.message.split('\n')[0]})`);
  const ssh = doc.getIn(['environments', envName, 'ssh'], true);
  if (!isMap(ssh)) throw new InputError(`${file}: environments.${envName}.ssh is not a mapping; cannot set ${field} there`);
  const quoted = JSON.stringify(value);
  const items = (ssh as YAMLMap).items as Pair[];
  const existing = items.find((p) => isScalar(p.key) && p.key.value === field);
  if (existing) {
    const v = existing.value;
    if (!isScalar(v) || !v.range) throw new InputError(`${file}: environments.${envName}.ssh.${field} is not a plain value`);
    return [{ offset: v.range[0], length: v.range[1] - v.range[0], newText: quoted }];
  }
  const last = items[items.length - 1];
  const lastValue = last?.value as { range?: [number, number, number] } | null | undefined;
  const lastKey = last?.key as { range?: [number, number, number] } | null | undefined;
  const end = lastValue?.range ?? lastKey?.range;
  if (!last || !end) throw new InputError(`${file}: environments.${envName}.ssh is empty; add host and user first`);
  if ((ssh as YAMLMap).flow) return [{ offset: end[1], length: 0, newText: `, ${field}: ${quoted}` }];
  const firstKey = (items[0]!.key as { range: [number, number, number] }).range[0];
  const indent = ' '.repeat(firstKey - text.lastIndexOf('\n', firstKey - 1) - 1);
  const at = end[2];
  return text[at - 1] === '\n' ? [{ offset: at, length: 0, newText: `${indent}${field}: ${quoted}\n` }] : [{ offset: at, length: 0, newText: `\n${indent}${field}: ${quoted}` }];
}

export async function deployPinHostKeyEditJob(params: JobParams<'deploy.pinHostKeyEdit'>, _ctx: JobContext): Promise<JobResult<'deploy.pinHostKeyEdit'>> {
  return { edits: pinHostKeyEdits(params.text, params.file, params.env, params.keyLine) };
}

export async function deploySetIdentityFileEditJob(params: JobParams<'deploy.setIdentityFileEdit'>, _ctx: JobContext): Promise<JobResult<'deploy.setIdentityFileEdit'>> {
  return { edits: sshFieldEdits(params.text, params.file, params.env, 'identityFile', params.identityFile) };
}

/** The environment's SSH target with its pinned keys as known_hosts lines ("Open Shell" pins them for ssh). */
export async function deploySshTargetJob(params: JobParams<'deploy.sshTarget'>, _ctx: JobContext): Promise<JobResult<'deploy.sshTarget'>> {
  const { config, root } = await loadWorkspace(params.workspaceRoot);
  const env = resolveEnvironment(config, root, params.env);
  const t = env.ssh;
  const name = t.port === 22 ? t.host : `[${t.host}]:${t.port}`;
  return { host: t.host, port: t.port, user: t.user, identityFile: t.identityFile, knownHosts: pinnedKeys(t).map((k) => `${name} ${keyLine(k)}`), dockerSocket: env.dockerSocket };
}
